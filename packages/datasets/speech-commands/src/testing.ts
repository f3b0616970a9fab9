/**
 * @polytask/dataset-speech-commands/testing: a fixture generator that writes a small, learnable
 * Speech Commands v0.02 in the published layout, for tests of code that reads it (no download needed).
 */
export { type SpeechCommandsFixtureOptions, writeSpeechCommandsFixture } from './write-speech-commands-fixture';
