/**
 * @polytask/dataset-synthetic: a generated multi-task corpus (keyword, speaker pitch, noise
 * tags) and its reader; the quick start's default dataset, no download needed.
 */
import { createSyntheticReader, generateSyntheticCorpus } from './synthetic-corpus';

export { createSyntheticReader, generateSyntheticCorpus, type SyntheticCorpusOptions, syntheticTasks } from './synthetic-corpus';

/**
 * The reader factory every reader package exports (used by the polytask CLI); generates the
 * corpus first when the folder holds none.
 */
export function createReader(options: { directory: string; clipsPerSpeakerAndKeyword?: number }) {
  generateSyntheticCorpus(options);
  return createSyntheticReader(options);
}
