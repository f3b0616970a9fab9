/**
 * Filterbank energies in the style of python_speech_features 0.6 (`fbank`, `logfbank`),
 * which CombinaTorch used: pre-emphasis, frames of `windowDuration` seconds every
 * `stepDuration` seconds (the last one zero-padded), power spectrum `|FFT|² / fftSize`,
 * HTK-scale triangles snapped to FFT bins. Output `[frames, filters]`, row-major.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { realFft } from './internal/real-fft';
import { hzToMel, melToHz } from './mel-filterbank';
import { createWindow, type WindowName } from './window';

/** Filterbank options; python_speech_features' names in parentheses. */
export interface FilterbankOptions {
  /** Sample rate in Hz (`samplerate`). */
  readonly sampleRate: number;
  /** Frame length in seconds (`winlen`). @default 0.025 */
  readonly windowDuration?: number;
  /** Frame step in seconds (`winstep`). @default 0.01 */
  readonly stepDuration?: number;
  /** Number of triangular filters (`nfilt`). @default 26 */
  readonly filterCount?: number;
  /** FFT length; frames longer than this are truncated (`nfft`). @default 512 */
  readonly fftSize?: number;
  /** Lowest filter edge in Hz (`lowfreq`). @default 0 */
  readonly minimumFrequency?: number;
  /** Highest filter edge in Hz (`highfreq`). @default sampleRate / 2 */
  readonly maximumFrequency?: number;
  /** Pre-emphasis coefficient; 0 disables (`preemph`). @default 0.97 */
  readonly preemphasis?: number;
  /** Frame window, symmetric (`winfunc`). @default 'rectangular' */
  readonly window?: WindowName;
}

const roundHalfUp = (value: number) => Math.floor(value + 0.5 + 1e-9);

function filterbankWeights(filterCount: number, fftSize: number, sampleRate: number, low: number, high: number): Float64Array[] {
  const lowMel = hzToMel(low, true);
  const highMel = hzToMel(high, true);
  const bins = Array.from({ length: filterCount + 2 }, (_, index) =>
    Math.floor(((fftSize + 1) * melToHz(lowMel + ((highMel - lowMel) * index) / (filterCount + 1), true)) / sampleRate),
  );
  const binCount = Math.floor(fftSize / 2) + 1;
  return Array.from({ length: filterCount }, (_, filter) => {
    const row = new Float64Array(binCount);
    const [left, centre, right] = [bins[filter] as number, bins[filter + 1] as number, bins[filter + 2] as number];
    for (let bin = left; bin < centre; bin++) row[bin] = (bin - left) / (centre - left);
    for (let bin = centre; bin < right; bin++) row[bin] = (right - bin) / (right - centre);
    return row;
  });
}

function compute(signal: Float32Array, options: FilterbankOptions, logarithm: boolean): FeatureMatrix {
  const { sampleRate } = options;
  const windowDuration = options.windowDuration ?? 0.025;
  const stepDuration = options.stepDuration ?? 0.01;
  const filterCount = options.filterCount ?? 26;
  const fftSize = options.fftSize ?? 512;
  const minimumFrequency = options.minimumFrequency ?? 0;
  const maximumFrequency = options.maximumFrequency ?? sampleRate / 2;
  const preemphasis = options.preemphasis ?? 0.97;
  if (!(sampleRate > 0))
    throw new InvalidArgumentError({
      argument: 'sampleRate',
      value: sampleRate,
      message: `sampleRate must be positive, got ${sampleRate}.`,
    });
  if (maximumFrequency > sampleRate / 2 || minimumFrequency < 0 || minimumFrequency >= maximumFrequency) {
    throw new InvalidArgumentError({
      argument: 'maximumFrequency',
      value: [minimumFrequency, maximumFrequency],
      message: `Need 0 <= minimumFrequency < maximumFrequency <= sampleRate / 2 (${sampleRate / 2}), got ${minimumFrequency} and ${maximumFrequency}.`,
    });
  }
  const frameLength = roundHalfUp(windowDuration * sampleRate);
  const frameStep = roundHalfUp(stepDuration * sampleRate);
  if (frameLength < 1 || frameStep < 1) {
    throw new InvalidArgumentError({
      argument: 'windowDuration',
      value: [windowDuration, stepDuration],
      message: 'windowDuration and stepDuration must each cover at least one sample.',
    });
  }
  if (signal.length === 0) throw new InvalidArgumentError({ argument: 'signal', value: 0, message: 'The signal is empty.' });
  const frames = signal.length <= frameLength ? 1 : 1 + Math.ceil((signal.length - frameLength) / frameStep);
  const emphasised = new Float64Array(signal.length);
  emphasised[0] = signal[0] as number;
  for (let index = 1; index < signal.length; index++)
    emphasised[index] = (signal[index] as number) - preemphasis * (signal[index - 1] as number);
  const window = createWindow(options.window ?? 'rectangular', frameLength, false);
  const weights = filterbankWeights(filterCount, fftSize, sampleRate, minimumFrequency, maximumFrequency);
  const fft = realFft(fftSize);
  const frame = new Float64Array(fftSize);
  const real = new Float64Array(fft.binCount);
  const imaginary = new Float64Array(fft.binCount);
  const output = new Float32Array(frames * filterCount);
  const used = Math.min(frameLength, fftSize);
  for (let frameIndex = 0; frameIndex < frames; frameIndex++) {
    frame.fill(0);
    const start = frameIndex * frameStep;
    for (let index = 0; index < used; index++) {
      const position = start + index;
      frame[index] = position < signal.length ? (emphasised[position] as number) * (window[index] as number) : 0;
    }
    fft.transform(frame, real, imaginary);
    for (let filter = 0; filter < filterCount; filter++) {
      const row = weights[filter] as Float64Array;
      let energy = 0;
      for (let bin = 0; bin < fft.binCount; bin++) {
        const weight = row[bin] as number;
        if (weight !== 0) energy += (weight * ((real[bin] as number) ** 2 + (imaginary[bin] as number) ** 2)) / fftSize;
      }
      if (energy === 0) energy = Number.EPSILON;
      output[frameIndex * filterCount + filter] = logarithm ? Math.log(energy) : energy;
    }
  }
  return { data: output, shape: [frames, filterCount] };
}

/**
 * Linear filterbank energies `[frames, filterCount]`, as python_speech_features `fbank(...)[0]`.
 * @example filterbankEnergies(signal, { sampleRate: 16000 })
 */
export function filterbankEnergies(signal: Float32Array, options: FilterbankOptions): FeatureMatrix {
  return compute(signal, options, false);
}

/**
 * Natural-log filterbank energies `[frames, filterCount]`, as python_speech_features `logfbank`.
 * @example logFilterbankEnergies(signal, { sampleRate: 8000, windowDuration: 0.03, filterCount: 24 })
 */
export function logFilterbankEnergies(signal: Float32Array, options: FilterbankOptions): FeatureMatrix {
  return compute(signal, options, true);
}
