/**
 * Per-frame spectral descriptors computed by Meyda (centroid, spread, flatness, rolloff,
 * slope, skewness, kurtosis, crest, zero-crossing rate, RMS, energy, chroma). Meyda is an
 * optional peer dependency, loaded on the first call: install it (`npm i meyda`) to use
 * these descriptors; mel and MFCC features come from this package's librosa-exact code.
 * Output `[frames, columns]`; chroma contributes 12 columns.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { requireOptional } from './internal/require-optional';

/** Descriptors available; centroid and spread are converted from bins to Hz, rolloff is in Hz, RMS and energy are of the windowed frame. */
export type SpectralDescriptor =
  | 'spectralCentroid'
  | 'spectralSpread'
  | 'spectralFlatness'
  | 'spectralRolloff'
  | 'spectralSlope'
  | 'spectralSkewness'
  | 'spectralKurtosis'
  | 'spectralCrest'
  | 'zcr'
  | 'rms'
  | 'energy'
  | 'chroma';

/** Every descriptor. */
export const spectralDescriptors: readonly SpectralDescriptor[] = Object.freeze([
  'spectralCentroid',
  'spectralSpread',
  'spectralFlatness',
  'spectralRolloff',
  'spectralSlope',
  'spectralSkewness',
  'spectralKurtosis',
  'spectralCrest',
  'zcr',
  'rms',
  'energy',
  'chroma',
]);

/** Options of {@link spectralDescriptorFrames}. */
export interface SpectralDescriptorOptions {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frame length, a power of two (Meyda's requirement). @default 1024 */
  readonly frameSize?: number;
  /** Samples between frames. @default frameSize / 2 */
  readonly hopLength?: number;
  /** Meyda's window. @default 'hanning' */
  readonly window?: 'hanning' | 'hamming' | 'blackman' | 'sine' | 'rect';
  /** Descriptors, in output column order. @default centroid, flatness, rolloff, zcr, rms */
  readonly descriptors?: readonly SpectralDescriptor[];
}

interface MeydaStatic {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  barkScale?: unknown;
  melFilterBank?: unknown;
  chromaFilterBank?: unknown;
  extract(features: string[], frame: Float32Array): Record<string, number | number[]>;
}

let loadedMeyda: MeydaStatic | undefined;

/** Meyda, required on first use (it is CommonJS, so this stays synchronous). */
function meydaModule(): MeydaStatic {
  loadedMeyda ??= requireOptional(
    'meyda',
    'Spectral descriptors (spectralDescriptorFrames, the spectral-descriptors method)',
  ) as MeydaStatic;
  return loadedMeyda;
}

/** Number of output columns for a descriptor list. */
export function descriptorColumnCount(descriptors: readonly SpectralDescriptor[]): number {
  return descriptors.reduce((count, descriptor) => count + (descriptor === 'chroma' ? 12 : 1), 0);
}

/**
 * Spectral descriptors per frame, `[frames, columns]`. Frames start at 0 and step by `hopLength`;
 * the last partial frame is zero-padded, and a signal shorter than one frame gives one frame.
 * @throws MissingDependencyError naming `npm i meyda` when the optional peer `meyda` is not installed.
 * @example spectralDescriptorFrames(signal, { sampleRate: 16000, descriptors: ['spectralCentroid', 'chroma'] })
 */
export function spectralDescriptorFrames(signal: Float32Array, options: SpectralDescriptorOptions): FeatureMatrix {
  const frameSize = options.frameSize ?? 1024;
  const hopLength = options.hopLength ?? frameSize / 2;
  const descriptors = options.descriptors ?? ['spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'zcr', 'rms'];
  if (!(frameSize >= 2 && (frameSize & (frameSize - 1)) === 0)) {
    throw new InvalidArgumentError({
      argument: 'frameSize',
      value: frameSize,
      message: `Meyda needs a power-of-two frameSize, got ${frameSize}.`,
    });
  }
  if (!Number.isInteger(hopLength) || hopLength < 1)
    throw new InvalidArgumentError({
      argument: 'hopLength',
      value: hopLength,
      message: `hopLength must be a positive integer, got ${hopLength}.`,
    });
  if (descriptors.length === 0)
    throw new InvalidArgumentError({ argument: 'descriptors', value: descriptors, message: 'Choose at least one descriptor.' });
  for (const descriptor of descriptors) {
    if (!spectralDescriptors.includes(descriptor)) {
      throw new InvalidArgumentError({
        argument: 'descriptors',
        value: descriptor,
        message: `Unknown descriptor "${descriptor}"; use ${spectralDescriptors.join(', ')}.`,
      });
    }
  }
  const meyda = meydaModule();
  if (meyda.bufferSize !== frameSize || meyda.sampleRate !== options.sampleRate) {
    // Meyda 5 rebuilds its chroma bank only when the band count changes (and its mel bank
    // not on a new sample rate): drop the cached banks so they match this configuration.
    meyda.barkScale = undefined;
    meyda.melFilterBank = undefined;
    meyda.chromaFilterBank = undefined;
  }
  meyda.bufferSize = frameSize;
  meyda.sampleRate = options.sampleRate;
  meyda.windowingFunction = options.window ?? 'hanning';
  const binWidth = options.sampleRate / frameSize;
  const frames = signal.length <= frameSize ? 1 : 1 + Math.ceil((signal.length - frameSize) / hopLength);
  const columns = descriptorColumnCount(descriptors);
  const output = new Float32Array(frames * columns);
  const frame = new Float32Array(frameSize);
  for (let frameIndex = 0; frameIndex < frames; frameIndex++) {
    const start = frameIndex * hopLength;
    frame.fill(0);
    frame.set(signal.subarray(start, Math.min(start + frameSize, signal.length)));
    const values = meyda.extract([...descriptors], frame);
    let column = frameIndex * columns;
    for (const descriptor of descriptors) {
      const value = values[descriptor];
      if (descriptor === 'chroma') {
        const chroma = (value as number[]) ?? [];
        for (let pitch = 0; pitch < 12; pitch++) output[column++] = Number.isFinite(chroma[pitch]) ? (chroma[pitch] as number) : 0;
        continue;
      }
      let number = Number(value);
      if (descriptor === 'spectralCentroid' || descriptor === 'spectralSpread') number *= binWidth;
      output[column++] = Number.isFinite(number) ? number : 0;
    }
  }
  return { data: output, shape: [frames, columns] };
}
