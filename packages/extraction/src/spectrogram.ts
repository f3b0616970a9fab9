/**
 * Short-time Fourier transform magnitude or power, to librosa 0.10's conventions
 * (`librosa.stft` then `abs(...) ** power`). Output is `[frames, bins]`, row-major, with
 * `bins = fftSize / 2 + 1`; librosa's arrays are the transpose.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { fastRealFft } from './internal/fast-fft';
import { type FrameSource, type NativeStft, nativeStft, nativeStftSupports } from './internal/native-stft';
import { realFft } from './internal/real-fft';
import { createWindow, type WindowName } from './window';

/** How the signal is padded when frames are centred. */
export type PadMode = 'constant' | 'reflect' | 'edge';

/** STFT options; librosa's names in parentheses. */
export interface SpectrogramOptions {
  /** FFT length (`n_fft`). @default 2048 */
  readonly fftSize?: number;
  /** Samples between frame starts (`hop_length`). @default windowLength / 4 */
  readonly hopLength?: number;
  /** Window length, at most fftSize; the window is zero-padded to fftSize, centred (`win_length`). @default fftSize */
  readonly windowLength?: number;
  /** Window shape, periodic (`window`). @default 'hann' */
  readonly window?: WindowName;
  /** Pad fftSize / 2 on both sides so frame t is centred at t * hopLength (`center`). @default true */
  readonly center?: boolean;
  /** Padding used when centring (`pad_mode`). @default 'constant' (zeros, as librosa 0.10) */
  readonly padMode?: PadMode;
  /** Exponent of the magnitude: 1 magnitude, 2 power (`power`). @default 2 */
  readonly power?: number;
  /**
   * FFT implementation: `float64` (librosa-exact: the bundled float64 SIMD WebAssembly kernels
   * for power-of-two sizes, fft.js where WebAssembly SIMD is missing, Bluestein over fft.js for
   * other sizes) or `pffft` (SIMD WebAssembly, float32; needs `@echogarden/pffft-wasm`,
   * `await loadFastFft()`, and an fftSize that is a multiple of 32). pffft powers are within 1e-6
   * of their frame's largest power, not 1e-4 relative in quiet bins (README, Speed). @default 'float64'
   */
  readonly fft?: 'float64' | 'pffft';
}

/** Spectrogram options with every default applied. */
export interface ResolvedSpectrogramOptions {
  readonly fftSize: number;
  readonly hopLength: number;
  readonly windowLength: number;
  readonly window: WindowName;
  readonly center: boolean;
  readonly padMode: PadMode;
  readonly power: number;
  readonly fft: 'float64' | 'pffft';
}

function positiveInteger(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError({ argument, value, message: `${argument} must be a positive integer, got ${value}.` });
  }
  return value;
}

/** Applies librosa's defaults and checks the values. */
export function resolveSpectrogramOptions(options: SpectrogramOptions = {}): ResolvedSpectrogramOptions {
  const fftSize = positiveInteger('fftSize', options.fftSize ?? 2048);
  const windowLength = positiveInteger('windowLength', options.windowLength ?? fftSize);
  if (windowLength > fftSize) {
    throw new InvalidArgumentError({
      argument: 'windowLength',
      value: windowLength,
      message: `windowLength (${windowLength}) must not exceed fftSize (${fftSize}).`,
    });
  }
  const hopLength = positiveInteger('hopLength', options.hopLength ?? Math.floor(windowLength / 4));
  const power = options.power ?? 2;
  if (!(power > 0)) throw new InvalidArgumentError({ argument: 'power', value: power, message: `power must be positive, got ${power}.` });
  const fft = options.fft ?? 'float64';
  if (fft !== 'float64' && fft !== 'pffft')
    throw new InvalidArgumentError({ argument: 'fft', value: fft, message: `Unknown fft "${String(fft)}"; use float64 or pffft.` });
  return {
    fft,
    fftSize,
    hopLength,
    windowLength,
    window: options.window ?? 'hann',
    center: options.center ?? true,
    padMode: options.padMode ?? 'constant',
    power,
  };
}

/** Number of frames the STFT produces for `sampleCount` samples. */
export function frameCount(sampleCount: number, options: ResolvedSpectrogramOptions): number {
  const padded = options.center ? sampleCount + 2 * Math.floor(options.fftSize / 2) : sampleCount;
  return padded < options.fftSize ? 0 : 1 + Math.floor((padded - options.fftSize) / options.hopLength);
}

function paddedSample(signal: Float32Array, index: number, mode: PadMode): number {
  const length = signal.length;
  if (index >= 0 && index < length) return signal[index] as number;
  if (mode === 'constant' || length === 0) return 0;
  if (mode === 'edge') return signal[index < 0 ? 0 : length - 1] as number;
  if (length === 1) return signal[0] as number;
  const period = 2 * (length - 1);
  let reflected = Math.abs(index) % period;
  if (reflected >= length) reflected = period - reflected;
  return signal[reflected] as number;
}

/**
 * The float64 WebAssembly kernels when they serve these options (fft 'float64', a power-of-two
 * fftSize, and WebAssembly SIMD available); undefined for the pure-JavaScript path.
 * @internal exported for the feature functions of this package
 */
