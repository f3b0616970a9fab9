/**
 * @polytask/dataset-urbansound8k: UrbanSound8K (Salamon et al. 2014), 8,732 urban sound
 * excerpts of 10 classes in 10 predefined folds, which must be used as folds.
 */
import path from 'node:path';
import { defineTask, type TaskDefinition } from '@polytask/core';
import {
  assertFilesExist,
  type DataReader,
  type DatasetItem,
  defineReaderOptions,
  readCsv,
  validateReaderOptions,
} from '@polytask/data-reading';

/** The 10 classes in classID order. */
export const urbanSoundClasses: readonly string[] = Object.freeze([
  'air_conditioner',
  'car_horn',
  'children_playing',
  'dog_bark',
  'drilling',
  'engine_idling',
  'gun_shot',
  'jackhammer',
  'siren',
  'street_music',
]);

/** Options of {@link createUrbanSound8kReader}. */
export interface UrbanSound8kReaderOptions {
  /** Corpus root holding `metadata/UrbanSound8K.csv` and `audio/fold1/` to `audio/fold10/`. */
  readonly directory: string;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<UrbanSound8kReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root holding metadata/UrbanSound8K.csv and audio/fold<N>/' },
});

/**
 * Reads UrbanSound8K from `<directory>/metadata/UrbanSound8K.csv` and `audio/fold<N>/`: task `urban`
 * (multi-class, 10 classes), predefined folds 1-10 (as 0-9), groups = `fsID` (the Freesound recording).
 */
export function createUrbanSound8kReader(options: UrbanSound8kReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'urbansound8k' });
  const tasks: TaskDefinition[] = [defineTask({ name: 'urban', kind: 'multi-class', labels: urbanSoundClasses })];
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: 'urbansound8k',
    tasks,
    foldCount: 10,
    async listItems() {
      const rows = readCsv(path.join(options.directory, 'metadata', 'UrbanSound8K.csv'), {
        requiredColumns: ['slice_file_name', 'fsID', 'start', 'end', 'salience', 'fold', 'classID', 'class'],
      });
      const items: DatasetItem[] = rows.map((row) => ({
        id: `fold${row.fold}/${row.slice_file_name}`,
        path: path.join(options.directory, 'audio', `fold${row.fold}`, row.slice_file_name as string),
        labels: { urban: urbanSoundClasses[Number(row.classID)] ?? (row.class as string) },
        group: `${row.fsID}`,
        fold: Number(row.fold) - 1,
        metadata: { salience: Number(row.salience), start: Number(row.start), end: Number(row.end) },
      }));
      assertFilesExist(
        items.map((item) => item.path as string),
        'UrbanSound8K',
      );
      return items;
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createUrbanSound8kReader as createReader };
