/**
 * Mel scale conversions and the mel filterbank matrix, as `librosa.filters.mel`
 * (Slaney scale and area normalisation by default; HTK scale optional).
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';

/** Converts Hz to mels (Slaney by default, HTK `2595 log10(1 + f / 700)` when `htk`). */
export function hzToMel(frequency: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + frequency / 700);
  const linearStep = 200 / 3;
  const minimumLogHz = 1000;
  const minimumLogMel = minimumLogHz / linearStep;
  const logStep = Math.log(6.4) / 27;
  return frequency >= minimumLogHz ? minimumLogMel + Math.log(frequency / minimumLogHz) / logStep : frequency / linearStep;
}

/** Converts mels to Hz (inverse of {@link hzToMel}). */
export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (10 ** (mel / 2595) - 1);
  const linearStep = 200 / 3;
  const minimumLogHz = 1000;
  const minimumLogMel = minimumLogHz / linearStep;
  const logStep = Math.log(6.4) / 27;
  return mel >= minimumLogMel ? minimumLogHz * Math.exp(logStep * (mel - minimumLogMel)) : linearStep * mel;
}

/** Mel filterbank options; librosa's names in parentheses. */
export interface MelFilterbankOptions {
  /** Sample rate in Hz (`sr`). */
  readonly sampleRate: number;
  /** FFT length (`n_fft`). */
  readonly fftSize: number;
  /** Number of mel bands (`n_mels`). @default 128 */
  readonly melBandCount?: number;
  /** Lowest frequency in Hz (`fmin`). @default 0 */
  readonly minimumFrequency?: number;
  /** Highest frequency in Hz (`fmax`). @default sampleRate / 2 */
  readonly maximumFrequency?: number;
  /** Use the HTK mel scale instead of Slaney's (`htk`). @default false */
  readonly htk?: boolean;
  /** `'slaney'` divides each triangle by its width in Hz (constant area); `null` keeps peak 1 (`norm`). @default 'slaney' */
  readonly norm?: 'slaney' | null;
}

/** A mel filterbank stored sparsely: for each band, its first bin and its non-zero weights. */
export interface SparseMelFilterbank {
  readonly melBandCount: number;
  readonly binCount: number;
  readonly firstBin: Int32Array;
  readonly weights: readonly Float64Array[];
}

/** Checks mel filterbank options and fills in librosa's defaults. */
export function resolveMelOptions(options: MelFilterbankOptions): Required<MelFilterbankOptions> {
  const { sampleRate, fftSize } = options;
  const melBandCount = options.melBandCount ?? 128;
  const minimumFrequency = options.minimumFrequency ?? 0;
  const maximumFrequency = options.maximumFrequency ?? sampleRate / 2;
  if (!(sampleRate > 0))
    throw new InvalidArgumentError({
      argument: 'sampleRate',
      value: sampleRate,
      message: `sampleRate must be positive, got ${sampleRate}.`,
    });
  if (!Number.isInteger(melBandCount) || melBandCount < 1) {
    throw new InvalidArgumentError({
      argument: 'melBandCount',
      value: melBandCount,
      message: `melBandCount must be a positive integer, got ${melBandCount}.`,
    });
  }
  if (!(minimumFrequency >= 0 && maximumFrequency > minimumFrequency && maximumFrequency <= sampleRate / 2 + 1e-9)) {
    throw new InvalidArgumentError({
      argument: 'maximumFrequency',
      value: [minimumFrequency, maximumFrequency],
      message: `Need 0 <= minimumFrequency < maximumFrequency <= sampleRate / 2 (${sampleRate / 2}), got ${minimumFrequency} and ${maximumFrequency}.`,
    });
  }
  return {
    sampleRate,
    fftSize,
    melBandCount,
    minimumFrequency,
    maximumFrequency,
    htk: options.htk ?? false,
    norm: options.norm === undefined ? 'slaney' : options.norm,
  };
}

function denseWeights(options: Required<MelFilterbankOptions>): Float64Array[] {
  const { sampleRate, fftSize, melBandCount, minimumFrequency, maximumFrequency, htk, norm } = options;
  const binCount = Math.floor(fftSize / 2) + 1;
  const fftFrequencies = Float64Array.from({ length: binCount }, (_, bin) => (bin * sampleRate) / fftSize);
  const lowMel = hzToMel(minimumFrequency, htk);
  const highMel = hzToMel(maximumFrequency, htk);
  const edges = Float64Array.from({ length: melBandCount + 2 }, (_, index) =>
    melToHz(lowMel + ((highMel - lowMel) * index) / (melBandCount + 1), htk),
  );
  const rows: Float64Array[] = [];
  for (let band = 0; band < melBandCount; band++) {
    const lower = edges[band] as number;
    const centre = edges[band + 1] as number;
    const upper = edges[band + 2] as number;
    const row = new Float64Array(binCount);
    const scale = norm === 'slaney' ? 2 / (upper - lower) : 1;
    for (let bin = 0; bin < binCount; bin++) {
      const frequency = fftFrequencies[bin] as number;
      const rising = (frequency - lower) / (centre - lower);
      const falling = (upper - frequency) / (upper - centre);
      row[bin] = Math.max(0, Math.min(rising, falling)) * scale;
    }
    rows.push(row);
  }
  return rows;
}

/**
 * The mel filterbank matrix `[melBands, fftSize / 2 + 1]` (same orientation as librosa).
 * @example melFilterbank({ sampleRate: 16000, fftSize: 512, melBandCount: 40 })
 */
export function melFilterbank(options: MelFilterbankOptions): FeatureMatrix {
  const resolved = resolveMelOptions(options);
  const rows = denseWeights(resolved);
  const binCount = Math.floor(resolved.fftSize / 2) + 1;
  const data = new Float32Array(rows.length * binCount);
  for (const [band, row] of rows.entries()) data.set(row, band * binCount);
  return { data, shape: [rows.length, binCount] };
}

/** The same filterbank with only its non-zero span per band, for fast products. */
export function sparseMelFilterbank(options: MelFilterbankOptions): SparseMelFilterbank {
  const resolved = resolveMelOptions(options);
  const rows = denseWeights(resolved);
  const binCount = Math.floor(resolved.fftSize / 2) + 1;
  const firstBin = new Int32Array(rows.length);
  const weights = rows.map((row, band) => {
    let first = row.findIndex((value) => value !== 0);
    if (first === -1) first = 0;
    let last = row.length - 1;
    while (last > first && row[last] === 0) last--;
    firstBin[band] = first;
    return row.slice(first, last + 1);
  });
  return { melBandCount: rows.length, binCount, firstBin, weights };
}
