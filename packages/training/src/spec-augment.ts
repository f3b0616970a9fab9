/**
 * SpecAugment (Park et al. 2019) on `[time, frequency]` feature items: frequency masks, time masks
 * and an optional linear time warp, drawn independently per item. Use it on spectrogram-like
 * training features (log-mel, filterbanks); items of another rank are refused.
 */
import { ShapeMismatchError } from '@polytask/core';
import type { AugmentationInput, AugmentationResult, BatchAugmentation } from './batch-augmentation';
import { checkNumberOption, itemGeometry } from './internal/augmentation-options';

/**
 * Options of {@link createSpecAugment}. The defaults are the LD policy of Park et al. (F = 27,
 * m_F = 2, T = 100, m_T = 2), each width clipped to the item's size; time warp is off by default
 * (the paper's W = 80 is for 10 ms frames of long utterances; it helped least in its ablation).
 */
export interface SpecAugmentOptions {
  /** Frequency masks per item (m_F). @default 2 */
  readonly frequencyMasks?: number;
  /** Largest frequency-mask width F in bins; each width is uniform in [0, F], clipped to the bin count. @default 27 */
  readonly frequencyMaskWidth?: number;
  /** Time masks per item (m_T). @default 2 */
  readonly timeMasks?: number;
  /** Largest time-mask width T in frames; each width is uniform in [0, T], clipped to the frame count. @default 100 */
  readonly timeMaskWidth?: number;
  /** What masked cells become: `mean` (the item's mean before masking) or a number (0 for normalised features). @default 'mean' */
  readonly maskValue?: 'mean' | number;
  /**
   * Largest time-warp shift W in frames: a centre frame c, uniform in [W + 1, τ − W − 2], moves to
   * c + w with w uniform in [−W, W], and each side is linearly resampled (a one-dimensional sparse
   * image warp; the first and last frames stay). W is clipped to ⌊(τ − 3) / 2⌋ so both sides keep
   * at least one frame; 0 turns the warp off. @default 0
   */
  readonly timeWarp?: number;
}

/** Draws an integer uniformly in [low, high]. */
function uniformInteger(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** Warps one item's time axis in place (frames of `bins` values): the frame at `centre` moves to `target`. */
function warpTime(item: Float32Array, frames: number, bins: number, centre: number, target: number): void {
  const source = Float32Array.from(item);
  const last = frames - 1;
  for (let frame = 0; frame < frames; frame++) {
    const position = frame <= target ? (frame * centre) / target : centre + ((frame - target) * (last - centre)) / (last - target);
    const below = Math.min(Math.floor(position), last);
    const above = Math.min(below + 1, last);
    const weight = position - below;
    for (let bin = 0; bin < bins; bin++)
      item[frame * bins + bin] = (1 - weight) * (source[below * bins + bin] as number) + weight * (source[above * bins + bin] as number);
  }
}

/**
 * SpecAugment as a batch augmentation: per item, an optional time warp, then `frequencyMasks`
 * bands of up to `frequencyMaskWidth` bins and `timeMasks` spans of up to `timeMaskWidth` frames
 * set to the mask value. Targets pass through unchanged.
 * @throws InvalidArgumentError for a negative or fractional count or width.
 * @example trainFold({ ...options, augmentations: [createSpecAugment({ frequencyMaskWidth: 8, timeMaskWidth: 20 })] })
 */
export function createSpecAugment(options: SpecAugmentOptions = {}): BatchAugmentation {
  const frequencyMasks = options.frequencyMasks ?? 2;
  const frequencyMaskWidth = options.frequencyMaskWidth ?? 27;
  const timeMasks = options.timeMasks ?? 2;
  const timeMaskWidth = options.timeMaskWidth ?? 100;
  const timeWarp = options.timeWarp ?? 0;
  const maskValue = options.maskValue ?? 'mean';
  for (const [argument, value] of Object.entries({ frequencyMasks, frequencyMaskWidth, timeMasks, timeMaskWidth, timeWarp }))
    checkNumberOption({ argument, value, minimum: 0, integer: true });
  if (maskValue !== 'mean') checkNumberOption({ argument: 'maskValue', value: maskValue, minimum: -Infinity });
  return {
    name: 'spec-augment',
    apply({ features, shape, targets, random }: AugmentationInput): AugmentationResult {
      const { batchSize, itemSize, itemShape } = itemGeometry(shape);
      if (itemShape.length !== 2)
        throw new ShapeMismatchError({
          expected: '[time, frequency]',
          actual: itemShape,
          message: `SpecAugment needs items of shape [time, frequency], got [${itemShape.join(', ')}]; reshape the features to two dimensions or leave SpecAugment out.`,
        });
      const [frames, bins] = itemShape as [number, number];
      // both sides of the warp keep at least one frame: c − W ≥ 1 and c + W ≤ τ − 2
      const warp = Math.min(timeWarp, Math.floor((frames - 3) / 2));
      for (let item = 0; item < batchSize; item++) {
        const values = features.subarray(item * itemSize, (item + 1) * itemSize);
        if (warp >= 1) {
          const centre = uniformInteger(random, warp + 1, frames - warp - 2);
          const target = centre + uniformInteger(random, -warp, warp);
          if (target !== centre) warpTime(values, frames, bins, centre, target);
        }
        let fill = maskValue === 'mean' ? 0 : maskValue;
        if (maskValue === 'mean') {
          for (const value of values) fill += value;
          fill /= itemSize;
        }
        for (let mask = 0; mask < frequencyMasks; mask++) {
          const width = uniformInteger(random, 0, Math.min(frequencyMaskWidth, bins));
          const start = uniformInteger(random, 0, bins - width);
          for (let frame = 0; frame < frames; frame++) values.fill(fill, frame * bins + start, frame * bins + start + width);
        }
        for (let mask = 0; mask < timeMasks; mask++) {
          const width = uniformInteger(random, 0, Math.min(timeMaskWidth, frames));
          const start = uniformInteger(random, 0, frames - width);
          values.fill(fill, start * bins, (start + width) * bins);
        }
      }
      return { features, targets };
    },
  };
}
