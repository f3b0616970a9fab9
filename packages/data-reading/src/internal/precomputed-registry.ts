/** Adds the `precomputed` extraction to a registry for readers that yield features. */
import { createExtractionRegistry, type ExtractionRegistry, precomputedExtractionMethod } from '@polytask/extraction';

/** `registry` itself when it knows `precomputed`, else a new registry with its methods and `precomputed`. */
export function withPrecomputedExtraction(registry: ExtractionRegistry): ExtractionRegistry {
  if (registry.get(precomputedExtractionMethod.name)) return registry;
  const methods = registry
    .names()
    .map((name) => registry.get(name))
    .filter((method) => method !== undefined);
  return createExtractionRegistry([...methods, precomputedExtractionMethod]);
}
