/**
 * The on-disk form of a task dataset, used as the feature cache. A directory per reader
 * and extraction spec hash holds:
 * - `features.npy`: float32, `[count, ...shape]` when every example has the same shape,
 *   otherwise the examples concatenated `[totalValues]` (shapes in `examples.json`);
 * - `targets.npy`: `[count, columns]`, every task's target row side by side: uint8 when every task
 *   is a classification task, float32 when one is a regression task (classification columns hold
 *   0.0/1.0 there and load back as uint8), so caches without regression tasks keep their layout;
 * - `examples.json`: ids, groups, metadata, shapes, predefined split, and the CRC32 of each
 *   example's feature bytes;
 * - `manifest.json`, written last: schema version, tasks, counts, spec, file sizes and
 *   SHA-256 checksums, creation info.
 * Everything is written into a temporary sibling directory and renamed into place, so a
 * cache is either complete or absent. Loading checks every byte it reads: targets and
 * examples against their SHA-256, features against their SHA-256 (in memory) or each
 * example against its CRC32 when index mode reads it; a truncated or tampered cache is
 * reported as invalid, never used. Damage found in index mode leaves a `damaged.json`
 * marker, so the next inspection reports the cache invalid and it is rebuilt.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { type FeatureMatrix, PolytaskError, ShapeMismatchError, shapeSize, type TargetRow, type TaskKind } from '@polytask/core';
import { asCacheWriteError, InvalidCacheError } from './cache-errors';
import { elementOffsets, openIndexFeatureStore } from './feature-store';
import { decodeNpyHeader, encodeNpyHeader } from './npy';
import { createTask, type Task } from './task';
import { createTaskDataset, type ExampleMetadata, type PredefinedSplit, type TaskDataset } from './task-dataset';

/** Version of the cache layout; caches of another version are rebuilt. 2: per-example CRC32 in `examples.json`. */
export const datasetCacheSchemaVersion = 2;

/** Name of the marker a cache gets when damage is found while it is in use; a marked cache is invalid. */
export const damagedMarkerFileName = 'damaged.json';

/** One file of the cache as the manifest records it. */
export interface CachedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** `manifest.json`. */
export interface DatasetManifest {
  readonly kind: 'polytask-task-dataset';
  readonly schemaVersion: number;
  readonly name: string;
  readonly tasks: readonly {
    name: string;
    kind: TaskKind;
    labels: readonly string[];
    thresholds: readonly number[];
    columns: readonly [number, number];
  }[];
  readonly count: number;
  /** Shape shared by every example, or null when shapes vary. */
  readonly featureShape: readonly number[] | null;
  readonly totalValues: number;
  readonly files: Readonly<Record<'features.npy' | 'targets.npy' | 'examples.json', CachedFile>>;
  /** Anything the writer adds: extraction spec and hash, reader name, skipped files. */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly createdBy: { readonly node: string };
}

/** Directory of a cache: `<root>/<readerName>/<key>` (readDataset's key covers reader options, sources and spec). */
export function datasetCacheDirectory(root: string, readerName: string, key: string): string {
  return path.join(root, readerName, key);
}

/**
 * Marks a cache directory damaged (writes `damaged.json` with the reason), so the next
 * inspection reports it invalid and readDataset rebuilds it. Best effort: a marker that
 * cannot be written is left out.
 */
export function markDatasetCacheDamaged(directory: string, reason: string): void {
  try {
    writeFileSync(path.join(directory, damagedMarkerFileName), JSON.stringify({ reason, at: new Date().toISOString(), pid: process.pid }));
  } catch {
    // read-only cache: the error thrown to the caller still says what is wrong
  }
}

