/**
 * A small AudioSet embedding release in the published layout, for tests of the reader and of
 * experiments that read AudioSet: `class_labels_indices.csv`, `ontology.json`, the three segment
 * lists, and `audioset_v1_embeddings/{bal_train,unbal_train,eval}/<first two characters of the
 * video id>.tfrecord`, written with this package's own protobuf and TFRecord encoders. Each class
 * raises its own five embedding dimensions, so the labels are learnable.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { encodeAudiosetSegment } from './audioset-segment';
import { type AudiosetPart, audiosetEmbeddingsFolder, audiosetParts } from './index';
import { encodeTfRecords } from './tfrecord';

/** Options of {@link writeAudiosetFixture}. */
export interface AudiosetFixtureOptions {
  /** The corpus root to write; created when missing. */
  readonly directory: string;
  /** Parts to write TFRecords for (all three segment lists are written in any case). @default ['bal_train', 'unbal_train', 'eval'] */
  readonly parts?: readonly AudiosetPart[];
  /** Segments per part; they cycle through {@link audiosetFixtureLabelSets}. @default 8 */
  readonly segmentsPerPart?: number;
  /** Seconds of embeddings per segment (the release has 10). @default 10 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** The fixture's classes: real AudioSet names and mids, indexed 0..n-1 in the fixture's `class_labels_indices.csv`. */
export const audiosetFixtureClasses: readonly (readonly [mid: string, displayName: string])[] = Object.freeze([
  ['/m/09x0r', 'Speech'],
  ['/m/05zppz', 'Male speech, man speaking'],
  ['/m/02zsn', 'Female speech, woman speaking'],
  ['/m/01h8n0', 'Conversation'],
  ['/m/03qtwd', 'Crowd'],
  ['/m/07rkbfh', 'Chatter'],
  ['/m/07qfr4h', 'Hubbub, speech noise, speech babble'],
  ['/m/028ght', 'Applause'],
  ['/m/0l15bq', 'Clapping'],
  ['/m/01j3sz', 'Laughter'],
  ['/m/0lyf6', 'Typing'],
  ['/m/07qc9xj', 'Clicking'],
  ['/m/02dgv', 'Door'],
  ['/m/07r4wb8', 'Knock'],
  ['/m/028v0c', 'Silence'],
  ['/m/07c52', 'Television'],
  ['/m/07pbtc8', 'Walk, footsteps'],
  ['/m/04rlf', 'Music'],
  ['/m/0bt9lr', 'Dog'],
  ['/m/06mb1', 'Rain'],
]);

/** The label sets (display names) fixture segments cycle through, chosen to exercise the grouped modes. */
export const audiosetFixtureLabelSets: readonly (readonly string[])[] = Object.freeze([
  ['Speech'],
  ['Crowd', 'Music'],
  ['Silence'],
  ['Silence', 'Dog'],
  ['Laughter', 'Applause'],
  ['Music', 'Rain'],
  ['Typing', 'Male speech, man speaking'],
  ['Walk, footsteps', 'Television', 'Door'],
]);

const videoIdCharacters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const filePrefixes = ['-0', 'aB', 'Zz'];

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const segmentListName: Record<AudiosetPart, string> = {
  bal_train: 'balanced_train_segments.csv',
  unbal_train: 'unbalanced_train_segments.csv',
  eval: 'eval_segments.csv',
};

/**
 * Writes the fixture release and returns `directory`.
 * @throws InvalidArgumentError for a part the release does not have.
 * @example createAudiosetReader({ directory: writeAudiosetFixture({ directory: temporaryFolder }), labelMode: 'park' })
 */
export function writeAudiosetFixture(options: AudiosetFixtureOptions): string {
  const { directory } = options;
  const parts = options.parts ?? audiosetParts;
  const unknown = parts.find((part) => !audiosetParts.includes(part));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'parts',
      value: unknown,
      message: `"${unknown}" is not a part; choose from ${audiosetParts.join(', ')}.`,
    });
  const segmentsPerPart = options.segmentsPerPart ?? audiosetFixtureLabelSets.length;
  const seconds = options.seconds ?? 10;
  const next = random(options.seed ?? 1);
  mkdirSync(directory, { recursive: true });
  const indexOf = new Map(audiosetFixtureClasses.map(([, name], index) => [name, index]));
  writeFileSync(
    path.join(directory, 'class_labels_indices.csv'),
    `index,mid,display_name\n${audiosetFixtureClasses.map(([mid, name], index) => `${index},${mid},"${name}"`).join('\n')}\n`,
  );
  writeFileSync(
    path.join(directory, 'ontology.json'),
    JSON.stringify(
      audiosetFixtureClasses.map(([mid, name]) => ({
        id: mid,
        name,
        description: '',
        citation_uri: '',
        positive_examples: [],
        child_ids: [],
        restrictions: [],
      })),
      null,
      1,
    ),
  );
  for (const part of audiosetParts) {
    const rows: string[] = [];
    const files = new Map<string, Uint8Array[]>();
    if (parts.includes(part)) {
      for (let index = 0; index < segmentsPerPart; index++) {
        const names = audiosetFixtureLabelSets[index % audiosetFixtureLabelSets.length] as readonly string[];
        const labels = names.map((name) => indexOf.get(name) as number);
        const prefix = filePrefixes[index % filePrefixes.length] as string;
        const videoId = prefix + Array.from({ length: 9 }, () => videoIdCharacters[Math.floor(next() * 64)]).join('');
        const startTimeSeconds = 10 * Math.floor(next() * 30);
        const embeddings = Array.from({ length: seconds }, () => {
          const embedding = Uint8Array.from({ length: 128 }, () => 128 + Math.floor((next() - 0.5) * 16));
          for (const label of labels) for (let offset = 0; offset < 5; offset++) embedding[(label * 5 + offset) % 128] = 230;
          return embedding;
        });
        const record = encodeAudiosetSegment({ videoId, startTimeSeconds, endTimeSeconds: startTimeSeconds + 10, labels, embeddings });
        files.set(prefix, [...(files.get(prefix) ?? []), record]);
        const mids = labels.map((label) => (audiosetFixtureClasses[label] as readonly [string, string])[0]);
        rows.push(`${videoId}, ${startTimeSeconds.toFixed(3)}, ${(startTimeSeconds + 10).toFixed(3)}, "${mids.join(',')}"`);
      }
      const folder = path.join(directory, audiosetEmbeddingsFolder, part);
      mkdirSync(folder, { recursive: true });
      for (const [prefix, records] of files) writeFileSync(path.join(folder, `${prefix}.tfrecord`), encodeTfRecords(records));
    }
    const labelCount = new Set(rows.flatMap((row) => (/"(.*)"/.exec(row)?.[1] ?? '').split(','))).size;
    const positives = rows.reduce((sum, row) => sum + (/"(.*)"/.exec(row)?.[1] ?? '').split(',').length, 0);
    writeFileSync(
      path.join(directory, segmentListName[part]),
      [
        '# Segments csv created Sun Mar  5 10:54:25 2017',
        `# num_ytids=${rows.length}, num_segs=${rows.length}, num_unique_labels=${labelCount}, num_positive_labels=${positives}`,
        '# YTID, start_seconds, end_seconds, positive_labels',
        ...rows,
        '',
      ].join('\n'),
    );
  }
  return directory;
}
