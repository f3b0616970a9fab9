/**
 * Delta features along time, as `librosa.feature.delta` (a Savitzky-Golay derivative,
 * `scipy.signal.savgol_filter(..., mode='interp')`).
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';

/** Delta options; librosa's names in parentheses. */
export interface DeltaOptions {
  /** Frames in the fitting window, odd and at least 3 (`width`). @default 9 */
  readonly width?: number;
  /** Derivative order, 1 (delta) or 2 (delta-delta) (`order`). @default 1 */
  readonly order?: number;
}

function solve(matrix: number[][], vector: number[]): number[] {
  const size = vector.length;
  const a = matrix.map((row, index) => [...row, vector[index] as number]);
  for (let column = 0; column < size; column++) {
    let pivot = column;
    for (let row = column + 1; row < size; row++)
      if (Math.abs(a[row]?.[column] as number) > Math.abs(a[pivot]?.[column] as number)) pivot = row;
    [a[column], a[pivot]] = [a[pivot] as number[], a[column] as number[]];
    const pivotRow = a[column] as number[];
    for (let row = 0; row < size; row++) {
      if (row === column) continue;
      const current = a[row] as number[];
      const factor = (current[column] as number) / (pivotRow[column] as number);
      for (let k = column; k <= size; k++) current[k] = (current[k] as number) - factor * (pivotRow[k] as number);
    }
  }
  return a.map((row, index) => (row[size] as number) / (row[index] as number));
}

/** Savitzky-Golay coefficients for the `order`-th derivative of a degree-`order` fit. */
function savitzkyGolayCoefficients(width: number, order: number): Float64Array {
  const half = (width - 1) / 2;
  const degree = order;
  const normal = Array.from({ length: degree + 1 }, (_, i) =>
    Array.from({ length: degree + 1 }, (_, j) => {
      let sum = 0;
      for (let t = -half; t <= half; t++) sum += t ** (i + j);
      return sum;
    }),
  );
  let factorial = 1;
  for (let k = 2; k <= order; k++) factorial *= k;
  const coefficients = new Float64Array(width);
  for (let t = -half; t <= half; t++) {
    // coefficient of y_t in a_order = [(AᵀA)⁻¹ Aᵀ]_{order, t}
    const column = Array.from({ length: degree + 1 }, (_, i) => t ** i);
    coefficients[t + half] = factorial * (solve(normal, column)[order] as number);
  }
  return coefficients;
}

/**
 * The delta of a `[frames, columns]` matrix along frames, same shape.
 * @throws InvalidArgumentError when the width is even, below 3, or larger than the frame count.
 */
export function delta(matrix: FeatureMatrix, options: DeltaOptions = {}): FeatureMatrix {
  const width = options.width ?? 9;
  const order = options.order ?? 1;
  const [frames = 0, columns = 1] = matrix.shape;
  if (!Number.isInteger(width) || width < 3 || width % 2 === 0) {
    throw new InvalidArgumentError({
      argument: 'width',
      value: width,
      message: `Delta width must be an odd integer of at least 3, got ${width}.`,
    });
  }
  if (order !== 1 && order !== 2)
    throw new InvalidArgumentError({ argument: 'order', value: order, message: `Delta order must be 1 or 2, got ${order}.` });
  if (frames < width) {
    throw new InvalidArgumentError({
      argument: 'width',
      value: width,
      message: `Deltas of width ${width} need at least ${width} frames, got ${frames}; use a smaller width or longer audio.`,
    });
  }
  const coefficients = savitzkyGolayCoefficients(width, order);
  const half = (width - 1) / 2;
  const output = new Float32Array(frames * columns);
  for (let column = 0; column < columns; column++) {
    for (let frame = half; frame < frames - half; frame++) {
      let sum = 0;
      for (let t = -half; t <= half; t++)
        sum += (coefficients[t + half] as number) * (matrix.data[(frame + t) * columns + column] as number);
      output[frame * columns + column] = sum;
    }
    // mode 'interp': the order-th derivative of a degree-order fit is constant over the edge window
    for (let frame = 0; frame < half; frame++) {
      output[frame * columns + column] = output[half * columns + column] as number;
      output[(frames - 1 - frame) * columns + column] = output[(frames - 1 - half) * columns + column] as number;
    }
  }
  return { data: output, shape: [frames, columns] };
}
