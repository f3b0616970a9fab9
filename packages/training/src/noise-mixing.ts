/**
 * Noise mixing as a batch augmentation: each item gets a noise item from a pre-extracted noise
 * corpus (features of any reader, made with the training features' extraction) added at a signal-
 * to-noise ratio drawn uniformly in a dB range. Mixing happens on features, in the power domain.
 */
import { type FeatureMatrix, InvalidArgumentError, ShapeMismatchError } from '@polytask/core';
import type { AugmentationInput, AugmentationResult, BatchAugmentation } from './batch-augmentation';
import { checkFeatureScale, type FeatureScale } from './feature-scale';
import { checkNumberOption, itemGeometry } from './internal/augmentation-options';

/** Options of {@link createNoiseMixing}. */
export interface NoiseMixingOptions {
  /**
   * Noise feature items, extracted as the training features are (same scale, same bins), e.g.
   * `Array.from({ length: noise.size }, (_, index) => noise.featuresOf(index))` for a task dataset read
   * by any reader. Each has the batch items' shape past the first axis (frames); a longer item gives a random
   * crop of the batch item's length, a shorter one is repeated from its start (looped, as background noise is).
   */
  readonly noise: readonly FeatureMatrix[];
  /** Lowest SNR in dB. @default 0 */
  readonly minimumSnr?: number;
  /** Highest SNR in dB. @default 20 */
  readonly maximumSnr?: number;
  /**
   * What the features are. Mixing adds powers (signal and noise taken as uncorrelated):
   * linear `power` features add directly, `magnitude` ones as √(x² + g·n²), and log features
   * (`decibels`, `natural-log-power`) go to power and back, so they must not be normalised or clipped
   * (mean/variance normalisation breaks the scale; top-dB clipping makes the mix approximate).
   * @default 'power'
   */
  readonly featureScale?: FeatureScale;
  /** Chance that an item gets noise. @default 1 */
  readonly probability?: number;
}

/** To power and back, per feature scale. */
const toPower: Record<FeatureScale, (value: number) => number> = {
  power: (value) => value,
  magnitude: (value) => value * value,
  decibels: (value) => 10 ** (value / 10),
  'natural-log-power': (value) => Math.exp(value),
};
const fromPower: Record<FeatureScale, (value: number) => number> = {
  power: (value) => value,
  magnitude: (value) => Math.sqrt(value),
  decibels: (value) => 10 * Math.log10(value),
  'natural-log-power': (value) => Math.log(value),
};

/**
 * Adds noise per item: with signal power P_s and noise power P_n (means over the item in the
 * power domain) and an SNR s in dB, the noise's power is scaled by g = P_s / (P_n · 10^(s/10)), so
 * the mix is signal + g · noise in power. Items or noise of zero power are left as they are. Targets pass through.
 * @throws InvalidArgumentError for an empty corpus, an empty SNR range or a probability outside [0, 1].
 * @throws ShapeMismatchError (on apply) when a noise item does not fit the batch's item shape.
 * @example createNoiseMixing({ noise: noiseItems, minimumSnr: 5, maximumSnr: 15, featureScale: 'decibels' })
 */
export function createNoiseMixing(options: NoiseMixingOptions): BatchAugmentation {
  const minimum = options.minimumSnr ?? 0;
  const maximum = options.maximumSnr ?? 20;
  const scale = options.featureScale ?? 'power';
  const probability = options.probability ?? 1;
  if (!Array.isArray(options.noise) || options.noise.length === 0)
    throw new InvalidArgumentError({
      argument: 'noise',
      value: options.noise,
      message: 'noise must hold at least one noise feature item.',
    });
  checkNumberOption({ argument: 'minimumSnr', value: minimum, minimum: -Infinity });
  checkNumberOption({ argument: 'maximumSnr', value: maximum, minimum });
  checkNumberOption({ argument: 'probability', value: probability, minimum: 0 });
  if (probability > 1)
    throw new InvalidArgumentError({
      argument: 'probability',
      value: probability,
      message: `probability must be in [0, 1], got ${probability}.`,
    });
  checkFeatureScale(scale);
  const noisePower = options.noise.map((item) => Float64Array.from(item.data, toPower[scale]));
  return {
    name: 'noise-mixing',
    apply({ features, shape, targets, random }: AugmentationInput): AugmentationResult {
      const { batchSize, itemSize, itemShape } = itemGeometry(shape);
      const frames = itemShape[0] ?? 1;
      const frameSize = itemSize / frames;
      for (let item = 0; item < batchSize; item++) {
        if (random() >= probability) continue;
        const choice = Math.floor(random() * noisePower.length);
        const noise = options.noise[choice] as FeatureMatrix;
        const noiseFrames = noise.shape[0] ?? 1;
        if (noise.shape.length !== itemShape.length || noise.shape.slice(1).join() !== itemShape.slice(1).join() || noiseFrames < 1)
          throw new ShapeMismatchError({
            expected: itemShape,
            actual: noise.shape,
            message: `Noise item ${choice} is [${noise.shape.join(', ')}] but the batch items are [${itemShape.join(', ')}]; noise needs the same shape past the frames (extract it as the training features are).`,
          });
        // a random crop of a longer item; a shorter one looped from its start
        const offset = noiseFrames >= frames ? Math.floor(random() * (noiseFrames - frames + 1)) * frameSize : 0;
        const noiseSize = noiseFrames * frameSize;
        const at = (index: number) => (offset + index) % noiseSize;
        const snr = minimum + random() * (maximum - minimum);
        const power = noisePower[choice] as Float64Array;
        const values = features.subarray(item * itemSize, (item + 1) * itemSize);
        const signal = Float64Array.from(values, toPower[scale]);
        let signalMean = 0;
        let noiseMean = 0;
        for (let index = 0; index < itemSize; index++) {
          signalMean += signal[index] as number;
          noiseMean += power[at(index)] as number;
        }
        if (!(signalMean > 0 && noiseMean > 0)) continue;
        const gain = signalMean / (noiseMean * 10 ** (snr / 10));
        for (let index = 0; index < itemSize; index++)
          values[index] = fromPower[scale]((signal[index] as number) + gain * (power[at(index)] as number));
      }
      return { features, targets };
    },
  };
}
