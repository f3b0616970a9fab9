/**
 * Analysis windows. `periodic` windows (librosa/scipy `fftbins=True`, the STFT default)
 * divide by `length`; symmetric ones (numpy's `np.hamming`, python_speech_features) by
 * `length - 1`.
 */
import { InvalidArgumentError } from '@polytask/core';

/** Window shapes Polytask computes. */
export type WindowName = 'hann' | 'hamming' | 'blackman' | 'rectangular';

/** Every window name. */
export const windowNames: readonly WindowName[] = Object.freeze(['hann', 'hamming', 'blackman', 'rectangular']);

/**
 * The window of `length` samples, as float64.
 * @example createWindow('hann', 1024) // periodic Hann, as librosa.filters.get_window('hann', 1024)
 */
export function createWindow(name: WindowName, length: number, periodic = true): Float64Array {
  if (!Number.isInteger(length) || length < 1) {
    throw new InvalidArgumentError({
      argument: 'windowLength',
      value: length,
      message: `A window needs a positive integer length, got ${length}.`,
    });
  }
  const window = new Float64Array(length);
  if (name === 'rectangular') return window.fill(1);
  if (length === 1) return window.fill(1);
  const denominator = periodic ? length : length - 1;
  for (let index = 0; index < length; index++) {
    const phase = (2 * Math.PI * index) / denominator;
    switch (name) {
      case 'hann':
        window[index] = 0.5 - 0.5 * Math.cos(phase);
        break;
      case 'hamming':
        window[index] = 0.54 - 0.46 * Math.cos(phase);
        break;
      case 'blackman':
        window[index] = 0.42 - 0.5 * Math.cos(phase) + 0.08 * Math.cos(2 * phase);
        break;
      default:
        throw new InvalidArgumentError({
          argument: 'window',
          value: name,
          message: `Unknown window "${String(name)}"; use one of ${windowNames.join(', ')}.`,
        });
    }
  }
  return window;
}
