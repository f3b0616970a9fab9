/**
 * @polytask/dataset-dcase2017-scenes: DCASE 2017 task 1, TUT Acoustic Scenes 2017
 * development set (Mesaros et al. 2017): 10-second recordings of 15 scenes, with the
 * four-fold evaluation setup.
 */
import path from 'node:path';
import { DataFormatError, defineTask } from '@polytask/core';
import {
  assertFilesExist,
  type DataReader,
  type DatasetItem,
  defineReaderOptions,
  readCsv,
  validateReaderOptions,
} from '@polytask/data-reading';

/** The 15 scenes. */
export const dcase2017Scenes: readonly string[] = Object.freeze([
  'beach',
  'bus',
  'cafe/restaurant',
  'car',
  'city_center',
  'forest_path',
  'grocery_store',
  'home',
  'library',
  'metro_station',
  'office',
  'park',
  'residential_area',
  'train',
  'tram',
]);

/** Options of {@link createDcase2017ScenesReader}. */
export interface Dcase2017ScenesReaderOptions {
  /** The development set folder holding `meta.txt`, `audio/` and `evaluation_setup/`. */
  readonly directory: string;
  /**
   * Keep the four folds of the evaluation setup (each recording location in one fold), or leave the
   * items without folds so the experiment's own k-fold splits them (still grouped by location),
   * e.g. for an experiment of five folds. @default true
   */
  readonly officialFolds?: boolean;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<Dcase2017ScenesReaderOptions>({
  directory: { type: 'string', required: true, description: 'The development set folder holding meta.txt, audio/ and evaluation_setup/' },
  officialFolds: {
    type: 'boolean',
    default: true,
    description: "The evaluation setup's four folds, or none (the experiment's k-fold splits, grouped by location)",
  },
});

/**
 * Reads `<root>/meta.txt` (`file<TAB>scene<TAB>location`) and the evaluation setup
 * (`evaluation_setup/fold<k>_evaluate.txt`, k = 1-4): task `scene` (multi-class, 15), folds from the
 * evaluate lists (0-3), groups = recording location (segments of one recording stay together).
 */
export function createDcase2017ScenesReader(options: Dcase2017ScenesReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'dcase2017-scenes' });
  const officialFolds = options.officialFolds ?? true;
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: 'dcase2017-scenes',
    tasks: [defineTask({ name: 'scene', kind: 'multi-class', labels: dcase2017Scenes })],
    ...(officialFolds ? { foldCount: 4 } : {}),
    async listItems() {
      const metadata = path.join(options.directory, 'meta.txt');
      const rows = readCsv(metadata, {
        columns: ['file', 'scene', 'location'],
        requiredColumns: ['file', 'scene', 'location'],
        delimiter: '\t',
      });
      const foldOf = new Map<string, number>();
      for (let fold = 1; fold <= 4; fold++) {
        for (const row of readCsv(path.join(options.directory, 'evaluation_setup', `fold${fold}_evaluate.txt`), {
          columns: ['file', 'scene'],
          requiredColumns: ['file'],
          delimiter: '\t',
        })) {
          foldOf.set(row.file as string, fold - 1);
        }
      }
      const items: DatasetItem[] = rows.map((row) => {
        const fold = foldOf.get(row.file as string);
        if (fold === undefined)
          throw new DataFormatError({
            path: metadata,
            message: `DCASE 2017 scenes: ${row.file} is in no evaluation_setup/fold<k>_evaluate.txt list.`,
          });
        return {
          id: row.file as string,
          path: path.join(options.directory, row.file as string),
          labels: { scene: row.scene as string },
          group: row.location as string,
          ...(officialFolds ? { fold } : {}),
          metadata: { location: row.location as string },
        };
      });
      assertFilesExist(
        items.map((item) => item.path as string),
        'DCASE 2017 scenes',
      );
      return items;
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createDcase2017ScenesReader as createReader };
