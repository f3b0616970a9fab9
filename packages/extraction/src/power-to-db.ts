/**
 * Logarithmic compression of power features: decibels as `librosa.power_to_db`, or the
 * natural log with an offset (`log(x + offset)`).
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { nativeStft } from './internal/native-stft';

/** Decibel conversion options; librosa's names in parentheses. */
export interface DecibelOptions {
  /** Reference power mapped to 0 dB, or `'max'` for the matrix maximum (`ref`). @default 1 */
  readonly reference?: number | 'max';
  /** Floor applied before the logarithm (`amin`). @default 1e-10 */
  readonly minimumPower?: number;
  /** Values below `max - topDecibels` are raised to it; `null` disables (`top_db`). @default 80 */
  readonly topDecibels?: number | null;
}

/** How a power feature is compressed: decibels, or `log(x + offset)`. */
export type LogCompression = ({ readonly kind: 'decibels' } & DecibelOptions) | { readonly kind: 'natural'; readonly offset?: number };

/** Applies decibel conversion in place on float64 values; returns the array. */
export function decibelsInPlace(values: Float64Array | Float32Array, options: DecibelOptions = {}): typeof values {
  const minimumPower = options.minimumPower ?? 1e-10;
  const topDecibels = options.topDecibels === undefined ? 80 : options.topDecibels;
  if (!(minimumPower > 0))
    throw new InvalidArgumentError({
      argument: 'minimumPower',
      value: minimumPower,
      message: `minimumPower must be positive, got ${minimumPower}.`,
    });
  if (topDecibels !== null && !(topDecibels >= 0)) {
    throw new InvalidArgumentError({
      argument: 'topDecibels',
      value: topDecibels,
      message: `topDecibels must be non-negative or null, got ${topDecibels}.`,
    });
  }
  let reference = options.reference ?? 1;
  if (reference === 'max') {
    reference = 0;
    for (const value of values) if (value > reference) reference = value;
  }
  const offset = 10 * Math.log10(Math.max(minimumPower, reference));
  const native = values instanceof Float64Array ? nativeStft() : undefined;
  let maximum = Number.NEGATIVE_INFINITY;
  if (native) {
    maximum = native.decibels(values as Float64Array, minimumPower, offset);
  } else {
    for (let index = 0; index < values.length; index++) {
      const decibels = 10 * Math.log10(Math.max(minimumPower, values[index] as number)) - offset;
      values[index] = decibels;
      if (decibels > maximum) maximum = decibels;
    }
  }
  if (topDecibels !== null) {
    const floor = maximum - topDecibels;
    for (let index = 0; index < values.length; index++) if ((values[index] as number) < floor) values[index] = floor;
  }
  return values;
}

/**
 * Converts a power matrix to decibels, as `librosa.power_to_db(S, ref, amin, top_db)`.
 * Returns a new matrix; the input is unchanged.
 */
export function powerToDb(power: FeatureMatrix, options: DecibelOptions = {}): FeatureMatrix {
  const values = Float64Array.from(power.data);
  decibelsInPlace(values, options);
  return { data: new Float32Array(values), shape: power.shape };
}

/** Applies a {@link LogCompression} in place. */
export function compressInPlace(values: Float64Array, compression: LogCompression): void {
  if (compression.kind === 'decibels') {
    decibelsInPlace(values, compression);
    return;
  }
  const offset = compression.offset ?? 1e-6;
  if (!(offset >= 0))
    throw new InvalidArgumentError({ argument: 'offset', value: offset, message: `The log offset must be non-negative, got ${offset}.` });
  const native = nativeStft();
  if (native) native.naturalLogs(values, offset);
  else for (let index = 0; index < values.length; index++) values[index] = Math.log((values[index] as number) + offset);
}
