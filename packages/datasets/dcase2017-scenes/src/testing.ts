/**
 * @polytask/dataset-dcase2017-scenes/testing: a fixture generator that writes a small, learnable
 * TUT Acoustic Scenes 2017 development set in the published layout, for tests of code that reads it (no download needed).
 */
export { type Dcase2017ScenesFixtureOptions, writeDcase2017ScenesFixture } from './write-dcase2017-scenes-fixture';
