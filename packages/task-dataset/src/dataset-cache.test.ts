import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeTarget } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidCacheError } from './cache-errors';
import { datasetCacheDirectory, inspectDatasetCache, loadTaskDataset, saveTaskDataset } from './dataset-cache';
import { createTask } from './task';
import { createTaskDataset, type TaskDataset } from './task-dataset';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sound = createTask({ name: 'sound', kind: 'multi-class', labels: ['dog', 'rain', 'siren'] });
const tags = createTask({ name: 'tags', kind: 'multi-label', labels: ['outdoor', 'loud'], threshold: [0.4, 0.6] });

function makeDataset(shapes: number[][]): TaskDataset {
  return createTaskDataset({
    name: 'esc-like',
    tasks: [sound, tags],
    features: shapes.map((shape, index) => ({
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, value) => index + value / 100),
      shape,
    })),
    targets: {
      sound: shapes.map((_, index) => encodeTarget(sound, sound.labels[index % 3] as string)),
      tags: shapes.map((_, index) => encodeTarget(tags, index % 2 ? ['outdoor', 'loud'] : [])),
    },
    ids: shapes.map((_, index) => `fold1/clip-${index}.wav`),
    groups: shapes.map((_, index) => (index % 2 ? `clip-${index >> 1}` : undefined)),
    metadata: shapes.map((_, index) => ({ sourceFile: `clip-${index}.wav`, windowIndex: index % 2 })),
    predefinedSplit: { kind: 'folds', foldCount: 2, fold: Int32Array.from(shapes, (_, index) => index % 2) },
  });
}

function expectSameDataset(actual: TaskDataset, expected: TaskDataset) {
  expect(actual.size).toBe(expected.size);
  expect(actual.name).toBe(expected.name);
  expect(actual.tasks.map(({ name, kind, labels, thresholds }) => ({ name, kind, labels, thresholds }))).toEqual(
    expected.tasks.map(({ name, kind, labels, thresholds }) => ({ name, kind, labels, thresholds })),
  );
  for (let index = 0; index < expected.size; index++) {
    expect(actual.featuresOf(index).shape).toEqual(expected.featuresOf(index).shape);
    const copied = new Float32Array(expected.featuresOf(index).data.length + 3).fill(-1);
    actual.copyFeaturesInto(index, copied, 2);
    expect(Array.from(copied)).toEqual([-1, -1, ...Array.from(expected.featuresOf(index).data), -1]);
    expect(Array.from(actual.featuresOf(index).data)).toEqual(Array.from(expected.featuresOf(index).data));
    expect(actual.idOf(index)).toBe(expected.idOf(index));
    expect(actual.groupOf(index)).toBe(expected.groupOf(index));
    expect(actual.metadataOf(index)).toEqual(expected.metadataOf(index));
  }
  for (const task of expected.tasks) expect(actual.targetMatrix(task.name)).toEqual(expected.targetMatrix(task.name));
  expect(actual.predefinedSplit).toEqual(expected.predefinedSplit);
}

