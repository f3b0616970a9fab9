/**
 * The `precomputed` extraction: the identity on features a dataset reader yields itself (its
 * `readFeatures`), for corpora published as features rather than audio (AudioSet's VGGish
 * embeddings). In a spec it states that the features are the reader's, so the cache key says so;
 * the reader's name, options and source files key the rest. Not in the default registry:
 * `readDataset` adds it for readers with `readFeatures`.
 */
import { PolytaskError } from '@polytask/core';
import { z } from 'zod';
import type { ExtractionMethod } from './extraction-method';

/** Name of {@link precomputedExtractionMethod} in extraction specs. */
export const precomputedExtractionName = 'precomputed';

/**
 * The identity extraction: `{ name: 'precomputed', sampleRate }`, where `sampleRate` states the
 * rate the features were computed at. It has no parameters and never sees audio.
 */
export const precomputedExtractionMethod: ExtractionMethod<Record<string, never>> = Object.freeze({
  specificationVersion: 'v1' as const,
  name: precomputedExtractionName,
  description: 'Features the dataset reader yields itself (its readFeatures), unchanged; for corpora published as features.',
  version: 1,
  parameters: z.strictObject({}) as unknown as z.ZodType<Record<string, never>>,
  extract(): never {
    throw new PolytaskError({
      message:
        'The precomputed extraction takes its features from the dataset reader (readFeatures); it cannot extract from audio. Use a reader with readFeatures, or name an audio extraction method.',
    });
  },
});
