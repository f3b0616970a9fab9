/**
 * Mel spectrogram and log-mel spectrogram, as `librosa.feature.melspectrogram` followed
 * by `power_to_db` (or `log(x + offset)`). Output is `[frames, melBands]`, row-major.
 */
import type { FeatureMatrix } from '@polytask/core';
import { type MelFilterbankOptions, resolveMelOptions, sparseMelFilterbank } from './mel-filterbank';
import { compressInPlace, type LogCompression } from './power-to-db';
import {
  forEachSpectrumFrame,
  frameCount,
  frameSource,
  nativeStftFor,
  resolveSpectrogramOptions,
  type SpectrogramOptions,
} from './spectrogram';

/** Mel spectrogram options: the STFT's, the filterbank's, and the sample rate. */
export interface MelSpectrogramOptions extends SpectrogramOptions, Omit<MelFilterbankOptions, 'fftSize'> {}

/** Log-mel options: a mel spectrogram plus its compression. */
export interface LogMelSpectrogramOptions extends MelSpectrogramOptions {
  /** Compression of the mel power. @default { kind: 'decibels', reference: 1, minimumPower: 1e-10, topDecibels: 80 } */
  readonly compression?: LogCompression;
}

/** A mel filterbank as flat sparse bands: band b weighs bins firstBin[b] + i by weights[start[b] + i]. */
interface FlatMelBands {
  readonly melBandCount: number;
  readonly firstBin: Int32Array;
  readonly start: Int32Array;
  readonly weights: Float64Array;
}

/** Filterbanks built recently, by their resolved options (never mutated once built). */
const melBandsCache = new Map<string, FlatMelBands>();
const melBandsCacheSize = 16;

function flatMelBands(options: MelFilterbankOptions): FlatMelBands {
  const key = JSON.stringify(resolveMelOptions(options));
  const cached = melBandsCache.get(key);
  if (cached) return cached;
  const { melBandCount, firstBin, weights } = sparseMelFilterbank(options);
  const start = new Int32Array(melBandCount + 1);
  for (let band = 0; band < melBandCount; band++) start[band + 1] = (start[band] as number) + (weights[band] as Float64Array).length;
  const flat = new Float64Array(start[melBandCount] as number);
  for (let band = 0; band < melBandCount; band++) flat.set(weights[band] as Float64Array, start[band] as number);
  const bands = { melBandCount, firstBin, start, weights: flat };
  if (melBandsCache.size >= melBandsCacheSize) melBandsCache.delete(melBandsCache.keys().next().value as string);
  melBandsCache.set(key, bands);
  return bands;
}

/** Computes the mel power as float64 `[frames, melBands]`; shared by the mel features. */
export function melPower(
  signal: Float32Array,
  options: MelSpectrogramOptions,
): { values: Float64Array; frames: number; melBandCount: number } {
  const spectrogramOptions = resolveSpectrogramOptions(options);
  const { melBandCount, firstBin, start, weights: flat } = flatMelBands({ ...options, fftSize: spectrogramOptions.fftSize });
  // the kernels' band product takes |X|²; other powers go frame by frame
  const native = spectrogramOptions.power === 2 ? nativeStftFor(spectrogramOptions) : undefined;
  if (native) {
    const source = frameSource(signal, spectrogramOptions);
    const values = new Float64Array(source.frames * melBandCount);
    native.bandPower(source, spectrogramOptions, { firstBin, start, weights: flat }, values);
    return { values, frames: source.frames, melBandCount };
  }
  const values = new Float64Array(frameCount(signal.length, spectrogramOptions) * melBandCount);
  const frames = forEachSpectrumFrame(signal, spectrogramOptions, (frame, row) => {
    // locals, not closure slots, in the hot loop
    const weightsFlat = flat;
    const bandStart = start;
    const bandFirstBin = firstBin;
    const output = values;
    const base = frame * melBandCount;
    for (let band = 0; band < melBandCount; band++) {
      const end = bandStart[band + 1] as number;
      let bin = bandFirstBin[band] as number;
      let sum = 0;
      for (let index = bandStart[band] as number; index < end; index++, bin++) sum += (weightsFlat[index] as number) * (row[bin] as number);
      output[base + band] = sum;
    }
  });
  return { values, frames, melBandCount };
}

/**
 * Mel spectrogram `[frames, melBands]` (power by default).
 * @example melSpectrogram(signal, { sampleRate: 16000, fftSize: 1024, hopLength: 256, melBandCount: 64 })
 */
export function melSpectrogram(signal: Float32Array, options: MelSpectrogramOptions): FeatureMatrix {
  const { values, frames, melBandCount } = melPower(signal, options);
  return { data: new Float32Array(values), shape: [frames, melBandCount] };
}

/**
 * Log-mel spectrogram `[frames, melBands]`: decibels as librosa's `power_to_db` by default.
 * @example logMelSpectrogram(signal, { sampleRate: 16000, fftSize: 1024, hopLength: 512, melBandCount: 64 })
 */
export function logMelSpectrogram(signal: Float32Array, options: LogMelSpectrogramOptions): FeatureMatrix {
  const { values, frames, melBandCount } = melPower(signal, options);
  compressInPlace(values, options.compression ?? { kind: 'decibels' });
  return { data: new Float32Array(values), shape: [frames, melBandCount] };
}
