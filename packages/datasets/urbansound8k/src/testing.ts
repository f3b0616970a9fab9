/**
 * @polytask/dataset-urbansound8k/testing: a fixture generator that writes a small, learnable
 * UrbanSound8K in the published layout, for tests of code that reads it (no download needed).
 */
export { type UrbanSound8kFixtureOptions, writeUrbanSound8kFixture } from './write-urbansound8k-fixture';
