/**
 * Mel-frequency cepstral coefficients, as `librosa.feature.mfcc`: a DCT over the mel
 * bands of the log-mel spectrogram (decibels, top 80 dB), optional liftering, and
 * optional deltas appended as extra columns. Output `[frames, coefficients × (1 + deltaOrder)]`.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { delta } from './delta';
import { type LogMelSpectrogramOptions, logMelSpectrogram } from './mel-spectrogram';

/** MFCC options; librosa's names in parentheses. */
export interface MfccOptions extends LogMelSpectrogramOptions {
  /** Coefficients kept (`n_mfcc`). @default 20 */
  readonly coefficientCount?: number;
  /** DCT type, 2 or 3 (`dct_type`). @default 2 */
  readonly dctType?: 2 | 3;
  /** DCT normalisation (`norm`). @default 'ortho' */
  readonly dctNorm?: 'ortho' | null;
  /** Cepstral liftering coefficient; 0 disables (`lifter`). @default 0 */
  readonly lifter?: number;
  /** Append deltas up to this order (0 none, 1 delta, 2 delta and delta-delta). @default 0 */
  readonly deltaOrder?: 0 | 1 | 2;
  /** Width of the delta window. @default 9 */
  readonly deltaWidth?: number;
}

/**
 * DCT (scipy's type 2 or 3, `norm` 'ortho' or none) of each row of `[rows, n]`, keeping the first `keep` outputs.
 * @example dctRows(logMel, 13)
 */
export function dctRows(matrix: FeatureMatrix, keep: number, options: { type?: 2 | 3; norm?: 'ortho' | null } = {}): FeatureMatrix {
  const type = options.type ?? 2;
  const norm = options.norm === undefined ? 'ortho' : options.norm;
  const [rows = 0, size = 0] = matrix.shape;
  if (!Number.isInteger(keep) || keep < 1 || keep > size) {
    throw new InvalidArgumentError({
      argument: 'coefficientCount',
      value: keep,
      message: `coefficientCount must be an integer from 1 to the band count ${size}, got ${keep}.`,
    });
  }
  const basis = new Float64Array(keep * size);
  for (let k = 0; k < keep; k++) {
    for (let n = 0; n < size; n++) {
      let value: number;
      if (type === 2) {
        value = 2 * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * size));
        if (norm === 'ortho') value *= k === 0 ? Math.sqrt(1 / (4 * size)) : Math.sqrt(1 / (2 * size));
      } else {
        value = n === 0 ? 1 : 2 * Math.cos((Math.PI * (2 * k + 1) * n) / (2 * size));
        if (norm === 'ortho') value = n === 0 ? 1 / Math.sqrt(size) : value / Math.sqrt(2 * size);
      }
      basis[k * size + n] = value;
    }
  }
  const output = new Float32Array(rows * keep);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < keep; k++) {
      let sum = 0;
      for (let n = 0; n < size; n++) sum += (basis[k * size + n] as number) * (matrix.data[row * size + n] as number);
      output[row * keep + k] = sum;
    }
  }
  return { data: output, shape: [rows, keep] };
}

/**
 * MFCCs `[frames, coefficientCount × (1 + deltaOrder)]`.
 * @example mfcc(signal, { sampleRate: 16000, coefficientCount: 13, fftSize: 512, hopLength: 160, melBandCount: 40 })
 */
export function mfcc(signal: Float32Array, options: MfccOptions): FeatureMatrix {
  const coefficientCount = options.coefficientCount ?? 20;
  const logMel = logMelSpectrogram(signal, options);
  const dctOptions: { type?: 2 | 3; norm?: 'ortho' | null } = { type: options.dctType ?? 2 };
  if (options.dctNorm !== undefined) dctOptions.norm = options.dctNorm;
  const coefficients = dctRows(logMel, coefficientCount, dctOptions);
  const lifter = options.lifter ?? 0;
  if (lifter < 0)
    throw new InvalidArgumentError({ argument: 'lifter', value: lifter, message: `lifter must be non-negative, got ${lifter}.` });
  const [frames = 0] = coefficients.shape;
  if (lifter > 0) {
    for (let k = 0; k < coefficientCount; k++) {
      const gain = 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter);
      for (let frame = 0; frame < frames; frame++)
        coefficients.data[frame * coefficientCount + k] = (coefficients.data[frame * coefficientCount + k] as number) * gain;
    }
  }
  const deltaOrder = options.deltaOrder ?? 0;
  if (deltaOrder === 0) return coefficients;
  const blocks = [coefficients];
  for (let order = 1; order <= deltaOrder; order++) blocks.push(delta(coefficients, { width: options.deltaWidth ?? 9, order }));
  const width = coefficientCount * blocks.length;
  const output = new Float32Array(frames * width);
  for (let frame = 0; frame < frames; frame++) {
    for (const [index, block] of blocks.entries()) {
      output.set(block.data.subarray(frame * coefficientCount, (frame + 1) * coefficientCount), frame * width + index * coefficientCount);
    }
  }
  return { data: output, shape: [frames, width] };
}
