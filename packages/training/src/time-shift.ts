/**
 * Random time shift as a batch augmentation: each item moves along its first axis (time) by a
 * whole number of frames, drawn uniformly in [−maximumFrames, maximumFrames], either circularly
 * or with the vacated frames filled.
 */
import type { AugmentationInput, AugmentationResult, BatchAugmentation } from './batch-augmentation';
import { checkNumberOption, itemGeometry } from './internal/augmentation-options';

/** Options of {@link createTimeShift}. */
export interface TimeShiftOptions {
  /** Largest shift in frames (clipped to the frame count). */
  readonly maximumFrames: number;
  /** `circular` wraps frames round; `pad` fills the vacated frames with `padValue`. @default 'circular' */
  readonly mode?: 'circular' | 'pad';
  /** The value of vacated frames in `pad` mode (use the features' floor, e.g. −80 for top-clipped dB). @default 0 */
  readonly padValue?: number;
}

/**
 * Shifts each item along time (a positive shift delays: frame t moves to t + s). Targets pass through.
 * @throws InvalidArgumentError for a negative or fractional `maximumFrames`.
 * @example createTimeShift({ maximumFrames: 10, mode: 'pad', padValue: -80 })
 */
export function createTimeShift(options: TimeShiftOptions): BatchAugmentation {
  const mode = options.mode ?? 'circular';
  const padValue = options.padValue ?? 0;
  checkNumberOption({ argument: 'maximumFrames', value: options.maximumFrames, minimum: 0, integer: true });
  checkNumberOption({ argument: 'padValue', value: padValue, minimum: -Infinity });
  return {
    name: 'time-shift',
    apply({ features, shape, targets, random }: AugmentationInput): AugmentationResult {
      const { batchSize, itemSize, itemShape } = itemGeometry(shape);
      const frames = itemShape[0] ?? 1;
      const frameSize = itemSize / frames;
      const largest = Math.min(options.maximumFrames, frames - 1);
      for (let item = 0; item < batchSize; item++) {
        const shift = Math.floor(random() * (2 * largest + 1)) - largest;
        if (shift === 0) continue;
        const values = features.subarray(item * itemSize, (item + 1) * itemSize);
        const source = Float32Array.from(values);
        for (let frame = 0; frame < frames; frame++) {
          const from = frame - shift;
          const inside = from >= 0 && from < frames;
          if (!inside && mode === 'pad') values.fill(padValue, frame * frameSize, (frame + 1) * frameSize);
          else {
            const wrapped = ((from % frames) + frames) % frames;
            values.set(source.subarray(wrapped * frameSize, (wrapped + 1) * frameSize), frame * frameSize);
          }
        }
      }
      return { features, targets };
    },
  };
}