/** Contents written to a cache directory; features are pulled one example at a time. */
export interface WriteDatasetCacheOptions {
  readonly directory: string;
  readonly name: string;
  readonly tasks: readonly Task[];
  readonly count: number;
  readonly shapes: readonly (readonly number[])[];
  /** Returns example `index`'s values (length = its shape's size), in order 0..count-1. */
  readonly readFeatures: (index: number) => Float32Array | Promise<Float32Array>;
  /** Flat target rows per task (Float32Array for regression tasks). */
  readonly targets: ReadonlyMap<string, TargetRow>;
  readonly ids: readonly string[];
  readonly groups: readonly (string | undefined)[];
  readonly metadata: readonly ExampleMetadata[];
  readonly predefinedSplit: PredefinedSplit | undefined;
  readonly extra?: Readonly<Record<string, unknown>>;
}

async function writeHashedFile(file: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<CachedFile> {
  const handle = await open(file, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
      bytes += chunk.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

function uniformShape(shapes: readonly (readonly number[])[]): readonly number[] | null {
  const first = shapes[0];
  if (!first) return null;
  return shapes.every((shape) => shape.length === first.length && shape.every((dimension, index) => dimension === first[index]))
    ? first
    : null;
}

/**
 * Writes a dataset cache atomically (temporary directory, then rename).
 * @returns the manifest written.
 */
export async function writeDatasetCache(options: WriteDatasetCacheOptions): Promise<DatasetManifest> {
  const { directory, count, shapes, tasks } = options;
  for (const [what, length] of [
    ['shapes', shapes.length],
    ['ids', options.ids.length],
    ['groups', options.groups.length],
  ] as const) {
    if (length !== count)
      throw new ShapeMismatchError({
        expected: count,
        actual: length,
        message: `Cannot write "${options.name}": ${count} examples but ${length} ${what}.`,
      });
  }
  if (options.metadata.length !== 0 && options.metadata.length !== count) {
    throw new ShapeMismatchError({
      expected: count,
      actual: options.metadata.length,
      message: `Cannot write "${options.name}": ${count} examples but ${options.metadata.length} metadata entries (give one per example, or none).`,
    });
  }
  const temporary = `${directory}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await mkdir(path.dirname(directory), { recursive: true });
    await mkdir(temporary, { recursive: true });
  } catch (error) {
    throw asCacheWriteError(error, path.dirname(directory));
  }
  try {
    const checksums: number[] = [];
    const featureShape = uniformShape(shapes);
    const totalValues = elementOffsets(shapes)[count] ?? 0;
    async function* featureChunks() {
      yield encodeNpyHeader('<f4', featureShape ? [count, ...featureShape] : [totalValues]);
      for (let index = 0; index < count; index++) {
        const values = await options.readFeatures(index);
        if (values.length !== shapeSize(shapes[index] as number[])) {
          throw new PolytaskError({
            message: `Example ${index} of "${options.name}" has ${values.length} values but its shape [${shapes[index]?.join(', ')}] needs ${shapeSize(shapes[index] as number[])}.`,
          });
        }
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        checksums.push(crc32(bytes));
        yield bytes;
      }
    }
    const features = await writeHashedFile(path.join(temporary, 'features.npy'), featureChunks());

    let columnStart = 0;
    const taskEntries = tasks.map((task) => {
      const entry = {
        name: task.name,
        kind: task.kind,
        labels: [...task.labels],
        thresholds: [...task.thresholds],
        columns: [columnStart, columnStart + task.outputSize] as const,
      };
      columnStart += task.outputSize;
      return entry;
    });
    const columns = columnStart;
    const real = tasks.some((task) => task.kind === 'regression');
    const targetValues = real ? new Float32Array(count * columns) : new Uint8Array(count * columns);
    for (const [taskIndex, task] of tasks.entries()) {
      const source = options.targets.get(task.name) as TargetRow;
      const offset = (taskEntries[taskIndex] as { columns: readonly [number, number] }).columns[0];
      for (let row = 0; row < count; row++)
        for (let column = 0; column < task.outputSize; column++)
          targetValues[row * columns + offset + column] = source[row * task.outputSize + column] as number;
    }
    const targets = await writeHashedFile(path.join(temporary, 'targets.npy'), [
      encodeNpyHeader(real ? '<f4' : '|u1', [count, columns]),
      new Uint8Array(targetValues.buffer, targetValues.byteOffset, targetValues.byteLength),
    ]);
    const split = options.predefinedSplit;
    const examplesJson = JSON.stringify({
      ids: options.ids,
      groups: options.groups.map((group) => group ?? null),
      metadata: options.metadata,
      shapes: featureShape ? null : shapes,
      checksums,
      split: split
        ? split.kind === 'train-test'
          ? { kind: split.kind, isTest: [...split.isTest] }
          : { kind: split.kind, foldCount: split.foldCount, fold: [...split.fold] }
        : null,
    });
    const examples = await writeHashedFile(path.join(temporary, 'examples.json'), [new TextEncoder().encode(examplesJson)]);
    const manifest: DatasetManifest = {
      kind: 'polytask-task-dataset',
      schemaVersion: datasetCacheSchemaVersion,
      name: options.name,
      tasks: taskEntries,
      count,
      featureShape,
      totalValues,
      files: { 'features.npy': features, 'targets.npy': targets, 'examples.json': examples },
      extra: options.extra ?? {},
      createdAt: new Date().toISOString(),
      createdBy: { node: process.version },
    };
    const manifestHandle = await open(path.join(temporary, 'manifest.json'), 'w');
    try {
      await manifestHandle.writeFile(JSON.stringify(manifest, null, 1));
      await manifestHandle.sync();
    } finally {
      await manifestHandle.close();
    }
    if (existsSync(directory)) {
      const old = `${directory}.old-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await rename(directory, old);
      await rename(temporary, directory);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temporary, directory);
    }
    return manifest;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => {});
    throw asCacheWriteError(error, temporary);
  }
}

