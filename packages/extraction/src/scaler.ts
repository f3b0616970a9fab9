/**
 * Feature scaling fitted on training data only, streamed (Chan/Welford merges, so
 * fitting never holds all data), invertible and serialisable, so a fitted scaler is
 * saved with a run and reapplied to its test set.
 * - `per-feature`: standardise each column (last dimension) with statistics over every
 *   row of every example (sklearn StandardScaler on frames).
 * - `per-cell`: standardise each cell of equal-shape examples with statistics across examples.
 * - `min-max`: map each column to [0, 1] from its minimum and maximum over all rows.
 * Standard deviations are population ones (ddof 0); a constant column gets scale 1, as in scikit-learn.
 */
import { type FeatureMatrix, InvalidArgumentError, ShapeMismatchError } from '@polytask/core';

/** Scaling strategies. */
export type ScalingMode = 'per-feature' | 'per-cell' | 'min-max';

/** Serialised scaler: plain JSON. */
export interface ScalerState {
  readonly kind: 'polytask-scaler';
  readonly version: 1;
  readonly mode: ScalingMode;
  /** Per-feature/min-max: `[columns]`; per-cell: the example shape. */
  readonly shape: readonly number[];
  /** Observations merged: rows (per-feature, min-max) or examples (per-cell). */
  readonly count: number;
  /** Means (standardisation) or minima (min-max). */
  readonly location: readonly number[];
  /** Sums of squared deviations (standardisation) or maxima (min-max). */
  readonly spread: readonly number[];
}

/** A scaler: fit incrementally, then transform and invert. */
export interface Scaler {
  readonly mode: ScalingMode;
  /** True once at least one observation was fitted. */
  readonly fitted: boolean;
  /** Adds one example's statistics. Throws on NaN or infinite values. */
  partialFit(matrix: FeatureMatrix): void;
  /** Scales a copy of `matrix`. */
  transform(matrix: FeatureMatrix): FeatureMatrix;
  /** Undoes {@link Scaler.transform} on a copy. */
  inverseTransform(matrix: FeatureMatrix): FeatureMatrix;
  /** Per-column or per-cell offset and scale: transform(x) = (x - offset) / scale. */
  parameters(): { offset: Float64Array; scale: Float64Array };
  /** Serialisable state. */
  toJSON(): ScalerState;
}

const scalingModes: readonly ScalingMode[] = ['per-feature', 'per-cell', 'min-max'];

function checkFinite(matrix: FeatureMatrix, source: string): void {
  for (let index = 0; index < matrix.data.length; index++) {
    if (!Number.isFinite(matrix.data[index])) {
      throw new InvalidArgumentError({
        argument: 'features',
        value: matrix.data[index],
        message: `${source}: the features hold ${matrix.data[index]} at flat index ${index} (shape [${matrix.shape.join(', ')}]); clean or re-extract them before scaling.`,
      });
    }
  }
}

/**
 * Creates an unfitted scaler, or restores one from its saved state.
 * @example const scaler = createScaler({ mode: 'per-feature' }); for (const x of train) scaler.partialFit(x);
 */
