import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, MissingFileError } from '@polytask/core';
import { type DataReader, readDataset, validateReaderOptions } from '@polytask/data-reading';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createAudiosetReader,
  decodeAudiosetSegment,
  readAudiosetClasses,
  readAudiosetSegmentList,
  readerOptionsSchema,
  readTfRecordFile,
  TfRecordError,
} from './index';
import { audiosetFixtureClasses, audiosetFixtureLabelSets, writeAudiosetFixture } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-audioset-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const directory = writeAudiosetFixture({ directory: path.join(root, 'audioset'), segmentsPerPart: 8, seconds: 10 });

/** A reader's labels per segment, keyed by the segment's raw class names (sorted, joined by |). */
async function groupedByRawLabels(reader: DataReader): Promise<Record<string, unknown>> {
  const raw = new Map(
    (await createAudiosetReader({ directory, parts: ['bal_train'] }).listItems()).map((item) => [
      item.id,
      item.labels.audioset as string[],
    ]),
  );
  const task = reader.tasks[0]?.name as string;
  return Object.fromEntries((await reader.listItems()).map((item) => [[...(raw.get(item.id) ?? [])].sort().join('|'), item.labels[task]]));
}

describe('writeAudiosetFixture', () => {
  it('writes the release layout: metadata files and TFRecords named after video-id prefixes', () => {
    for (const file of [
      'class_labels_indices.csv',
      'ontology.json',
      'balanced_train_segments.csv',
      'eval_segments.csv',
      'unbalanced_train_segments.csv',
    ])
      expect(existsSync(path.join(directory, file))).toBe(true);
    for (const part of ['bal_train', 'unbal_train', 'eval'])
      expect(readdirSync(path.join(directory, 'audioset_v1_embeddings', part)).sort()).toEqual([
        '-0.tfrecord',
        'Zz.tfrecord',
        'aB.tfrecord',
      ]);
    const lines = readFileSync(path.join(directory, 'eval_segments.csv'), 'utf8').split('\n');
    expect(lines.slice(0, 3).every((line) => line.startsWith('# '))).toBe(true);
    expect(lines[2]).toBe('# YTID, start_seconds, end_seconds, positive_labels');
  });

  it('agrees with its segment lists, and every record decodes to 10 seconds of 128 bytes', async () => {
    const classes = readAudiosetClasses(path.join(directory, 'class_labels_indices.csv'));
    expect(classes.map((entry) => entry.displayName)).toEqual(audiosetFixtureClasses.map(([, name]) => name));
    const listed = readAudiosetSegmentList(path.join(directory, 'balanced_train_segments.csv'));
    expect(listed).toHaveLength(8);
    const segments = (
      await Promise.all(
        ['-0', 'aB', 'Zz'].map((prefix) =>
          readTfRecordFile(path.join(directory, 'audioset_v1_embeddings', 'bal_train', `${prefix}.tfrecord`)),
        ),
      )
    )
      .flat()
      .map((record) => decodeAudiosetSegment(record.data));
    expect(segments).toHaveLength(8);
    for (const segment of segments) {
      const row = listed.find((entry) => entry.videoId === segment.videoId);
      expect(row?.startSeconds).toBe(segment.startTimeSeconds);
      expect(row?.positiveLabels).toEqual(segment.labels.map((label) => classes[label]?.mid));
      expect(segment.embeddings.map((embedding) => embedding.length)).toEqual(Array(10).fill(128));
    }
  });
});

