/**
 * @polytask/dataset-esc50/testing: a fixture generator that writes a small, learnable ESC-50 in
 * the published layout, for tests of code that reads ESC-50 (no download needed).
 */
export { type Esc50FixtureOptions, writeEsc50Fixture } from './write-esc50-fixture';
