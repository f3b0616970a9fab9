/**
 * Sample-rate conversion. The default is a port of `scipy.signal.resample_poly`
 * (Kaiser-windowed FIR, β = 5, polyphase), equal to scipy within float rounding; the
 * `high-quality` method uses libsamplerate's best sinc converter
 * (`@alexanderolsen/libsamplerate-js`, optional) for stronger anti-aliasing. The caller's array is never modified.
 */
import { InvalidArgumentError, importOptional, MissingDependencyError } from '@polytask/core';

/** Every resampling method: `polyphase` (scipy's resample_poly) and `high-quality` (libsamplerate, best sinc). */
export const resampleMethods = Object.freeze(['polyphase', 'high-quality'] as const);

/** A resampling method, one of {@link resampleMethods}. */
export type ResampleMethod = (typeof resampleMethods)[number];

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 500; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** scipy.signal.firwin(taps, cutoff, window=('kaiser', beta)) for a low-pass with cutoff relative to Nyquist. */
function kaiserLowPass(taps: number, cutoff: number, beta: number): Float64Array {
  const filter = new Float64Array(taps);
  const alpha = (taps - 1) / 2;
  const normaliser = besselI0(beta);
  let sum = 0;
  for (let index = 0; index < taps; index++) {
    const m = index - alpha;
    const argument = cutoff * m;
    const sinc = argument === 0 ? 1 : Math.sin(Math.PI * argument) / (Math.PI * argument);
    const ratio = (2 * index) / (taps - 1) - 1;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / normaliser;
    filter[index] = cutoff * sinc * window;
    sum += filter[index] as number;
  }
  for (let index = 0; index < taps; index++) filter[index] = (filter[index] as number) / sum;
  return filter;
}

/**
 * Resamples by the rational factor `up / down` exactly as `scipy.signal.resample_poly(x, up, down)`
 * (default window `('kaiser', 5.0)`, zero padding). Output length `ceil(length × up / down)`.
 * @example resamplePoly(signal, 160, 441) // 44.1 kHz → 16 kHz
 */
export function resamplePoly(signal: Float32Array, up: number, down: number): Float32Array {
  for (const [argument, value] of [
    ['up', up],
    ['down', down],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidArgumentError({ argument, value, message: `${argument} must be a positive integer, got ${value}.` });
  }
  const divisor = greatestCommonDivisor(up, down);
  up /= divisor;
  down /= divisor;
  if (up === 1 && down === 1) return signal.slice();
  const inputLength = signal.length;
  const outputLength = Math.ceil((inputLength * up) / down);
  const maximumRate = Math.max(up, down);
  const halfLength = 10 * maximumRate;
  const kernel = kaiserLowPass(2 * halfLength + 1, 1 / maximumRate, 5);
  const prePad = down - (halfLength % down);
  const filterLength = kernel.length + prePad;
  const filter = new Float64Array(filterLength);
  for (let index = 0; index < kernel.length; index++) filter[prePad + index] = (kernel[index] as number) * up;
  const preRemove = Math.floor((halfLength + prePad) / down);
  // Polyphase form: the taps one output touches all share a phase (tap index mod up), so
  // each phase's taps are stored contiguously, in input order, for a plain dot product.
  const tapsPerPhase = Math.ceil(filterLength / up);
  const phases = new Float64Array(up * tapsPerPhase);
  for (let tap = 0; tap < filterLength; tap++) {
    const phase = tap % up;
    const position = Math.floor(tap / up);
    phases[phase * tapsPerPhase + (tapsPerPhase - 1 - position)] = filter[tap] as number;
  }
  const output = new Float32Array(outputLength);
  for (let outputIndex = 0; outputIndex < outputLength; outputIndex++) {
    // y[k] = Σ_i x[i] h[k·down − i·up], over the taps that land on input samples
    const position = (outputIndex + preRemove) * down;
    let first = Math.ceil((position - (filterLength - 1)) / up);
    if (first < 0) first = 0;
    let last = Math.floor(position / up);
    if (last > inputLength - 1) last = inputLength - 1;
    const firstTap = position - first * up;
    const phase = firstTap % up;
    // input `first` meets tap firstTap, stored at tapsPerPhase - 1 - floor(firstTap / up) of its phase
    let stored = phase * tapsPerPhase + (tapsPerPhase - 1 - Math.floor(firstTap / up));
    let sum = 0;
    for (let inputIndex = first; inputIndex <= last; inputIndex++, stored++)
      sum += (signal[inputIndex] as number) * (phases[stored] as number);
    output[outputIndex] = sum;
  }
  return output;
}

/** Options of {@link resample}. */
export interface ResampleOptions {
  /** Rate of the input in Hz. */
  readonly fromRate: number;
  /** Rate wanted in Hz. */
  readonly toRate: number;
  /** @default 'polyphase' */
  readonly method?: ResampleMethod;
}

interface LibSampleRate {
  create(
    channels: number,
    fromRate: number,
    toRate: number,
    options: { converterType: number },
  ): Promise<{ full(data: Float32Array): Float32Array; destroy(): void }>;
  ConverterType: { SRC_SINC_BEST_QUALITY: number };
}

/**
 * libsamplerate-js is a CommonJS bundle: Node's ESM loader puts its exports under `default`
 * (bundlers and vitest unwrap them), so take whichever object carries `create`.
 */
function libSampleRateExports(imported: unknown): LibSampleRate {
  const candidate = imported as Partial<LibSampleRate> & { default?: Partial<LibSampleRate> };
  if (typeof candidate.create === 'function' && candidate.ConverterType) return candidate as LibSampleRate;
  if (typeof candidate.default?.create === 'function' && candidate.default.ConverterType) return candidate.default as LibSampleRate;
  throw new MissingDependencyError({
    packageName: '@alexanderolsen/libsamplerate-js',
    message: '@alexanderolsen/libsamplerate-js loaded without create() or ConverterType; install version ^2.1.2.',
  });
}

/**
 * Resamples a mono signal from `fromRate` to `toRate` Hz.
 * @throws MissingDependencyError for `high-quality` without `@alexanderolsen/libsamplerate-js` installed.
 * @example await resample(signal, { fromRate: 44100, toRate: 16000 })
 */
export async function resample(signal: Float32Array, options: ResampleOptions): Promise<Float32Array> {
  const { fromRate, toRate, method = 'polyphase' } = options;
  for (const [argument, value] of [
    ['fromRate', fromRate],
    ['toRate', toRate],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidArgumentError({ argument, value, message: `${argument} must be a positive integer number of Hz, got ${value}.` });
  }
  if (fromRate === toRate) return signal.slice();
  if (method === 'polyphase') return resamplePoly(signal, toRate, fromRate);
  if (method !== 'high-quality') {
    throw new InvalidArgumentError({
      argument: 'method',
      value: method,
      message: `Unknown resampling method "${String(method)}"; use polyphase or high-quality.`,
    });
  }
  const library = libSampleRateExports(
    await importOptional('@alexanderolsen/libsamplerate-js', (name) => import(name), 'high-quality resampling'),
  );
  const converter = await library.create(1, fromRate, toRate, { converterType: library.ConverterType.SRC_SINC_BEST_QUALITY });
  try {
    // libsamplerate's `full` keeps its filter delay: feed 50 ms of zeros after the signal so
    // the last samples come out, then keep the length resample_poly gives.
    const padded = new Float32Array(signal.length + Math.ceil(fromRate / 20));
    padded.set(signal);
    const converted = converter.full(padded);
    return Float32Array.from(converted.subarray(0, Math.ceil((signal.length * toRate) / fromRate)));
  } finally {
    converter.destroy();
  }
}
