/**
 * The contract a dataset reader package implements: describe the corpus's tasks, list its
 * items with labels (and any predefined split, folds and groups), and optionally read an
 * item's audio when it is not a plain file. Everything else (cache, extraction on worker
 * threads, progress, errors) is done by `readDataset`.
 */
import type { FeatureMatrix, TaskDefinition } from '@polytask/core';
import type { DecodedAudio } from '@polytask/extraction';
import type { ExampleMetadata } from '@polytask/task-dataset';

/** One example of a corpus. */
export interface DatasetItem {
  /** Unique id within the corpus, stable across runs (for example the path relative to the corpus root). */
  readonly id: string;
  /** Audio file to decode. Required unless the reader implements `readAudio`. */
  readonly path?: string;
  /** Files `readAudio` reads this item from, when it has no `path`; their size and modification time are part of the cache key. */
  readonly sources?: readonly string[];
  /** Label(s) per classification task name: one label for binary and multi-class tasks, a list (possibly empty) for multi-label ones. */
  readonly labels: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Real values per regression task name: a number for a single-output task, one number per output
   * (in the task's `labels` order) otherwise. NaN and infinities are refused (`NonFiniteTargetError`).
   */
  readonly values?: Readonly<Record<string, number | readonly number[]>>;
  /** Group for grouped splitting (speaker, recording, clip of origin). */
  readonly group?: string;
  /** Predefined part, for corpora with an official train/test split. */
  readonly split?: 'train' | 'test';
  /** Predefined fold (0-based), for corpora with official folds. */
  readonly fold?: number;
  /** Extra descriptive values kept with the example. */
  readonly metadata?: ExampleMetadata;
}

/** A dataset reader: one per corpus, usually in its own `@polytask/dataset-<name>` package. */
export interface DataReader {
  /** Contract version. */
  readonly specificationVersion: 'v1';
  /** Reader name, kebab-case; part of the cache path. */
  readonly name: string;
  /** The corpus's tasks, main task first (extra tasks after it). */
  readonly tasks: readonly TaskDefinition[];
  /** Number of predefined folds when items carry `fold`. */
  readonly foldCount?: number;
  /**
   * The options the reader was created with (JSON-serialisable): part of the feature cache key,
   * so one reader pointed at another corpus folder or generator setting never reuses another's cache.
   */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * Lists every item. Throw `MissingFileError` / `DataFormatError` naming the missing file
   * or column when the corpus folder is wrong or incomplete.
   */
  listItems(): Promise<readonly DatasetItem[]>;
  /** Reads one item's audio when it is not a file at `item.path` (generated or archived audio). */
  readAudio?(item: DatasetItem): Promise<DecodedAudio>;
  /**
   * Reads one item's features directly, for corpora published as features (AudioSet's VGGish
   * embeddings) rather than audio. A reader with `readFeatures` is read with the `precomputed`
   * extraction (and only with it); its items name the files they come from in `sources`, whose
   * size and modification time key the cache together with the reader's options.
   */
  readFeatures?(item: DatasetItem): Promise<FeatureMatrix>;
}
