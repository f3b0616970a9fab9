/**
 * @polytask/dataset-synthetic: a generated multi-task corpus (keyword, speaker pitch, noise
 * tags) and its reader; the quick start's default dataset, no download needed.
 */
export { createSyntheticReader, generateSyntheticCorpus, type SyntheticCorpusOptions, syntheticTasks } from './synthetic-corpus';
