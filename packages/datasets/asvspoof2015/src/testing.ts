/**
 * @polytask/dataset-asvspoof2015/testing: a fixture generator that writes a small, learnable
 * ASVspoof 2015 in the published layout, for tests of code that reads it (no download needed).
 */
export { type Asvspoof2015FixtureOptions, writeAsvspoof2015Fixture } from './write-asvspoof2015-fixture';
