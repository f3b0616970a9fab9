/**
 * @polytask/dataset-asvspoof2015: ASVspoof 2015 (Wu et al. 2015), genuine and spoofed
 * speech (attacks S1-S10) with the countermeasure protocols, plus speaker gender from the
 * joint ASV protocol lists as an extra task over the same audio.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, defineTask, MissingFileError, type TaskDefinition } from '@polytask/core';
import {
  assertFilesExist,
  type DataReader,
  type DatasetItem,
  defineReaderOptions,
  readCsv,
  validateReaderOptions,
} from '@polytask/data-reading';

/** Tasks: spoof (binary genuine/spoof, main), attack (multi-class human, S1-S10), gender (binary female/male). */
export const asvspoofTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'spoof', kind: 'binary', labels: ['genuine', 'spoof'] }),
  defineTask({ name: 'attack', kind: 'multi-class', labels: ['human', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9', 'S10'] }),
  defineTask({ name: 'gender', kind: 'binary', labels: ['female', 'male'] }),
]);

/** Options of {@link createAsvspoof2015Reader}. */
export interface Asvspoof2015ReaderOptions {
  /** Corpus root holding `CM_protocol/`, `Joint_ASV_CM_protocol/` and `wav/`. */
  readonly directory: string;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<Asvspoof2015ReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root holding CM_protocol/, Joint_ASV_CM_protocol/ and wav/' },
});

const protocols = [
  ['cm_train.trn', 'train'],
  ['cm_develop.ndx', 'train'],
  ['cm_evaluation.ndx', 'test'],
] as const;

/**
 * Reads ASVspoof 2015 from `<root>/CM_protocol/` (`speaker file attack key` per line) and
 * `<root>/wav/<speaker>/<file>.wav`; `<root>/Joint_ASV_CM_protocol/ASV_{male,female}_*.ndx` give
 * the speakers' gender. Training and development lists form the train part, evaluation the test
 * part; the speaker is the group.
 */
export function createAsvspoof2015Reader(options: Asvspoof2015ReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'asvspoof2015' });
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: 'asvspoof2015',
    tasks: asvspoofTasks,
    async listItems() {
      const joint = path.join(options.directory, 'Joint_ASV_CM_protocol');
      if (!existsSync(joint))
        throw new MissingFileError({
          path: joint,
          message: `ASVspoof 2015: ${joint} is missing; it holds the ASV_male_*.ndx and ASV_female_*.ndx lists that give each speaker's gender.`,
        });
      const gender = new Map<string, string>();
      for (const file of readdirSync(joint).filter((name) => /^ASV_(male|female)_.*\.ndx$/.test(name))) {
        const value = file.startsWith('ASV_male') ? 'male' : 'female';
        for (const row of readCsv(path.join(joint, file), {
          columns: ['speaker', 'file', 'method', 'source'],
          requiredColumns: ['speaker'],
          delimiter: /\s+/,
        }))
          gender.set(row.speaker as string, value);
      }
      const items: DatasetItem[] = [];
      for (const [file, split] of protocols) {
        const list = path.join(options.directory, 'CM_protocol', file);
        for (const row of readCsv(list, {
          columns: ['speaker', 'file', 'attack', 'key'],
          requiredColumns: ['speaker', 'file', 'attack', 'key'],
          delimiter: /\s+/,
        })) {
          const speaker = row.speaker as string;
          const speakerGender = gender.get(speaker);
          if (!speakerGender)
            throw new DataFormatError({
              path: list,
              message: `ASVspoof 2015: speaker ${speaker} of ${list} is in no Joint_ASV_CM_protocol/ASV_{male,female}_*.ndx list, so its gender is unknown.`,
            });
          if (row.key !== 'genuine' && row.key !== 'spoof')
            throw new DataFormatError({ path: list, message: `${list}: key "${row.key}" of ${row.file} is neither genuine nor spoof.` });
          items.push({
            id: `${speaker}/${row.file}`,
            path: path.join(options.directory, 'wav', speaker, `${row.file}.wav`),
            labels: { spoof: row.key, attack: row.attack === 'human' ? 'human' : (row.attack as string), gender: speakerGender },
            group: speaker,
            split,
            metadata: { protocol: file },
          });
        }
      }
      assertFilesExist(
        items.map((item) => item.path as string),
        'ASVspoof 2015',
      );
      return items;
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createAsvspoof2015Reader as createReader };
