/** Shared checks and geometry of the built-in batch augmentations (not exported). */
import { InvalidArgumentError } from '@polytask/core';

/** Per-item geometry of a batch shape `[batch, ...itemShape]`. */
export function itemGeometry(shape: readonly number[]): { batchSize: number; itemSize: number; itemShape: readonly number[] } {
  const itemShape = shape.slice(1);
  return { batchSize: shape[0] ?? 0, itemSize: itemShape.reduce((product, dimension) => product * dimension, 1), itemShape };
}

/** Checks that `value` is a finite number ≥ `minimum` (an integer when `integer`). */
export function checkNumberOption(options: { argument: string; value: number; minimum: number; integer?: boolean }): void {
  const { argument, value, minimum } = options;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || (options.integer && !Number.isInteger(value)))
    throw new InvalidArgumentError({
      argument,
      value,
      message: `${argument} must be ${options.integer ? 'an integer' : 'a number'} ≥ ${minimum}, got ${value}.`,
    });
}