export function nativeStftFor(options: ResolvedSpectrogramOptions): NativeStft | undefined {
  return options.fft === 'float64' && nativeStftSupports(options.fftSize) ? nativeStft() : undefined;
}

function checkFrames(signal: Float32Array, options: ResolvedSpectrogramOptions): number {
  const frames = frameCount(signal.length, options);
  if (frames === 0) {
    throw new InvalidArgumentError({
      argument: 'signal',
      value: signal.length,
      message: `The signal has ${signal.length} samples, fewer than one frame of fftSize ${options.fftSize} without centring; pad it or set center: true.`,
    });
  }
  return frames;
}

/**
 * The padded signal as the native kernels read it: frame f covers padded samples
 * f · hopLength .. f · hopLength + fftSize - 1 (padding as `padMode` when centred).
 * @internal exported for the feature functions of this package
 */
export function frameSource(signal: Float32Array, options: ResolvedSpectrogramOptions): FrameSource {
  const { hopLength, padMode } = options;
  const offset = options.center ? Math.floor(options.fftSize / 2) : 0;
  return {
    frames: checkFrames(signal, options),
    hopLength,
    read(target, first) {
      const start = first - offset;
      const inside = Math.max(0, start);
      const end = Math.min(signal.length, start + target.length);
      if (end <= inside) {
        for (let index = 0; index < target.length; index++) target[index] = paddedSample(signal, start + index, padMode);
        return;
      }
      target.set(signal.subarray(inside, end), inside - start);
      for (let index = 0; index < inside - start; index++) target[index] = paddedSample(signal, start + index, padMode);
      for (let index = end - start; index < target.length; index++) target[index] = paddedSample(signal, start + index, padMode);
    },
  };
}

/**
 * Calls `visit(frameIndex, spectrumRow)` for every STFT frame with |X|^power in float64, one
 * frame at a time through fft.js, Bluestein or pffft (the native kernels take whole signals:
 * see {@link nativeStftFor}). The row buffer is reused between calls.
 * @internal exported for the feature functions of this package
 */
export function forEachSpectrumFrame(
  signal: Float32Array,
  options: ResolvedSpectrogramOptions,
  visit: (frame: number, row: Float64Array) => void,
): number {
  const { fftSize, hopLength, windowLength, center, padMode, power } = options;
  const frames = checkFrames(signal, options);
  const window = new Float64Array(fftSize);
  window.set(createWindow(options.window, windowLength, true), Math.floor((fftSize - windowLength) / 2));
  const fft = options.fft === 'pffft' ? fastRealFft(fftSize) : realFft(fftSize);
  const frame = fft.input;
  const row = new Float64Array(fft.binCount);
  const offset = center ? Math.floor(fftSize / 2) : 0;
  for (let frameIndex = 0; frameIndex < frames; frameIndex++) {
    const start = frameIndex * hopLength - offset;
    if (start >= 0 && start + fftSize <= signal.length) {
      for (let index = 0; index < fftSize; index++) frame[index] = (signal[start + index] as number) * (window[index] as number);
    } else {
      for (let index = 0; index < fftSize; index++) frame[index] = paddedSample(signal, start + index, padMode) * (window[index] as number);
    }
    fft.powerOfInput(row);
    raiseToPower(row, power);
    visit(frameIndex, row);
  }
  return frames;
}

/** |X|² to |X|^power in place (power 2: nothing to do; power 1: square root). */
function raiseToPower(values: Float32Array | Float64Array, power: number): void {
  if (power === 1) {
    for (let index = 0; index < values.length; index++) values[index] = Math.sqrt(values[index] as number);
  } else if (power !== 2) {
    for (let index = 0; index < values.length; index++) values[index] = (values[index] as number) ** (power / 2);
  }
}

/**
 * Magnitude (`power: 1`) or power (`power: 2`, default) spectrogram, `[frames, fftSize / 2 + 1]`.
 * @example spectrogram(signal, { fftSize: 1024, hopLength: 256 })
 */
export function spectrogram(signal: Float32Array, options: SpectrogramOptions = {}): FeatureMatrix {
  const resolved = resolveSpectrogramOptions(options);
  const bins = Math.floor(resolved.fftSize / 2) + 1;
  const native = nativeStftFor(resolved);
  if (native) {
    const source = frameSource(signal, resolved);
    const { power } = resolved;
    if (power === 1 || power === 2) {
      const output = new Float32Array(source.frames * bins);
      native.spectrum(source, resolved, power === 1, output);
      return { data: output, shape: [source.frames, bins] };
    }
    const output = new Float64Array(source.frames * bins);
    native.spectrum(source, resolved, false, output);
    raiseToPower(output, power);
    return { data: new Float32Array(output), shape: [source.frames, bins] };
  }
  const output = new Float32Array(frameCount(signal.length, resolved) * bins);
  const frames = forEachSpectrumFrame(signal, resolved, (frame, row) => output.set(row, frame * bins));
  return { data: output, shape: [frames, bins] };
}
