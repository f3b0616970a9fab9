/**
 * @polytask/dataset-audioset/testing: a fixture generator that writes a small AudioSet embedding
 * release in the published layout (TFRecords included), for tests of code that reads AudioSet.
 */
export {
  type AudiosetFixtureOptions,
  audiosetFixtureClasses,
  audiosetFixtureLabelSets,
  writeAudiosetFixture,
} from './write-audioset-fixture';