describe('saveTaskDataset and loadTaskDataset', () => {
  const uniform = makeDataset(Array.from({ length: 5 }, () => [4, 3]));
  const variable = makeDataset([
    [2, 3],
    [5, 3],
    [1, 3],
    [7, 3],
  ]);

  it.each([
    ['uniform shapes', uniform],
    ['variable shapes', variable],
  ])('round-trips %s in memory and in index mode', async (_, dataset) => {
    const directory = datasetCacheDirectory(root, 'esc-like', `round-trip-${dataset.featuresOf(1).shape[0]}`);
    const manifest = await saveTaskDataset(dataset, directory, { specHash: 'abc' });
    expect(manifest.extra).toEqual({ specHash: 'abc' });
    expect(readdirSync(path.dirname(directory)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    const inMemory = await loadTaskDataset(directory, { verification: 'checksums' });
    expect(inMemory.storage).toBe('memory');
    expectSameDataset(inMemory, dataset);
    const indexed = await loadTaskDataset(directory, { indexMode: true, cacheBytes: 64 });
    expect(indexed.storage).toBe('index');
    expectSameDataset(indexed, dataset);
    expect(() => indexed.copyFeaturesInto(0, new Float32Array(2), 1)).toThrow(/does not fit in the target at offset 1/);
    indexed.close();
    expect(() => indexed.featuresOf(1)).toThrow(/is closed/);
  });

  it('writes features numpy can load, shaped [count, ...shape] when uniform', async () => {
    const directory = datasetCacheDirectory(root, 'esc-like', 'numpy');
    await saveTaskDataset(uniform, directory);
    const script = `import numpy as np, sys; f = np.load(sys.argv[1] + '/features.npy'); t = np.load(sys.argv[1] + '/targets.npy'); print(f.dtype, f.shape, round(float(f[2, 1, 0]), 4), t.dtype, t.shape, t[1].tolist())`;
    const python = spawnSync('python3', ['-c', script, directory], { encoding: 'utf8' });
    if (python.status !== 0 && /No module named 'numpy'|ENOENT/.test(`${python.stderr}${python.error}`)) return;
    expect(python.stdout.trim()).toBe('float32 (5, 4, 3) 2.03 uint8 (5, 5) [0, 1, 0, 1, 1]');
  });

  it('replaces an existing cache atomically', async () => {
    const directory = datasetCacheDirectory(root, 'esc-like', 'replace');
    await saveTaskDataset(variable, directory);
    await saveTaskDataset(uniform, directory);
    expect((await loadTaskDataset(directory)).size).toBe(5);
    expect(readdirSync(path.dirname(directory)).filter((name) => name.startsWith('replace.'))).toEqual([]);
  });
});

describe('a cache with a regression task', () => {
  const affect = createTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] });
  const dataset = createTaskDataset({
    name: 'moods',
    tasks: [sound, affect],
    features: Array.from({ length: 3 }, (_, index) => ({ data: Float32Array.of(index, index + 0.5), shape: [1, 2] })),
    targets: {
      sound: [encodeTarget(sound, 'rain'), encodeTarget(sound, 'dog'), encodeTarget(sound, 'siren')],
      affect: Float32Array.of(0.125, -3.5, 1e6, 0, -0.25, 42),
    },
  });

  it('stores float32 targets and loads regression columns as Float32Array, classification columns as Uint8Array', async () => {
    const directory = datasetCacheDirectory(root, 'moods', 'regression');
    await saveTaskDataset(dataset, directory);
    const header = readFileSync(path.join(directory, 'targets.npy')).subarray(0, 64).toString('latin1');
    expect(header).toContain("'descr': '<f4'");
    for (const indexMode of [false, true]) {
      const loaded = await loadTaskDataset(directory, { indexMode, verification: 'checksums' });
      expect(loaded.targetMatrix('affect')).toEqual(dataset.targetMatrix('affect'));
      expect(loaded.targetMatrix('affect')).toBeInstanceOf(Float32Array);
      expect(loaded.targetMatrix('sound')).toEqual(dataset.targetMatrix('sound'));
      expect(loaded.targetMatrix('sound')).toBeInstanceOf(Uint8Array);
      expect(loaded.task('affect')?.activation).toBe('linear');
      loaded.close();
    }
  });

  it('keeps the uint8 layout for classification-only datasets (caches written before regression still load)', async () => {
    const directory = datasetCacheDirectory(root, 'moods', 'classification');
    await saveTaskDataset(makeDataset([[1, 2]]), directory);
    expect(readFileSync(path.join(directory, 'targets.npy')).subarray(0, 64).toString('latin1')).toContain("'descr': '|u1'");
  });
});

