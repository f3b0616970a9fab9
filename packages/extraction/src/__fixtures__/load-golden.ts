/** Reads the golden fixtures written by scripts/generate-fixtures.py (test-only). */
import { readFileSync } from 'node:fs';
import type { FeatureMatrix } from '@polytask/core';

interface Entry {
  readonly offset: number;
  readonly shape: number[];
  readonly params?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

const index = JSON.parse(readFileSync(new URL('./golden.json', import.meta.url), 'utf8')) as { entries: Record<string, Entry> };
const bytes = readFileSync(new URL('./golden.bin', import.meta.url));

/** One golden array with its metadata. */
export function golden(name: string): FeatureMatrix & { entry: Entry } {
  const entry = index.entries[name];
  if (!entry) throw new Error(`No golden fixture "${name}"; regenerate with scripts/generate-fixtures.py`);
  const length = entry.shape.reduce((product, dimension) => product * dimension, 1);
  const data = new Float32Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset + entry.offset, length * 4);
  for (let position = 0; position < length; position++) data[position] = view.getFloat32(position * 4, true);
  return { data, shape: entry.shape, entry };
}

/** Names of every golden fixture. */
export const goldenNames: readonly string[] = Object.keys(index.entries);

/** Largest |actual - expected| / max(|expected|, floor), with a floor relative to the array's peak. */
export function maximumRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, peakFraction = 1e-6): number {
  let peak = 0;
  for (let index = 0; index < expected.length; index++) peak = Math.max(peak, Math.abs(expected[index] as number));
  const floor = Math.max(peak * peakFraction, 1e-30);
  let worst = 0;
  for (let index = 0; index < expected.length; index++) {
    const error = Math.abs((actual[index] as number) - (expected[index] as number)) / Math.max(Math.abs(expected[index] as number), floor);
    if (error > worst || Number.isNaN(error)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  }
  return worst;
}

/** Largest |actual - expected|. */
export function maximumAbsoluteError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let index = 0; index < expected.length; index++) {
    const error = Math.abs((actual[index] as number) - (expected[index] as number));
    if (error > worst || Number.isNaN(error)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  }
  return worst;
}
