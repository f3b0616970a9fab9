/**
 * Reads a corpus into a task dataset through its reader: loads the feature cache when one
 * exists for the reader and extraction spec, otherwise decodes, resamples and extracts
 * every item in parallel on worker threads, with progress, journaling finished items so no
 * work is lost, then writes the cache atomically and loads it (in memory or index mode).
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { encodeTarget, type FeatureMatrix, InvalidArgumentError, PolytaskError, type TargetRow } from '@polytask/core';
import {
  builtInExtractionMethods,
  createDefaultExtractionRegistry,
  type ExtractionRegistry,
  type ExtractionSpec,
  extractionSpecHash,
  readAudioFile,
} from '@polytask/extraction';
import {
  type CacheVerification,
  createTask,
  datasetCacheDirectory,
  inspectDatasetCache,
  loadTaskDataset,
  type PredefinedSplit,
  type Task,
  type TaskDataset,
  writeDatasetCache,
} from '@polytask/task-dataset';
import Tinypool from 'tinypool';
import type { DataReader, DatasetItem } from './data-reader';
import type { ExtractionJob, ExtractionOutcome } from './extraction-worker';
import { type JournalEntry, openJournal } from './internal/journal';
import { createProgressReporter, type ProgressOption } from './internal/progress';

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  /** The extraction spec (validated; see `@polytask/extraction`). */
  readonly extraction: unknown;
  /** Root folder of feature caches; the dataset goes to `<root>/<reader>/<specHash>`. */
  readonly cacheDirectory: string;
  /** Keep features on disk, read on demand. @default false */
  readonly indexMode?: boolean;
  /** LRU bytes in index mode. @default 64 MiB */
  readonly cacheBytes?: number;
  /** Worker threads for extraction; 0 extracts on this thread. @default os.availableParallelism() */
  readonly workers?: number;
  /** A file that fails to decode or extract: `skip` it (counted in the result and manifest) or `fail` the run. @default 'fail' */
  readonly onError?: 'skip' | 'fail';
  /** @default 'auto' (a bar on a TTY, plain lines otherwise) */
  readonly progress?: ProgressOption;
  /** Registry with custom extraction methods; custom methods run on this thread. @default the built-in methods */
  readonly registry?: ExtractionRegistry;
  /** Tasks with custom losses or decisions, by name. */
  readonly tasks?: readonly Task[];
  /** How an existing cache is checked before use. @default 'sizes' */
  readonly verification?: CacheVerification;
}

/** An item left out because it failed. */
export interface SkippedItem {
  readonly id: string;
  readonly path: string | undefined;
  readonly reason: string;
}

/** What {@link readDataset} did. */
export interface ReadDatasetResult {
  readonly dataset: TaskDataset;
  readonly spec: ExtractionSpec;
  readonly specHash: string;
  readonly cacheDirectory: string;
  /** True when the features came from an existing cache. */
  readonly fromCache: boolean;
  /** Items extracted by this call. */
  readonly extractedCount: number;
  /** Items recovered from the journal of an earlier, interrupted run. */
  readonly resumedCount: number;
  readonly skipped: readonly SkippedItem[];
}

/** Extraction of an item failed and `onError` is `fail`. */
export class ExtractionFailedError extends PolytaskError {
  readonly itemId: string;
  readonly path: string | undefined;

  constructor(options: { itemId: string; path: string | undefined; message: string }) {
    super({ message: options.message, context: { itemId: options.itemId, path: options.path } });
    this.name = 'ExtractionFailedError';
    this.itemId = options.itemId;
    this.path = options.path;
  }

  static override isInstance(error: unknown): error is ExtractionFailedError {
    return PolytaskError.isInstance(error) && error.name === 'ExtractionFailedError';
  }
}