describe('createAudiosetReader', () => {
  it('lists bal_train and eval segments with the 527-class style task, train/test split and video groups', async () => {
    const reader = createAudiosetReader({ directory });
    expect(reader.tasks[0]?.name).toBe('audioset');
    expect(reader.tasks[0]?.kind).toBe('multi-label');
    expect(reader.tasks[0]?.labels).toHaveLength(audiosetFixtureClasses.length);
    const items = await reader.listItems();
    expect(items).toHaveLength(16);
    expect(items.filter((item) => item.split === 'test')).toHaveLength(8);
    expect(items.every((item) => item.id.startsWith(item.split === 'test' ? 'eval/' : 'bal_train/'))).toBe(true);
    const labelSets = items.map((item) => [...(item.labels.audioset as string[])].sort());
    for (const set of audiosetFixtureLabelSets) expect(labelSets).toContainEqual([...set].sort());
    expect(items[0]?.group).toBe(items[0]?.metadata?.videoId);
  });

  it('leaves the split to the folds when eval is not read (Park: training parts only)', async () => {
    const items = await createAudiosetReader({ directory, parts: ['bal_train'] }).listItems();
    expect(items).toHaveLength(8);
    expect(items.every((item) => item.split === undefined)).toBe(true);
  });

  it('yields the dequantised embeddings as features, value * 4 / 255 - 2', async () => {
    const reader = createAudiosetReader({ directory, parts: ['eval'] });
    const [item] = await reader.listItems();
    const features = await reader.readFeatures?.(item as never);
    expect(features?.shape).toEqual([10, 128]);
    const record = (await readTfRecordFile(path.join(directory, String(item?.metadata?.file)))).find(
      (entry) => entry.offset === item?.metadata?.offset,
    );
    const raw = decodeAudiosetSegment(record?.data as Uint8Array).embeddings[3] as Uint8Array;
    expect(features?.data[3 * 128 + 7]).toBeCloseTo(((raw[7] as number) * 4) / 255 - 2, 6);
    expect(Math.min(...(features?.data ?? []))).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...(features?.data ?? []))).toBeLessThanOrEqual(2);
  });

  it('maps labels to Park groups: silence and others only alone, fixed label order', async () => {
    const reader = createAudiosetReader({ directory, labelMode: 'park', parts: ['bal_train'] });
    expect(reader.tasks[0]?.name).toBe('park_audioset');
    expect(reader.tasks[0]?.labels).toEqual([
      'crowd',
      'applause',
      'laughter',
      'typing/clicking',
      'door',
      'silence',
      'television',
      'walk',
      'speech',
      'others',
    ]);
    expect(await groupedByRawLabels(reader)).toEqual({
      Speech: ['speech'],
      'Crowd|Music': ['crowd'],
      Silence: ['silence'],
      'Dog|Silence': ['others'],
      'Applause|Laughter': ['applause', 'laughter'],
      'Music|Rain': ['others'],
      'Male speech, man speaking|Typing': ['typing/clicking', 'speech'],
      'Door|Television|Walk, footsteps': ['door', 'television', 'walk'],
    });
  });

  it("keeps Chen's spelling apart and keeps only single-group segments in park-multiclass", async () => {
    const chen = createAudiosetReader({ directory, labelMode: 'chen', parts: ['bal_train'] });
    expect(chen.tasks[0]?.name).toBe('chen_audioset');
    expect(chen.tasks[0]?.labels).toContain('Laughter');
    expect((await groupedByRawLabels(chen))['Applause|Laughter']).toEqual(['applause', 'Laughter']);
    const multiclass = createAudiosetReader({ directory, labelMode: 'park-multiclass', parts: ['bal_train'] });
    expect(multiclass.tasks[0]?.kind).toBe('multi-class');
    expect(await groupedByRawLabels(multiclass)).toEqual({
      Speech: 'speech',
      'Crowd|Music': 'crowd',
      Silence: 'silence',
      'Dog|Silence': 'others',
      'Music|Rain': 'others',
    });
  });

  it('reads through readDataset with the precomputed extraction only', async () => {
    const reader = createAudiosetReader({ directory, labelMode: 'park' });
    const result = await readDataset(reader, {
      extraction: { name: 'precomputed', sampleRate: 16000 },
      cacheDirectory: path.join(root, 'cache'),
      progress: 'none',
    });
    expect(result.dataset.size).toBe(16);
    expect(result.dataset.featuresOf(0).shape).toEqual([10, 128]);
    await expect(
      readDataset(reader, {
        extraction: { name: 'log-mel', sampleRate: 16000 },
        cacheDirectory: path.join(root, 'cache'),
        progress: 'none',
      }),
    ).rejects.toSatisfy((error) => ConfigError.isInstance(error));
  });

  it('names the file and byte offset of a damaged record', async () => {
    const damaged = writeAudiosetFixture({ directory: path.join(root, 'damaged'), parts: ['eval'] });
    const file = path.join(damaged, 'audioset_v1_embeddings', 'eval', 'aB.tfrecord');
    const records = await readTfRecordFile(file);
    const second = records[1]?.offset as number;
    const bytes = readFileSync(file);
    bytes[second + 12 + 20] = (bytes[second + 12 + 20] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const attempt = createAudiosetReader({ directory: damaged, parts: ['eval'] }).listItems();
    await expect(attempt).rejects.toSatisfy(
      (error) =>
        TfRecordError.isInstance(error) &&
        error.path === file &&
        error.offset === second &&
        /byte \d+ is damaged \(the CRC of the data/.test(error.message),
    );
    writeFileSync(file, bytes.subarray(0, second + 30));
    await expect(createAudiosetReader({ directory: damaged, parts: ['eval'] }).listItems()).rejects.toSatisfy(
      (error) => TfRecordError.isInstance(error) && error.offset === second && /file ends before them/.test(error.message),
    );
  });

  it('names a missing part folder and rejects a misspelled option', async () => {
    const partial = writeAudiosetFixture({ directory: path.join(root, 'partial'), parts: ['eval'] });
    await expect(createAudiosetReader({ directory: partial }).listItems()).rejects.toSatisfy(
      (error) => MissingFileError.isInstance(error) && error.path.endsWith(path.join('audioset_v1_embeddings', 'bal_train')),
    );
    expect(() => validateReaderOptions({ directry: '/corpus' }, { schema: readerOptionsSchema, reader: 'audioset' })).toThrow(
      /did you mean "directory"\?/,
    );
  });
});
