/**
 * Where a dataset's features live: in memory, or on disk in one shard file read on
 * demand (index mode) with positioned reads and a byte-bounded LRU cache, so memory does
 * not grow with the dataset.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import nodePath from 'node:path';
import { crc32 } from 'node:zlib';
import { DataFormatError, type FeatureMatrix, InvalidArgumentError, shapeSize } from '@polytask/core';
import { InvalidCacheError } from './cache-errors';
import { LruCache } from './internal/lru-cache';

/** Random access to the features of `count` examples. */
export interface FeatureStore {
  /** `memory` or `index` (on disk). */
  readonly kind: 'memory' | 'index';
  /** Number of examples. */
  readonly count: number;
  /** Shape of one example's features. */
  shapeOf(index: number): readonly number[];
  /** The features of one example. Do not modify the returned data. */
  read(index: number): FeatureMatrix;
  /** Copies one example's values into `target` at `offset` (index mode reads straight from disk into it). */
  readInto(index: number, target: Float32Array, offset: number): void;
  /** Releases file handles (index mode). */
  close(): void;
}

function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidArgumentError({ argument: 'index', value: index, message: `Example index ${index} is outside 0..${count - 1}.` });
  }
}

/** Keeps the given matrices in memory. */
export function createMemoryFeatureStore(matrices: readonly FeatureMatrix[]): FeatureStore {
  return {
    kind: 'memory',
    count: matrices.length,
    shapeOf(index) {
      checkIndex(index, matrices.length);
      return (matrices[index] as FeatureMatrix).shape;
    },
    read(index) {
      checkIndex(index, matrices.length);
      return matrices[index] as FeatureMatrix;
    },
    readInto(index, target, offset) {
      checkIndex(index, matrices.length);
      target.set((matrices[index] as FeatureMatrix).data, offset);
    },
    close() {},
  };
}

/** Element offsets (prefix sums of example sizes) for a list of shapes. */
export function elementOffsets(shapes: readonly (readonly number[])[]): Float64Array {
  const offsets = new Float64Array(shapes.length + 1);
  for (let index = 0; index < shapes.length; index++)
    offsets[index + 1] = (offsets[index] as number) + shapeSize(shapes[index] as number[]);
  return offsets;
}

/** Options of {@link openIndexFeatureStore}. */
export interface IndexFeatureStoreOptions {
  /** The shard file (an `.npy` of float32). */
  readonly path: string;
  /** Byte offset of the data in the file. */
  readonly dataOffset: number;
  /** Shape of each example. */
  readonly shapes: readonly (readonly number[])[];
  /** Bytes of decoded features the LRU cache may hold. @default 64 MiB */
  readonly cacheBytes?: number;
  /** CRC32 of each example's bytes; every read from disk is checked against it. @default no check */
  readonly checksums?: readonly number[];
  /** Example ids, named in checksum errors. */
  readonly ids?: readonly string[];
  /** Called once with the error when an example fails its checksum, before it is thrown (the cache marks itself damaged). */
  readonly onDamage?: (error: InvalidCacheError) => void;
}

/**
 * Opens a shard for index mode: each `read` is one positioned `readSync` (or an LRU hit),
 * checked against the example's CRC32 when `checksums` are given.
 * @throws DataFormatError when the file is shorter than the examples need.
 * @throws InvalidCacheError naming the file and the example when its bytes do not match their checksum.
 */
export function openIndexFeatureStore(options: IndexFeatureStoreOptions): FeatureStore {
  const { path, dataOffset, shapes } = options;
  const offsets = elementOffsets(shapes);
  const cache = new LruCache<FeatureMatrix>(options.cacheBytes ?? 64 * 1024 * 1024);
  let descriptor: number | undefined = openSync(path, 'r');
  const readBytes = (index: number, bytes: Uint8Array) => {
    if (descriptor === undefined)
      throw new InvalidArgumentError({ argument: 'store', value: path, message: `The feature store of ${path} is closed.` });
    const position = dataOffset + (offsets[index] as number) * 4;
    const read = readSync(descriptor, bytes, 0, bytes.length, position);
    if (read !== bytes.length) {
      throw new DataFormatError({
        path,
        message: `${path}: example ${index} needs ${bytes.length} bytes at ${position} but only ${read} could be read; the cache is damaged, delete it to rebuild.`,
      });
    }
    const expected = options.checksums?.[index];
    if (expected !== undefined && crc32(bytes) !== expected) {
      const id = options.ids?.[index];
      const error = new InvalidCacheError({
        directory: nodePath.dirname(path),
        reason: `${nodePath.basename(path)} is damaged: example ${index}${id === undefined ? '' : ` ("${id}")`} does not match its CRC32 checksum`,
      });
      options.onDamage?.(error);
      throw error;
    }
  };
  return {
    kind: 'index',
    count: shapes.length,
    shapeOf(index) {
      checkIndex(index, shapes.length);
      return shapes[index] as number[];
    },
    read(index) {
      checkIndex(index, shapes.length);
      const cached = cache.get(index);
      if (cached) return cached;
      const length = (offsets[index + 1] as number) - (offsets[index] as number);
      // allocUnsafe skips zero-filling (the read overwrites every byte); large buffers are not pooled, so offset 0 is aligned
      const buffer = Buffer.allocUnsafeSlow(length * 4);
      const data = new Float32Array(buffer.buffer, buffer.byteOffset, length);
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, length * 4);
      readBytes(index, bytes);
      const matrix = { data, shape: shapes[index] as number[] };
      cache.set(index, matrix, bytes.length);
      return matrix;
    },
    readInto(index, target, offset) {
      checkIndex(index, shapes.length);
      const cached = cache.get(index);
      if (cached) {
        target.set(cached.data, offset);
        return;
      }
      const length = (offsets[index + 1] as number) - (offsets[index] as number);
      if (offset < 0 || offset + length > target.length) {
        throw new InvalidArgumentError({
          argument: 'offset',
          value: offset,
          message: `Example ${index} (${length} values) does not fit in the target at offset ${offset}.`,
        });
      }
      readBytes(index, new Uint8Array(target.buffer, target.byteOffset + offset * 4, length * 4));
    },
    close() {
      if (descriptor !== undefined) closeSync(descriptor);
      descriptor = undefined;
    },
  };
}