describe('damaged caches are detected, never loaded', () => {
  const dataset = makeDataset([
    [2, 3],
    [3, 3],
    [1, 3],
  ]);

  it('reports a missing directory and a missing manifest', async () => {
    expect(await inspectDatasetCache(path.join(root, 'nowhere'))).toEqual({ status: 'missing' });
    const directory = datasetCacheDirectory(root, 'damaged', 'no-manifest');
    await saveTaskDataset(dataset, directory);
    rmSync(path.join(directory, 'manifest.json'));
    expect((await inspectDatasetCache(directory)).status).toBe('invalid');
    await expect(loadTaskDataset(directory)).rejects.toThrow(InvalidCacheError);
    await expect(loadTaskDataset(directory)).rejects.toThrow(/manifest\.json is missing or unreadable/);
  });

  it.each(['features.npy', 'targets.npy', 'examples.json', 'manifest.json'])('rejects %s truncated at any byte offset', async (file) => {
    const directory = datasetCacheDirectory(root, 'damaged', `truncated-${file}`);
    await saveTaskDataset(dataset, directory);
    const original = readFileSync(path.join(directory, file));
    const offsets = new Set([0, 1, 7, 63, 64, 65, Math.floor(original.length / 2), original.length - 1]);
    for (const offset of offsets) {
      if (offset >= original.length) continue;
      writeFileSync(path.join(directory, file), original);
      truncateSync(path.join(directory, file), offset);
      await expect(loadTaskDataset(directory), `${file} cut at ${offset}`).rejects.toThrow(InvalidCacheError);
    }
    writeFileSync(path.join(directory, file), original);
    expect((await loadTaskDataset(directory)).size).toBe(3);
  });

  it('finds same-size tampering with checksum verification', async () => {
    const directory = datasetCacheDirectory(root, 'damaged', 'tampered');
    await saveTaskDataset(dataset, directory);
    const file = path.join(directory, 'features.npy');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(file, bytes);
    expect((await inspectDatasetCache(directory, 'sizes')).status).toBe('valid');
    expect(await inspectDatasetCache(directory, 'checksums')).toEqual({
      status: 'invalid',
      reason: 'features.npy does not match its SHA-256 checksum',
    });
  });

  it.each([
    ['features.npy', -1],
    ['targets.npy', -1],
    ['examples.json', 10],
  ])('finds same-size damage to %s on a plain load (no checksum option)', async (file, position) => {
    const directory = datasetCacheDirectory(root, 'damaged', `same-size-${file}`);
    await saveTaskDataset(dataset, directory);
    const bytes = readFileSync(path.join(directory, file));
    const at = position < 0 ? bytes.length + position : position;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path.join(directory, file), bytes);
    await expect(loadTaskDataset(directory)).rejects.toThrow(new RegExp(`${file.replace('.', '\\.')} does not match its SHA-256`));
  });

  it('checks each example read in index mode, names the file and example, and marks the cache damaged', async () => {
    const directory = datasetCacheDirectory(root, 'damaged', 'index-crc');
    await saveTaskDataset(dataset, directory);
    const indexed = await loadTaskDataset(directory, { indexMode: true, cacheBytes: 0 });
    const file = path.join(directory, 'features.npy');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    writeFileSync(file, bytes);
    expect(Array.from(indexed.featuresOf(0).data)).toEqual(Array.from(dataset.featuresOf(0).data));
    expect(() => indexed.featuresOf(2)).toThrow(InvalidCacheError);
    expect(() => indexed.copyFeaturesInto(2, new Float32Array(3), 0)).toThrow(
      /features\.npy is damaged: example 2 \("fold1\/clip-2\.wav"\) does not match its CRC32 checksum/,
    );
    indexed.close();
    const inspection = await inspectDatasetCache(directory);
    expect(inspection).toEqual({
      status: 'invalid',
      reason: expect.stringMatching(/marked damaged \(features\.npy is damaged: example 2/),
    });
  });

  it('refuses a task that differs from the stored one', async () => {
    const directory = datasetCacheDirectory(root, 'damaged', 'task-mismatch');
    await saveTaskDataset(dataset, directory);
    const other = createTask({ name: 'sound', kind: 'multi-class', labels: ['dog', 'rain', 'thunder'] });
    await expect(loadTaskDataset(directory, { tasks: [other] })).rejects.toThrow(
      /task "sound" was stored as multi-class \[dog, rain, siren\]/,
    );
    expect(existsSync(directory)).toBe(true);
  });
});
