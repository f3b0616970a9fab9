/**
 * A third generated corpus, "tones", for regression: every clip is a steady harmonic tone whose
 * pitch (semitones above 110 Hz) and level (dB) are drawn at random and are the clip's
 * real-valued targets, the two outputs of one regression task. Six recording sessions, each with
 * its own hum and noise floor, are the groups. 16 kHz; written as 16-bit WAV with a
 * `metadata.csv`, read back by {@link createSyntheticTonesReader}, which gives the targets in
 * `DatasetItem.values`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRandom, DataFormatError, defineTask, type TaskDefinition } from '@polytask/core';
import type { DataReader, DatasetItem } from '@polytask/data-reading';
import { generateOnce, metadataFileName, readMetadata, toPcm16, writeMetadata, writeWav } from './internal/corpus-files';

/** The tones corpus's task: `tone` (regression; outputs `pitch` in semitones above 110 Hz, `level` in dB full scale). */
export const syntheticTonesTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'tone', kind: 'regression', outputs: ['pitch', 'level'] }),
]);

/** Options of {@link generateSyntheticTones}. */
export interface SyntheticTonesOptions {
  /** Folder to write (created; an existing complete corpus is kept). */
  readonly directory: string;
  /** Clips per recording session (six sessions). @default 24 */
  readonly clipsPerSession?: number;
  /** @default 16000 */
  readonly sampleRate?: number;
  /** Clip length in seconds. @default 1 */
  readonly seconds?: number;
  /** @default 440 */
  readonly seed?: number;
}

/** Lowest pitch (0 semitones) in Hz. */
const basePitch = 110;
const sessionCount = 6;

/**
 * Writes the tones corpus unless `metadata.csv` already exists; returns the directory. Pitch is
 * uniform in [0, 30) semitones (110 to 620 Hz), level uniform in [−30, −6) dB.
 * @example generateSyntheticTones({ directory: '.polytask/data/tones' })
 */
export function generateSyntheticTones(options: SyntheticTonesOptions): string {
  const { directory } = options;
  generateOnce(directory, () => {
    const clips = options.clipsPerSession ?? 24;
    const sampleRate = options.sampleRate ?? 16000;
    const seconds = options.seconds ?? 1;
    const random = createRandom(options.seed ?? 440);
    const rows = ['file,pitch,level,session'];
    for (let session = 0; session < sessionCount; session++) {
      const sessionId = `session-${session + 1}`;
      mkdirSync(path.join(directory, 'sessions', sessionId), { recursive: true });
      const hum = 0.002 + 0.002 * session;
      for (let clip = 0; clip < clips; clip++) {
        const pitch = Math.round(30 * random() * 100) / 100;
        const level = Math.round((-30 + 24 * random()) * 100) / 100;
        const frequency = basePitch * 2 ** (pitch / 12);
        const amplitude = 10 ** (level / 20);
        const length = Math.round(sampleRate * seconds);
        const samples = new Float64Array(length);
        for (let index = 0; index < length; index++) {
          const time = index / sampleRate;
          let value = 0;
          for (let harmonic = 1; harmonic <= 4; harmonic++) value += Math.sin(2 * Math.PI * harmonic * frequency * time) / harmonic;
          const envelope = Math.min(1, index / (0.02 * sampleRate)) * Math.min(1, (length - index) / (0.02 * sampleRate));
          samples[index] = (amplitude * envelope * value) / 1.5 + hum * Math.sin(2 * Math.PI * 50 * time) + 0.001 * (random() - 0.5);
        }
        const file = path.join('sessions', sessionId, `tone-${clip}.wav`);
        writeWav({ file: path.join(directory, file), sampleRate, samples: toPcm16(samples) });
        rows.push([file, pitch, level, sessionId].join(','));
      }
    }
    // metadata last, atomically: its presence marks a complete corpus
    writeMetadata(directory, rows);
  });
  return directory;
}

/**
 * A reader for a corpus written by {@link generateSyntheticTones}, named `synthetic-tones`: each
 * clip's pitch and level are the values of its `tone` task; sessions are the groups.
 * @throws MissingFileError naming `metadata.csv` when the folder holds no corpus; DataFormatError naming it when a value is not a number.
 */
export function createSyntheticTonesReader(options: { directory: string }): DataReader {
  const { directory } = options;
  return {
    specificationVersion: 'v1',
    options: { directory: path.resolve(options.directory) },
    name: 'synthetic-tones',
    tasks: syntheticTonesTasks,
    async listItems(): Promise<DatasetItem[]> {
      const rows = readMetadata({
        directory,
        columns: ['file', 'pitch', 'level', 'session'],
        generateHint: `generateSyntheticTones({ directory: '${directory}' })`,
      });
      return rows.map((row) => {
        const values = [Number(row.pitch), Number(row.level)];
        // a non-numeric cell is a damaged table (readMetadata refuses empty ones); NaN never reaches the dataset
        if (values.some((value) => !Number.isFinite(value)))
          throw new DataFormatError({
            path: path.join(directory, metadataFileName),
            message: `${path.join(directory, metadataFileName)}: the row of ${row.file} has pitch "${row.pitch}" and level "${row.level}"; both must be numbers.`,
          });
        return {
          id: row.file,
          path: path.join(directory, row.file),
          labels: {},
          values: { tone: values },
          group: row.session,
          metadata: { session: row.session },
        };
      });
    },
  };
}
