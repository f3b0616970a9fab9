/**
 * Random gain as a batch augmentation: each item's level changes by a gain drawn uniformly in a
 * decibel range. It works on features, not audio: an additive offset for log features (decibels or
 * natural log), a factor for linear power or magnitude features.
 */
import type { AugmentationInput, AugmentationResult, BatchAugmentation } from './batch-augmentation';
import { checkFeatureScale, type FeatureScale } from './feature-scale';
import { checkNumberOption, itemGeometry } from './internal/augmentation-options';

/** Options of {@link createRandomGain}. */
export interface RandomGainOptions {
  /** Lowest gain in dB. @default -6 */
  readonly minimumDecibels?: number;
  /** Highest gain in dB. @default 6 */
  readonly maximumDecibels?: number;
  /** What the features are (see `FeatureScale`). @default 'decibels' */
  readonly featureScale?: FeatureScale;
}

/** The function applying a gain of `decibels` to one feature value on `scale`. */
function gainFunction(scale: FeatureScale, decibels: number): (value: number) => number {
  switch (scale) {
    case 'decibels':
      return (value) => value + decibels;
    case 'natural-log-power': {
      const offset = (decibels * Math.LN10) / 10;
      return (value) => value + offset;
    }
    case 'power': {
      const factor = 10 ** (decibels / 10);
      return (value) => value * factor;
    }
    case 'magnitude': {
      const factor = 10 ** (decibels / 20);
      return (value) => value * factor;
    }
  }
}

/**
 * Random gain per item, uniform in [minimumDecibels, maximumDecibels] dB. Targets pass through.
 * @throws InvalidArgumentError for a range whose minimum exceeds its maximum, or an unknown scale.
 * @example createRandomGain({ minimumDecibels: -10, maximumDecibels: 10, featureScale: 'natural-log-power' })
 */
export function createRandomGain(options: RandomGainOptions = {}): BatchAugmentation {
  const minimum = options.minimumDecibels ?? -6;
  const maximum = options.maximumDecibels ?? 6;
  const scale = options.featureScale ?? 'decibels';
  checkNumberOption({ argument: 'minimumDecibels', value: minimum, minimum: -Infinity });
  checkNumberOption({ argument: 'maximumDecibels', value: maximum, minimum });
  checkFeatureScale(scale);
  return {
    name: 'random-gain',
    apply({ features, shape, targets, random }: AugmentationInput): AugmentationResult {
      const { batchSize, itemSize } = itemGeometry(shape);
      for (let item = 0; item < batchSize; item++) {
        const gain = gainFunction(scale, minimum + random() * (maximum - minimum));
        for (let index = item * itemSize; index < (item + 1) * itemSize; index++) features[index] = gain(features[index] as number);
      }
      return { features, targets };
    },
  };
}
