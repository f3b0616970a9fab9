/**
 * @polytask/extraction: audio in, feature matrices out, on plain Float32Arrays (no tfjs).
 * Decoding (WAV natively; FLAC/Ogg/Opus/MP3 through optional audio-decode), resampling
 * equal to scipy's resample_poly, librosa-exact STFT/mel/log-mel/MFCC, python_speech_features
 * filterbanks, the logbank summary, Meyda's spectral descriptors, extraction specs with a
 * stable cache hash, streaming scalers and shape preparation. Every feature is `[frames, columns]`, row-major.
 */

export { type DecodeWavOptions, decodeWav, readWavFormat, type WavFormat } from './audio/decode-wav';
export { applyChannelPolicy, type ChannelPolicy, channelPolicies, type DecodedAudio } from './audio/decoded-audio';
export { type AudioContainer, decodeAudio, detectAudioContainer, readAudioFile } from './audio/read-audio';
export { AudioDurationError } from './audio-duration-error';
export { builtInExtractionMethods, createDefaultExtractionRegistry } from './built-in-extraction-methods';
export { type DeltaOptions, delta } from './delta';
export {
  type AnyExtractionMethod,
  canonicalSpecJson,
  createExtractionRegistry,
  type ExtractionMethod,
  type ExtractionRegistry,
  type ExtractionSpec,
  type ExtractionSpecInput,
  type ExtractOptions,
  extractionSpecHash,
} from './extraction-method';
export { type FilterbankOptions, filterbankEnergies, logFilterbankEnergies } from './filterbank';
export { fastFftLoaded, fastFftSupports, loadFastFft } from './internal/fast-fft';
export { loadNativeStft } from './internal/native-stft';
export {
  defaultSummaryStatistics,
  type LogbankSummaryOptions,
  logbankSummary,
  type SummaryStatistic,
  summarizeFrames,
  summaryStatistics,
} from './logbank-summary';
export { hzToMel, type MelFilterbankOptions, melFilterbank, melToHz } from './mel-filterbank';
export { type LogMelSpectrogramOptions, logMelSpectrogram, type MelSpectrogramOptions, melSpectrogram } from './mel-spectrogram';
export { dctRows, type MfccOptions, mfcc } from './mfcc';
export { type DecibelOptions, type LogCompression, powerToDb } from './power-to-db';
export { precomputedExtractionMethod, precomputedExtractionName } from './precomputed-extraction-method';
export {
  type CutOrPadOptions,
  createFrameCountFitter,
  cutOrPad,
  type FrameCountFitter,
  type FrameCountStatistic,
  type FramePadMode,
  type WindowedExamples,
  type WindowOptions,
  windowCount,
  windowExamples,
} from './preparation';
export { type ResampleMethod, type ResampleOptions, resample, resampleMethods, resamplePoly } from './resample';
export { createScaler, type Scaler, type ScalerState, type ScalingMode } from './scaler';
export {
  type SpectralDescriptor,
  type SpectralDescriptorOptions,
  spectralDescriptorFrames,
  spectralDescriptors,
} from './spectral-descriptors';
export { type PadMode, type SpectrogramOptions, spectrogram } from './spectrogram';
export { createWindow, type WindowName, windowNames } from './window';
