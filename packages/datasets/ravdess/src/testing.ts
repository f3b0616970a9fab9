/**
 * @polytask/dataset-ravdess/testing: a fixture generator that writes a small, learnable RAVDESS
 * (audio-only speech and song) in the published layout, for tests of code that reads it (no download needed).
 */
export { type RavdessFixtureOptions, writeRavdessFixture } from './write-ravdess-fixture';
