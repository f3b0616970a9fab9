/**
 * Augmentations by spec, for configurations that can only name things (the experiment config's
 * `training.augmentations`): `{ kind: 'spec-augment', ... }`, `{ kind: 'mixup', alpha }`,
 * `{ kind: 'random-gain', ... }`, `{ kind: 'time-shift', maximumFrames }` and
 * `{ kind: 'noise-mixing', noise, ... }` (the noise corpus's feature items; the experiment runner
 * reads them from the config's `corpus`).
 */
import { InvalidArgumentError } from '@polytask/core';
import type { BatchAugmentation } from './batch-augmentation';
import { createMixup, type MixupOptions } from './mixup';
import { createNoiseMixing, type NoiseMixingOptions } from './noise-mixing';
import { createRandomGain, type RandomGainOptions } from './random-gain';
import { createSpecAugment, type SpecAugmentOptions } from './spec-augment';
import { createTimeShift, type TimeShiftOptions } from './time-shift';

/** A built-in augmentation by kind, with its options. */
export type AugmentationSpec =
  | ({ readonly kind: 'spec-augment' } & SpecAugmentOptions)
  | ({ readonly kind: 'mixup' } & MixupOptions)
  | ({ readonly kind: 'random-gain' } & RandomGainOptions)
  | ({ readonly kind: 'time-shift' } & TimeShiftOptions)
  | ({ readonly kind: 'noise-mixing' } & NoiseMixingOptions);

/** The kinds {@link createAugmentation} builds. */
export const augmentationKinds: readonly AugmentationSpec['kind'][] = Object.freeze([
  'spec-augment',
  'mixup',
  'random-gain',
  'time-shift',
  'noise-mixing',
]);

/**
 * Builds a built-in augmentation from its spec.
 * @throws InvalidArgumentError for an unknown kind or a bad option (named in `argument`).
 * @example createAugmentation({ kind: 'mixup', alpha: 0.4, acrossDatasets: false })
 */
export function createAugmentation(spec: AugmentationSpec): BatchAugmentation {
  const { kind, ...options } = spec;
  switch (kind) {
    case 'spec-augment':
      return createSpecAugment(options as SpecAugmentOptions);
    case 'mixup':
      return createMixup(options as MixupOptions);
    case 'random-gain':
      return createRandomGain(options as RandomGainOptions);
    case 'time-shift':
      return createTimeShift(options as TimeShiftOptions);
    case 'noise-mixing':
      return createNoiseMixing(options as NoiseMixingOptions);
    default:
      throw new InvalidArgumentError({
        argument: 'kind',
        value: kind,
        message: `Unknown augmentation kind ${JSON.stringify(kind)}; the kinds are ${augmentationKinds.join(', ')}.`,
      });
  }
}
