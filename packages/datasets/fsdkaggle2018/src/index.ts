/**
 * @polytask/dataset-fsdkaggle2018: FSDKaggle2018 (Fonseca et al. 2018), 11,073 Freesound
 * clips of 41 AudioSet classes with a predefined train/test split and a "manually verified"
 * flag on the training labels.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineTask, MissingFileError } from '@polytask/core';
import {
  assertFilesExist,
  type DataReader,
  type DatasetItem,
  defineReaderOptions,
  readCsv,
  validateReaderOptions,
} from '@polytask/data-reading';

/** Options of {@link createFsdKaggle2018Reader}. */
export interface FsdKaggle2018ReaderOptions {
  /** Corpus root (Zenodo layout `FSDKaggle2018.meta/`, `FSDKaggle2018.audio_train/`, `FSDKaggle2018.audio_test/`, or the Kaggle layout `train.csv`, `test_post_competition.csv`, `audio_train/`, `audio_test/`). */
  readonly directory: string;
  /** Keep only manually verified training labels. @default false */
  readonly verifiedOnly?: boolean;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<FsdKaggle2018ReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root, in the Zenodo or the Kaggle layout' },
  verifiedOnly: { type: 'boolean', default: false, description: 'Keep only manually verified training labels' },
});

function layout(directory: string) {
  const zenodo = {
    train: path.join(directory, 'FSDKaggle2018.meta', 'train_post_competition.csv'),
    test: path.join(directory, 'FSDKaggle2018.meta', 'test_post_competition_scoring_clips.csv'),
    trainAudio: path.join(directory, 'FSDKaggle2018.audio_train'),
    testAudio: path.join(directory, 'FSDKaggle2018.audio_test'),
  };
  if (existsSync(zenodo.train)) return zenodo;
  const kaggle = {
    train: path.join(directory, 'train.csv'),
    test: path.join(directory, 'test_post_competition.csv'),
    trainAudio: path.join(directory, 'audio_train'),
    testAudio: path.join(directory, 'audio_test'),
  };
  if (existsSync(kaggle.train)) return kaggle;
  throw new MissingFileError({
    path: zenodo.train,
    message: `FSDKaggle2018: neither ${zenodo.train} nor ${kaggle.train} exists; point the reader at the corpus root.`,
  });
}

/**
 * Reads FSDKaggle2018: task `sound` (multi-class, the 41 labels of the training CSV, sorted),
 * the official test clips as the test part, groups = Freesound id, metadata `manuallyVerified`.
 */
export function createFsdKaggle2018Reader(options: FsdKaggle2018ReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'fsdkaggle2018' });
  let labels: string[] | undefined;
  const files = () => layout(options.directory);
  const trainRows = () => readCsv(files().train, { requiredColumns: ['fname', 'label', 'manually_verified'] });
  const reader: DataReader = {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: options.verifiedOnly ? 'fsdkaggle2018-verified' : 'fsdkaggle2018',
    get tasks() {
      labels ??= [...new Set(trainRows().map((row) => row.label as string))].sort();
      return [defineTask({ name: 'sound', kind: 'multi-class', labels })];
    },
    async listItems() {
      const where = files();
      const train = trainRows().filter((row) => !options.verifiedOnly || row.manually_verified === '1');
      const test = readCsv(where.test, { requiredColumns: ['fname', 'label'] }).filter((row) => (row.usage ?? 'Public') !== 'Ignored');
      const items: DatasetItem[] = [
        ...train.map((row) => ({
          id: `train/${row.fname}`,
          path: path.join(where.trainAudio, row.fname as string),
          labels: { sound: row.label as string },
          split: 'train' as const,
          ...(row.freesound_id ? { group: `${row.freesound_id}` } : {}),
          metadata: { manuallyVerified: Number(row.manually_verified) },
        })),
        ...test.map((row) => ({
          id: `test/${row.fname}`,
          path: path.join(where.testAudio, row.fname as string),
          labels: { sound: row.label as string },
          split: 'test' as const,
          ...(row.freesound_id ? { group: `${row.freesound_id}` } : {}),
          metadata: { usage: row.usage ?? '' },
        })),
      ];
      assertFilesExist(
        items.map((item) => item.path as string),
        'FSDKaggle2018',
      );
      return items;
    },
  };
  return reader;
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createFsdKaggle2018Reader as createReader };