/**
 * Saves a dataset (or a view of one) as a cache directory.
 * @example await saveTaskDataset(dataset, datasetCacheDirectory('.cache', 'esc50', hash), { spec })
 */
export async function saveTaskDataset(
  dataset: TaskDataset,
  directory: string,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<DatasetManifest> {
  const indices = Array.from({ length: dataset.size }, (_, index) => index);
  return writeDatasetCache({
    directory,
    name: dataset.name,
    tasks: dataset.tasks,
    count: dataset.size,
    shapes: indices.map((index) => dataset.shapeOf(index)),
    readFeatures: (index) => dataset.featuresOf(index).data,
    targets: new Map(dataset.tasks.map((task) => [task.name, dataset.targetMatrix(task.name)])),
    ids: indices.map((index) => dataset.idOf(index)),
    groups: indices.map((index) => dataset.groupOf(index)),
    metadata: indices.map((index) => dataset.metadataOf(index)),
    predefinedSplit: dataset.predefinedSplit,
    extra,
  });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** How thoroughly {@link inspectDatasetCache} checks files: sizes (fast, catches truncation) or SHA-256 (reads everything). */
export type CacheVerification = 'sizes' | 'checksums';

/** Result of inspecting a cache directory. */
export type CacheInspection =
  | { readonly status: 'valid'; readonly manifest: DatasetManifest }
  | { readonly status: 'missing' }
  | { readonly status: 'invalid'; readonly reason: string };

/** Checks a cache directory without loading it. */
export async function inspectDatasetCache(directory: string, verification: CacheVerification = 'sizes'): Promise<CacheInspection> {
  if (!existsSync(directory)) return { status: 'missing' };
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as DatasetManifest;
  } catch (error) {
    return { status: 'invalid', reason: `manifest.json is missing or unreadable (${(error as Error).message})` };
  }
  if (manifest?.kind !== 'polytask-task-dataset') return { status: 'invalid', reason: 'manifest.json is not a Polytask dataset manifest' };
  if (manifest.schemaVersion !== datasetCacheSchemaVersion)
    return { status: 'invalid', reason: `schema version ${manifest.schemaVersion}, expected ${datasetCacheSchemaVersion}` };
  const marker = path.join(directory, damagedMarkerFileName);
  if (existsSync(marker)) {
    let reason = 'damage was found while it was in use';
    try {
      reason = (JSON.parse(readFileSync(marker, 'utf8')) as { reason?: string }).reason ?? reason;
    } catch {
      // a torn marker still marks the cache
    }
    return { status: 'invalid', reason: `it was marked damaged (${reason.replace(/\.$/, '')})` };
  }
  for (const [name, expected] of Object.entries(manifest.files ?? {})) {
    const file = path.join(directory, name);
    let bytes: number;
    try {
      bytes = (await stat(file)).size;
    } catch {
      return { status: 'invalid', reason: `${name} is missing` };
    }
    if (bytes !== expected.bytes)
      return { status: 'invalid', reason: `${name} has ${bytes} bytes, the manifest says ${expected.bytes} (truncated or overwritten)` };
    if (verification === 'checksums' && (await sha256Of(file)) !== expected.sha256)
      return { status: 'invalid', reason: `${name} does not match its SHA-256 checksum` };
  }
  if (Object.keys(manifest.files ?? {}).length !== 3)
    return { status: 'invalid', reason: 'the manifest does not list the three cache files' };
  return { status: 'valid', manifest };
}

/** Options of {@link loadTaskDataset}. */
export interface LoadTaskDatasetOptions {
  /** Keep features on disk and read them on demand. @default false */
  readonly indexMode?: boolean;
  /** LRU cache size in index mode. @default 64 MiB */
  readonly cacheBytes?: number;
  /** @default 'sizes' */
  readonly verification?: CacheVerification;
  /** Tasks with custom losses or decisions, replacing the stored definitions of the same name (they must match). */
  readonly tasks?: readonly Task[];
}

/**
 * Loads a cache directory as a task dataset, in memory or in index mode.
 * @throws InvalidCacheError when the cache is missing, truncated or inconsistent.
 */
export async function loadTaskDataset(directory: string, options: LoadTaskDatasetOptions = {}): Promise<TaskDataset> {
  const inspection = await inspectDatasetCache(directory, options.verification ?? 'sizes');
  if (inspection.status === 'missing') throw new InvalidCacheError({ directory, reason: 'it does not exist' });
  if (inspection.status === 'invalid') throw new InvalidCacheError({ directory, reason: inspection.reason });
  const { manifest } = inspection;
  try {
    const examples = JSON.parse(new TextDecoder().decode(await readVerified(directory, manifest, 'examples.json'))) as {
      ids: string[];
      groups: (string | null)[];
      metadata: ExampleMetadata[];
      shapes: number[][] | null;
      checksums: number[];
      split: { kind: 'train-test'; isTest: number[] } | { kind: 'folds'; foldCount: number; fold: number[] } | null;
    };
    if (!Array.isArray(examples.checksums) || examples.checksums.length !== manifest.count)
      throw new InvalidCacheError({ directory, reason: 'examples.json has no checksum per example' });
    const shapes = examples.shapes ?? Array.from({ length: manifest.count }, () => [...(manifest.featureShape ?? [])]);
    const featuresPath = path.join(directory, 'features.npy');
    const handle = await open(featuresPath, 'r');
    let header: ReturnType<typeof decodeNpyHeader>;
    try {
      const head = new Uint8Array(4096);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      header = decodeNpyHeader(head.subarray(0, bytesRead), featuresPath);
    } finally {
      await handle.close();
    }
    const offsets = elementOffsets(shapes);
    if (
      header.dtype !== '<f4' ||
      offsets[manifest.count] !== manifest.totalValues ||
      header.dataOffset + manifest.totalValues * 4 !== manifest.files['features.npy'].bytes
    ) {
      throw new InvalidCacheError({ directory, reason: 'features.npy does not match the manifest' });
    }
    const stored = new Map((options.tasks ?? []).map((task) => [task.name, task]));
    const tasks = manifest.tasks.map((entry) => {
      const given = stored.get(entry.name);
      const task =
        given ??
        createTask({
          name: entry.name,
          kind: entry.kind,
          labels: entry.labels,
          ...(entry.kind === 'multi-class' || entry.kind === 'regression' ? {} : { threshold: entry.thresholds }),
        });
      if (task.kind !== entry.kind || task.labels.join('\u0000') !== entry.labels.join('\u0000')) {
        throw new InvalidCacheError({
          directory,
          reason: `task "${entry.name}" was stored as ${entry.kind} [${entry.labels.join(', ')}], which differs from the task given`,
        });
      }
      return task;
    });
    const targetsFile = await readVerified(directory, manifest, 'targets.npy');
    const targetsHeader = decodeNpyHeader(targetsFile, path.join(directory, 'targets.npy'));
    const columns = manifest.tasks.at(-1)?.columns[1] ?? 0;
    const targetBytes = targetsFile.subarray(targetsHeader.dataOffset);
    const itemSize = targetsHeader.dtype === '<f4' ? 4 : 1;
    if (!['<f4', '|u1'].includes(targetsHeader.dtype) || targetBytes.length !== manifest.count * columns * itemSize)
      throw new InvalidCacheError({ directory, reason: 'targets.npy does not match the manifest' });
    // float32 targets (a cache with a regression task) are copied out, so their alignment does not matter
    const targetData: TargetRow = itemSize === 4 ? new Float32Array(targetBytes.slice().buffer) : targetBytes;
    const targets: Record<string, TargetRow> = {};
    for (const entry of manifest.tasks) {
      const [start, end] = entry.columns;
      const width = end - start;
      const flat = entry.kind === 'regression' ? new Float32Array(manifest.count * width) : new Uint8Array(manifest.count * width);
      for (let row = 0; row < manifest.count; row++)
        for (let column = 0; column < width; column++) flat[row * width + column] = targetData[row * columns + start + column] as number;
      targets[entry.name] = flat;
    }
    let features: readonly FeatureMatrix[] | ReturnType<typeof openIndexFeatureStore>;
    if (options.indexMode) {
      features = openIndexFeatureStore({
        path: featuresPath,
        dataOffset: header.dataOffset,
        shapes,
        checksums: examples.checksums,
        ids: examples.ids,
        onDamage: (error) => markDatasetCacheDamaged(directory, error.reason),
        ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
      });
    } else {
      const bytes = await readVerified(directory, manifest, 'features.npy');
      const all = new Float32Array(manifest.totalValues);
      new Uint8Array(all.buffer).set(bytes.subarray(header.dataOffset));
      features = shapes.map((shape, index) => ({ data: all.subarray(offsets[index] as number, offsets[index + 1] as number), shape }));
    }
    const split = examples.split;
    return createTaskDataset({
      name: manifest.name,
      tasks,
      features,
      targets,
      ids: examples.ids,
      groups: examples.groups.map((group) => group ?? undefined),
      ...(examples.metadata.length > 0 ? { metadata: examples.metadata } : {}),
      ...(split
        ? {
            predefinedSplit:
              split.kind === 'train-test'
                ? { kind: 'train-test', isTest: Uint8Array.from(split.isTest) }
                : { kind: 'folds', foldCount: split.foldCount, fold: Int32Array.from(split.fold) },
          }
        : {}),
    });
  } catch (error) {
    if (InvalidCacheError.isInstance(error)) throw error;
    throw new InvalidCacheError({ directory, reason: (error as Error).message, cause: error });
  }
}

/** Reads a whole cache file and checks it against the manifest's SHA-256 (one pass over bytes read anyway). */
async function readVerified(directory: string, manifest: DatasetManifest, name: keyof DatasetManifest['files']): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(path.join(directory, name)));
  if (createHash('sha256').update(bytes).digest('hex') !== manifest.files[name].sha256)
    throw new InvalidCacheError({ directory, reason: `${name} does not match its SHA-256 checksum (damaged or overwritten)` });
  return bytes;
}

/** Writes JSON to `file` atomically (temporary file, then rename). */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(temporary, JSON.stringify(value, null, 1));
  await rename(temporary, file);
}