function workerFile(): string {
  const built = new URL('./extraction-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  // running from source (tests): use the built worker of this package
  const fromSource = new URL('../dist/extraction-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(fromSource))) return fileURLToPath(fromSource);
  throw new PolytaskError({ message: 'The extraction worker is not built: run `pnpm build` (or pass workers: 0).' });
}

function prepareItems(reader: DataReader, tasks: readonly Task[], items: readonly DatasetItem[]) {
  const seen = new Set<string>();
  const rows = new Map<string, TargetRow[]>(tasks.map((task) => [task.name, []]));
  for (const item of items) {
    if (typeof item.id !== 'string' || item.id === '')
      throw new InvalidArgumentError({
        argument: 'item.id',
        value: item.id,
        message: `Reader "${reader.name}" listed an item without an id.`,
      });
    if (seen.has(item.id))
      throw new InvalidArgumentError({
        argument: 'item.id',
        value: item.id,
        message: `Reader "${reader.name}" listed item "${item.id}" twice.`,
      });
    seen.add(item.id);
    if (!item.path && !reader.readAudio) {
      throw new InvalidArgumentError({
        argument: 'item.path',
        value: item.id,
        message: `Item "${item.id}" of reader "${reader.name}" has no path and the reader has no readAudio.`,
      });
    }
    for (const task of tasks) {
      const labels = item.labels[task.name];
      if (labels === undefined) {
        throw new InvalidArgumentError({
          argument: 'item.labels',
          value: item.id,
          message: `Item "${item.id}" of reader "${reader.name}" has no label for task "${task.name}".`,
        });
      }
      try {
        rows.get(task.name)?.push(encodeTarget(task, labels));
      } catch (cause) {
        throw new InvalidArgumentError({
          argument: 'item.labels',
          value: item.id,
          message: `Item "${item.id}" of reader "${reader.name}": ${(cause as Error).message}`,
          cause,
        });
      }
    }
  }
  const hasSplit = items.some((item) => item.split !== undefined);
  const hasFold = items.some((item) => item.fold !== undefined);
  if (hasSplit && hasFold)
    throw new InvalidArgumentError({
      argument: 'items',
      value: reader.name,
      message: `Reader "${reader.name}" gives both train/test parts and folds; use one.`,
    });
  if (hasSplit && items.some((item) => item.split !== 'train' && item.split !== 'test')) {
    throw new InvalidArgumentError({
      argument: 'item.split',
      value: reader.name,
      message: `Reader "${reader.name}" gives a train/test part for some items but not all.`,
    });
  }
  if (hasFold && items.some((item) => !Number.isInteger(item.fold) || (item.fold as number) < 0)) {
    throw new InvalidArgumentError({
      argument: 'item.fold',
      value: reader.name,
      message: `Reader "${reader.name}" gives a fold for some items but not all (folds are 0-based integers).`,
    });
  }
  return { rows, hasSplit, hasFold };
}

/**
 * Reads `reader`'s corpus as a task dataset, using or building the feature cache.
 * @throws ExtractionFailedError on the first failing item when `onError` is `fail` (work done so far is kept).
 * @example const { dataset, fromCache } = await readDataset(esc50Reader, { extraction: { name: 'log-mel', sampleRate: 22050 }, cacheDirectory: '.polytask-cache' })
 */
export async function readDataset(reader: DataReader, options: ReadDatasetOptions): Promise<ReadDatasetResult> {
  const registry = options.registry ?? createDefaultExtractionRegistry();
  const spec = registry.parseSpec(options.extraction, 'extraction');
  const specHash = extractionSpecHash(spec);
  const directory = datasetCacheDirectory(options.cacheDirectory, reader.name, specHash);
  const given = new Map((options.tasks ?? []).map((task) => [task.name, task]));
  const tasks = reader.tasks.map((definition) => given.get(definition.name) ?? createTask(definition));
  const load = () =>
    loadTaskDataset(directory, {
      indexMode: options.indexMode ?? false,
      tasks,
      ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
      ...(options.verification ? { verification: options.verification } : {}),
    });

  const inspection = await inspectDatasetCache(directory, options.verification ?? 'sizes');
  if (inspection.status === 'valid') {
    const skipped = (inspection.manifest.extra.skipped as SkippedItem[] | undefined) ?? [];
    return {
      dataset: await load(),
      spec,
      specHash,
      cacheDirectory: directory,
      fromCache: true,
      extractedCount: 0,
      resumedCount: 0,
      skipped,
    };
  }

  const items = await reader.listItems();
  const { rows, hasSplit, hasFold } = prepareItems(reader, tasks, items);
  const journal = openJournal(directory);
  const sourceOf = (item: DatasetItem): JournalEntry['source'] | undefined => {
    if (!item.path) return undefined;
    try {
      const info = statSync(item.path);
      return { bytes: info.size, modified: info.mtimeMs };
    } catch {
      return undefined;
    }
  };
  const isCurrent = (item: DatasetItem) => {
    const entry = journal.entries.get(item.id);
    if (!entry) return false;
    const source = sourceOf(item);
    return !source || (entry.source?.bytes === source.bytes && entry.source?.modified === source.modified);
  };
  const pending = items.filter((item) => !isCurrent(item));
  const resumedCount = items.length - pending.length;
  const skipped: SkippedItem[] = [];
  const workers = options.workers ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  const builtIn = builtInExtractionMethods.some((method) => method.name === spec.name && registry.get(spec.name) === method);
  // Workers get no Node flags: V8 flags (--max-old-space-size...) are refused in workers, and test
  // runners' --conditions would resolve our packages to TypeScript sources.
  const usePool = workers > 0 && builtIn && pending.length > 1;
  const pool = usePool
    ? new Tinypool({
        filename: workerFile(),
        minThreads: Math.min(workers, pending.length),
        maxThreads: workers,
        execArgv: [],
      })
    : undefined;
  const progress = createProgressReporter(options.progress ?? 'auto', reader.name, pending.length);
  let extractedCount = 0;
  let failure: ExtractionFailedError | undefined;

  const extractItem = async (item: DatasetItem): Promise<void> => {
    let outcome: ExtractionOutcome;
    try {
      const audio = !item.path && reader.readAudio ? await reader.readAudio(item) : undefined;
      if (pool) {
        const job: ExtractionJob = audio ? { spec, audio } : { spec, path: item.path as string };
        outcome = (await pool.run(job)) as ExtractionOutcome;
      } else {
        const features: FeatureMatrix = await registry.extract(spec, audio ?? (await readAudioFile(item.path as string)));
        const data = features.data.byteLength === features.data.buffer.byteLength ? features.data : features.data.slice();
        outcome = data.every(Number.isFinite)
          ? { ok: true, buffer: data.buffer as ArrayBuffer, shape: [...features.shape] }
          : {
              ok: false,
              message: `${item.path ?? item.id}: the extracted features contain NaN or infinite values`,
              name: 'DataFormatError',
            };
      }
    } catch (error) {
      outcome = { ok: false, message: (error as Error).message, name: (error as Error).name };
    }
    if (outcome.ok) {
      journal.append(item.id, new Float32Array(outcome.buffer), outcome.shape, sourceOf(item));
      extractedCount++;
      return;
    }
    const reason = outcome.message;
    if ((options.onError ?? 'fail') === 'skip') {
      skipped.push({ id: item.id, path: item.path, reason });
      return;
    }
    failure ??= new ExtractionFailedError({
      itemId: item.id,
      path: item.path,
      message: `Extracting "${item.id}" failed: ${reason}. The items finished so far are kept in ${directory}.partial and will not be extracted again; fix or remove the file (or set onError: 'skip') and run again.`,
    });
  };

  try {
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(1, pool ? workers * 2 : 1);
    for (const item of pending) {
      if (failure) break;
      const running: Promise<void> = extractItem(item).finally(() => {
        inFlight.delete(running);
        progress.update(extractedCount + skipped.length, skipped.length);
      });
      inFlight.add(running);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    progress.stop();
    await pool?.destroy();
  }
  if (failure) {
    journal.close();
    throw failure;
  }

  const skippedIds = new Set(skipped.map((skip) => skip.id));
  const keptIndex = items.map((item) => journal.entries.has(item.id) && !skippedIds.has(item.id));
  const kept = items.filter((_, index) => keptIndex[index]);
  const entries = kept.map((item) => journal.entries.get(item.id) as JournalEntry);
  let split: PredefinedSplit | undefined;
  if (hasSplit) split = { kind: 'train-test', isTest: Uint8Array.from(kept, (item) => (item.split === 'test' ? 1 : 0)) };
  if (hasFold)
    split = {
      kind: 'folds',
      fold: Int32Array.from(kept, (item) => item.fold as number),
      foldCount: reader.foldCount ?? Math.max(...kept.map((item) => item.fold as number)) + 1,
    };
  await writeDatasetCache({
    directory,
    name: reader.name,
    tasks,
    count: kept.length,
    shapes: entries.map((entry) => entry.shape),
    readFeatures: (index) => journal.read(entries[index] as JournalEntry),
    targets: new Map(
      tasks.map((task) => {
        const all = rows.get(task.name) as TargetRow[];
        const flat = new Uint8Array(kept.length * task.outputSize);
        let position = 0;
        all.forEach((row, index) => {
          if (keptIndex[index]) flat.set(row, position++ * task.outputSize);
        });
        return [task.name, flat];
      }),
    ),
    ids: kept.map((item) => item.id),
    groups: kept.map((item) => item.group),
    metadata: kept.map((item) => ({ ...(item.path ? { sourceFile: item.path } : {}), ...item.metadata })),
    predefinedSplit: split,
    extra: { reader: reader.name, spec, specHash, itemCount: items.length, skipped },
  });
  journal.remove();
  return { dataset: await load(), spec, specHash, cacheDirectory: directory, fromCache: false, extractedCount, resumedCount, skipped };
}