export function createScaler(options: { mode: ScalingMode } | { state: ScalerState }): Scaler {
  const state = 'state' in options ? options.state : undefined;
  const mode = state ? state.mode : (options as { mode: ScalingMode }).mode;
  if (!scalingModes.includes(mode)) {
    throw new InvalidArgumentError({
      argument: 'mode',
      value: mode,
      message: `Unknown scaling mode "${String(mode)}"; use ${scalingModes.join(', ')}.`,
    });
  }
  if (state && (state.kind !== 'polytask-scaler' || state.version !== 1 || state.location.length !== state.spread.length)) {
    throw new InvalidArgumentError({
      argument: 'state',
      value: state.kind,
      message: 'Not a saved Polytask scaler (kind "polytask-scaler", version 1).',
    });
  }
  let shape: readonly number[] | undefined = state?.shape;
  let count = state?.count ?? 0;
  let location = state ? Float64Array.from(state.location) : new Float64Array(0);
  let spread = state ? Float64Array.from(state.spread) : new Float64Array(0);

  const unitShape = (matrix: FeatureMatrix): readonly number[] =>
    mode === 'per-cell' ? matrix.shape : [matrix.shape.at(-1) ?? matrix.data.length];
  const checkShape = (matrix: FeatureMatrix) => {
    const expected = shape as readonly number[];
    const actual = unitShape(matrix);
    if (actual.length !== expected.length || actual.some((dimension, index) => dimension !== expected[index])) {
      throw new ShapeMismatchError({
        expected,
        actual,
        message: `The scaler was fitted on ${mode === 'per-cell' ? 'examples' : 'columns'} of shape [${expected.join(', ')}] but got [${actual.join(', ')}].`,
      });
    }
  };

  const parameters = () => {
    if (count === 0)
      throw new InvalidArgumentError({
        argument: 'scaler',
        value: mode,
        message: 'The scaler is not fitted: call partialFit on the training examples first.',
      });
    const offset = new Float64Array(location.length);
    const scale = new Float64Array(location.length);
    for (let index = 0; index < location.length; index++) {
      if (mode === 'min-max') {
        offset[index] = location[index] as number;
        const range = (spread[index] as number) - (location[index] as number);
        scale[index] = range > 0 ? range : 1;
      } else {
        offset[index] = location[index] as number;
        const deviation = Math.sqrt((spread[index] as number) / count);
        scale[index] = deviation > 0 ? deviation : 1;
      }
    }
    return { offset, scale };
  };

  const apply = (matrix: FeatureMatrix, inverse: boolean): FeatureMatrix => {
    const { offset, scale } = parameters();
    checkShape(matrix);
    const width = offset.length;
    const data = new Float32Array(matrix.data.length);
    for (let index = 0; index < data.length; index++) {
      const unit = index % width;
      data[index] = inverse
        ? (matrix.data[index] as number) * (scale[unit] as number) + (offset[unit] as number)
        : ((matrix.data[index] as number) - (offset[unit] as number)) / (scale[unit] as number);
    }
    return { data, shape: matrix.shape };
  };

  return {
    mode,
    get fitted() {
      return count > 0;
    },
    partialFit(matrix) {
      checkFinite(matrix, 'partialFit');
      if (!shape) {
        shape = Object.freeze([...unitShape(matrix)]);
        const width = mode === 'per-cell' ? matrix.data.length : (shape[0] as number);
        location = new Float64Array(width).fill(mode === 'min-max' ? Number.POSITIVE_INFINITY : 0);
        spread = new Float64Array(width).fill(mode === 'min-max' ? Number.NEGATIVE_INFINITY : 0);
      }
      checkShape(matrix);
      const width = location.length;
      if (mode === 'min-max') {
        for (let index = 0; index < matrix.data.length; index++) {
          const unit = index % width;
          const value = matrix.data[index] as number;
          if (value < (location[unit] as number)) location[unit] = value;
          if (value > (spread[unit] as number)) spread[unit] = value;
        }
        count += matrix.data.length / width;
        return;
      }
      // Chan et al.: merge the batch's mean and M2 into the running ones.
      const rows = matrix.data.length / width;
      const batchMean = new Float64Array(width);
      const batchM2 = new Float64Array(width);
      for (let index = 0; index < matrix.data.length; index++)
        batchMean[index % width] = (batchMean[index % width] as number) + (matrix.data[index] as number);
      for (let unit = 0; unit < width; unit++) batchMean[unit] = (batchMean[unit] as number) / rows;
      for (let index = 0; index < matrix.data.length; index++) {
        const deviation = (matrix.data[index] as number) - (batchMean[index % width] as number);
        batchM2[index % width] = (batchM2[index % width] as number) + deviation * deviation;
      }
      const total = count + rows;
      for (let unit = 0; unit < width; unit++) {
        const delta = (batchMean[unit] as number) - (location[unit] as number);
        location[unit] = (location[unit] as number) + (delta * rows) / total;
        spread[unit] = (spread[unit] as number) + (batchM2[unit] as number) + (delta * delta * count * rows) / total;
      }
      count = total;
    },
    transform: (matrix) => apply(matrix, false),
    inverseTransform: (matrix) => apply(matrix, true),
    parameters,
    toJSON: () => ({
      kind: 'polytask-scaler',
      version: 1,
      mode,
      shape: [...(shape ?? [])],
      count,
      location: [...location],
      spread: [...spread],
    }),
  };
}
