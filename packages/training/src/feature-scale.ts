/**
 * What feature values are (decibels, natural-log power, linear power or magnitude): the feature-domain
 * augmentations (random gain, noise mixing) need it to apply a level change or add powers.
 */
import { InvalidArgumentError } from '@polytask/core';

/** The feature scales random gain and noise mixing know (see {@link FeatureScale}). */
export const featureScales = Object.freeze(['decibels', 'natural-log-power', 'power', 'magnitude'] as const);

/**
 * What the feature values are, which sets how a gain of g dB applies: `decibels` (power in dB, as
 * log-mel's power_to_db) adds g; `natural-log-power` (ln of power, as log filterbanks) adds
 * g · ln 10 / 10; `power` multiplies by 10^(g/10); `magnitude` multiplies by 10^(g/20).
 */
export type FeatureScale = (typeof featureScales)[number];

/**
 * Checks a feature scale option.
 * @throws InvalidArgumentError naming `featureScale` and the known scales.
 */
export function checkFeatureScale(scale: unknown): asserts scale is FeatureScale {
  if (!featureScales.includes(scale as FeatureScale))
    throw new InvalidArgumentError({
      argument: 'featureScale',
      value: scale,
      message: `featureScale must be one of ${featureScales.join(', ')}, got ${JSON.stringify(scale)}.`,
    });
}
