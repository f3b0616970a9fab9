/**
 * @polytask/dataset-esc50: ESC-50 (Piczak 2015), 2,000 five-second clips of 50
 * environmental sound classes in 5 predefined folds, read in its published layout.
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

/** The 50 ESC-50 categories in target-number order (0-49). */
export const esc50Categories: readonly string[] = Object.freeze([
  'dog',
  'rooster',
  'pig',
  'cow',
  'frog',
  'cat',
  'hen',
  'insects',
  'sheep',
  'crow',
  'rain',
  'sea_waves',
  'crackling_fire',
  'crickets',
  'chirping_birds',
  'water_drops',
  'wind',
  'pouring_water',
  'toilet_flush',
  'thunderstorm',
  'crying_baby',
  'sneezing',
  'clapping',
  'breathing',
  'coughing',
  'footsteps',
  'laughing',
  'brushing_teeth',
  'snoring',
  'drinking_sipping',
  'door_wood_knock',
  'mouse_click',
  'keyboard_typing',
  'door_wood_creaks',
  'can_opening',
  'washing_machine',
  'vacuum_cleaner',
  'clock_alarm',
  'clock_tick',
  'glass_breaking',
  'helicopter',
  'chainsaw',
  'siren',
  'car_horn',
  'engine',
  'train',
  'church_bells',
  'airplane',
  'fireworks',
  'hand_saw',
]);

/** Options of {@link createEsc50Reader}. */
export interface Esc50ReaderOptions {
  /** Corpus root holding `meta/esc50.csv` and `audio/`. */
  readonly directory: string;
  /** Only the ESC-10 subset (10 classes, `esc10` column True). @default false */
  readonly esc10?: boolean;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<Esc50ReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root holding meta/esc50.csv and audio/' },
  esc10: { type: 'boolean', default: false, description: 'Only the ESC-10 subset (10 classes, esc10 column True)' },
});

/**
 * Reads ESC-50: task `sound` (multi-class, 50 categories, or the 10 of ESC-10), predefined folds
 * 1-5 (as 0-4), groups = `src_file` (the Freesound clip the fragments were cut from).
 */
export function createEsc50Reader(options: Esc50ReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'esc50' });
  const metadata = path.join(options.directory, 'meta', 'esc50.csv');
  const rows = () => readCsv(metadata, { requiredColumns: ['filename', 'fold', 'target', 'category', 'esc10', 'src_file'] });
  const labels = options.esc10
    ? ['dog', 'rooster', 'rain', 'sea_waves', 'crackling_fire', 'crying_baby', 'sneezing', 'clock_tick', 'helicopter', 'chainsaw']
    : [...esc50Categories];
  const tasks: TaskDefinition[] = [defineTask({ name: 'sound', kind: 'multi-class', labels })];
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: options.esc10 ? 'esc10' : 'esc50',
    tasks,
    foldCount: 5,
    async listItems() {
      const items: DatasetItem[] = rows()
        .filter((row) => !options.esc10 || row.esc10 === 'True')
        .map((row) => ({
          id: row.filename as string,
          path: path.join(options.directory, 'audio', row.filename as string),
          labels: { sound: row.category as string },
          group: `${row.src_file}`,
          fold: Number(row.fold) - 1,
          metadata: { target: Number(row.target) },
        }));
      assertFilesExist(
        items.map((item) => item.path as string),
        'ESC-50',
      );
      return items;
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createEsc50Reader as createReader };
