/**
 * @polytask/dataset-fsdkaggle2018/testing: a fixture generator that writes a small, learnable
 * FSDKaggle2018 in the Zenodo or Kaggle layout, for tests of code that reads it (no download needed).
 */
export { type FsdKaggle2018FixtureOptions, writeFsdKaggle2018Fixture } from './write-fsdkaggle2018-fixture';
