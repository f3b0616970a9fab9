/**
 * @polytask/dataset-dcase2017-events/testing: a fixture generator that writes a small, learnable
 * TUT Sound Events 2017 development set in the published layout, for tests of code that reads it (no download needed).
 */
export { type Dcase2017EventsFixtureOptions, writeDcase2017EventsFixture } from './write-dcase2017-events-fixture';
