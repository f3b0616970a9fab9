/**
 * @polytask/data-reading/testing: building blocks of reader packages' fixture generators, which
 * write small corpora in the real published layouts: PCM WAV writing, and learnable clips in
 * which every label sounds as its own tone (pitch and texture).
 */
export {
  type FixtureLabelToneOptions,
  type FixtureSoundOptions,
  type FixtureTone,
  fixtureLabelTone,
  synthesizeFixtureSound,
} from './fixture-sound';
export { type EncodeWavOptions, encodeWav, type WriteWavFileOptions, writeWavFile } from './write-wav-file';
