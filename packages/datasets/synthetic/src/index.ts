/**
 * @polytask/dataset-synthetic: three generated corpora and their readers, the quick start's
 * default datasets (no download needed). `voices` (reader `synthetic`, 16 kHz): keyword, speaker
 * pitch and noise tags, speakers as groups. `scenes` (reader `synthetic-scenes`, 22050 Hz):
 * acoustic scene and sound events, recording sites as groups. `tones` (reader `synthetic-tones`,
 * 16 kHz): a regression task, each tone's pitch and level, sessions as groups.
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
export {
  createSyntheticTonesReader,
  generateSyntheticTones,
  type SyntheticTonesOptions,
  syntheticTonesTasks,
} from './synthetic-tones';
