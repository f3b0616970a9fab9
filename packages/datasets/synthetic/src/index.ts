/**
 * @polytask/dataset-synthetic: two generated multi-task corpora and their readers, the quick
 * start's default datasets (no download needed). `voices` (reader `synthetic`, 16 kHz):
 * keyword, speaker pitch and noise tags, speakers as groups. `scenes` (reader
 * `synthetic-scenes`, 22050 Hz): acoustic scene and sound events, recording sites as groups.
 */

export { createReader, type SyntheticCorpusName, type SyntheticReaderOptions, syntheticCorpusNames } from './create-reader';
export { readerOptionsSchema } from './reader-options-schema';
export { createSyntheticReader, generateSyntheticCorpus, type SyntheticCorpusOptions, syntheticTasks } from './synthetic-corpus';
export {
  createSyntheticScenesReader,
  generateSyntheticScenes,
  type SyntheticScenesOptions,
  syntheticScenesTasks,
} from './synthetic-scenes';
