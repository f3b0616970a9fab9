/**
 * A generated multi-task audio corpus, the default dataset of the quick start. Every clip
 * is a harmonic "voice" whose pitch contour is the keyword (rise, fall, flat, wobble), whose
 * pitch range is the speaker group (low, high), with optional noise tags (mains hum, hiss).
 * Twelve synthetic speakers give groups for leakage-free splitting. Deterministic from a seed;
 * written as 16 kHz WAV (wavefile) with a `metadata.csv`, read back by {@link createSyntheticReader}.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRandom, defineTask, type TaskDefinition } from '@polytask/core';
import type { DataReader, DatasetItem } from '@polytask/data-reading';
import { generateOnce, readMetadata, toPcm16, writeMetadata, writeWav } from './internal/corpus-files';

/** The corpus's tasks: keyword (multi-class, main), speaker pitch (binary), noise tags (multi-label). */
export const syntheticTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'keyword', kind: 'multi-class', labels: ['rise', 'fall', 'flat', 'wobble'] }),
  defineTask({ name: 'pitch', kind: 'binary', labels: ['low', 'high'] }),
  defineTask({ name: 'noise', kind: 'multi-label', labels: ['hum', 'hiss'] }),
]);

/** Twelve synthetic speakers, six with a low and six with a high pitch range, each with its own timbre. */
const speakers = Array.from({ length: 12 }, (_, index) => {
  const high = index % 2 === 1;
  const rank = Math.floor(index / 2);
  return {
    id: `speaker-${String.fromCharCode(97 + index)}`,
    pitch: high ? 'high' : 'low',
    f0: high ? 185 + 14 * rank : 88 + 9 * rank,
    brightness: 0.6 + 0.07 * ((index * 5) % 6),
  };
});

/** Options of {@link generateSyntheticCorpus}. */
export interface SyntheticCorpusOptions {
  /** Folder to write (created; an existing complete corpus is kept). */
  readonly directory: string;
  /** Clips per keyword and speaker. @default 4 */
  readonly clipsPerSpeakerAndKeyword?: number;
  /** @default 16000 */
  readonly sampleRate?: number;
  /** Clip length in seconds. @default 1 */
  readonly seconds?: number;
  /** @default 2021 */
  readonly seed?: number;
}

function synthesize(
  keyword: string,
  f0: number,
  brightness: number,
  tags: readonly string[],
  sampleRate: number,
  seconds: number,
  random: () => number,
): Int16Array {
  const length = Math.round(sampleRate * seconds);
  const samples = new Float64Array(length);
  let phase = 0;
  const jitter = 1 + (random() - 0.5) * 0.08;
  for (let index = 0; index < length; index++) {
    const t = index / length;
    // each keyword is a pitch contour and a loudness shape, as syllables differ in both
    const contour =
      keyword === 'rise'
        ? 0.7 + 0.9 * t
        : keyword === 'fall'
          ? 1.6 - 0.9 * t
          : keyword === 'wobble'
            ? 1 + 0.2 * Math.sin(2 * Math.PI * 5 * t)
            : 1;
    const loudness =
      keyword === 'rise'
        ? 0.3 + 0.7 * t
        : keyword === 'fall'
          ? 1 - 0.7 * t
          : keyword === 'wobble'
            ? 0.65 + 0.35 * Math.sin(2 * Math.PI * 6 * t)
            : 0.8;
    phase += (2 * Math.PI * f0 * jitter * contour) / sampleRate;
    let value = 0;
    for (let harmonic = 1; harmonic <= 10; harmonic++) value += (brightness ** harmonic * Math.sin(harmonic * phase)) / harmonic;
    const envelope = Math.min(1, t * 20) * Math.min(1, (1 - t) * 10);
    samples[index] = 0.35 * envelope * loudness * value;
  }
  for (let index = 0; index < length; index++) {
    if (tags.includes('hum'))
      samples[index] =
        (samples[index] as number) +
        0.08 * Math.sin((2 * Math.PI * 50 * index) / sampleRate) +
        0.04 * Math.sin((2 * Math.PI * 100 * index) / sampleRate);
    if (tags.includes('hiss')) samples[index] = (samples[index] as number) + 0.06 * (random() - 0.5);
    samples[index] = (samples[index] as number) + 0.002 * (random() - 0.5);
  }
  return toPcm16(samples);
}

/**
 * Writes the corpus (about 1 MB per 32 clips) unless `metadata.csv` already exists; returns the directory.
 * @example await generateSyntheticCorpus({ directory: '.polytask-data/synthetic' })
 */
export function generateSyntheticCorpus(options: SyntheticCorpusOptions): string {
  const { directory } = options;
  generateOnce(directory, () => {
    const clips = options.clipsPerSpeakerAndKeyword ?? 4;
    const sampleRate = options.sampleRate ?? 16000;
    const seconds = options.seconds ?? 1;
    const random = createRandom(options.seed ?? 2021);
    const rows = ['file,keyword,pitch,noise,speaker'];
    const keywords = syntheticTasks[0]?.labels ?? [];
    for (const speaker of speakers) {
      mkdirSync(path.join(directory, 'clips', speaker.id), { recursive: true });
      for (const keyword of keywords) {
        for (let clip = 0; clip < clips; clip++) {
          const tags = [random() < 0.4 ? 'hum' : '', random() < 0.4 ? 'hiss' : ''].filter(Boolean);
          const file = path.join('clips', speaker.id, `${keyword}-${clip}.wav`);
          const samples = synthesize(keyword, speaker.f0, speaker.brightness, tags, sampleRate, seconds, random);
          writeWav({ file: path.join(directory, file), sampleRate, samples });
          rows.push([file, keyword, speaker.pitch, tags.join(';'), speaker.id].join(','));
        }
      }
    }
    // metadata last, atomically: its presence marks a complete corpus
    writeMetadata(directory, rows);
  });
  return directory;
}

/**
 * A reader for a corpus written by {@link generateSyntheticCorpus}; speakers are the groups.
 * @throws MissingFileError naming `metadata.csv` when the folder holds no corpus.
 */
export function createSyntheticReader(options: { directory: string }): DataReader {
  const { directory } = options;
  return {
    specificationVersion: 'v1',
    options: { directory: path.resolve(options.directory) },
    name: 'synthetic',
    tasks: syntheticTasks,
    async listItems(): Promise<DatasetItem[]> {
      const rows = readMetadata({
        directory,
        columns: ['file', 'keyword', 'pitch', 'noise', 'speaker'],
        emptyAllowed: ['noise'],
        generateHint: `generateSyntheticCorpus({ directory: '${directory}' })`,
      });
      return rows.map((row) => ({
        id: row.file,
        path: path.join(directory, row.file),
        labels: { keyword: row.keyword, pitch: row.pitch, noise: row.noise ? row.noise.split(';') : [] },
        group: row.speaker,
        metadata: { speaker: row.speaker },
      }));
    },
  };
}
