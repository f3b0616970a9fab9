import { afterEach, describe, expect, it } from 'vitest';
import { logMelSpectrogram, melSpectrogram } from '../mel-spectrogram';
import { type PadMode, spectrogram } from '../spectrogram';
import { createWindow, type WindowName } from '../window';
import { type FrameSource, loadNativeStft, nativeStft, setNativeStftEnabled } from './native-stft';

afterEach(() => setNativeStftEnabled(true));

function testSignal(length: number, seed = 1): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, (_, index) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 0.5 * Math.sin(index * 0.031 * seed) + 0.2 * (state / 2147483648 - 0.5);
  });
}

/** Frames of `signal` taken as the padded signal itself (no centring). */
function plainSource(signal: Float32Array, fftSize: number, hopLength: number): FrameSource {
  return {
    frames: 1 + Math.floor((signal.length - fftSize) / hopLength),
    hopLength,
    read: (target, first) => target.set(signal.subarray(first, first + target.length)),
  };
}

/** |X_k|² by the definition, in float64. */
function directPower(frame: Float64Array): Float64Array {
  const size = frame.length;
  const power = new Float64Array(size / 2 + 1);
  for (let k = 0; k <= size / 2; k++) {
    let real = 0;
    let imaginary = 0;
    for (let n = 0; n < size; n++) {
      const angle = (2 * Math.PI * ((k * n) % size)) / size;
      real += (frame[n] as number) * Math.cos(angle);
      imaginary -= (frame[n] as number) * Math.sin(angle);
    }
    power[k] = real * real + imaginary * imaginary;
  }
  return power;
}

function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let index = 0; index < expected.length; index++)
    worst = Math.max(worst, Math.abs((actual[index] as number) - (expected[index] as number)));
  return worst;
}

function largest(values: ArrayLike<number>): number {
  let result = 1e-30;
  for (let index = 0; index < values.length; index++) result = Math.max(result, values[index] as number);
  return result;
}

/** Runs `compute` through the kernels and through the fft.js path. */
function bothPaths<T>(compute: () => T): { native: T; javascript: T } {
  const native = compute();
  setNativeStftEnabled(false);
  const javascript = compute();
  setNativeStftEnabled(true);
  return { native, javascript };
}

describe('native STFT kernels', () => {
  it('load in Node (WebAssembly SIMD) and can be switched off', async () => {
    expect(nativeStft()).toBeDefined();
    expect(await loadNativeStft()).toBe(true);
    setNativeStftEnabled(false);
    expect(nativeStft()).toBeUndefined();
    expect(await loadNativeStft()).toBe(false);
  });

  it.each([
    [2, 'hann', 2],
    [4, 'hann', 4],
    [8, 'hamming', 8],
    [16, 'blackman', 12],
    [64, 'hann', 64],
    [128, 'rectangular', 100],
    [512, 'hann', 400],
    [1024, 'hann', 1024],
  ] as const)(
    'power spectrum of size %i (%s, window length %i) equals the DFT, for odd and even frame counts',
    (fftSize, window, windowLength) => {
      const kernels = nativeStft();
      if (!kernels) throw new Error('the kernels should load in Node');
      const hopLength = Math.max(1, fftSize / 2);
      const signal = testSignal(fftSize + 4 * hopLength);
      const source = plainSource(signal, fftSize, hopLength);
      expect(source.frames % 2).toBe(1);
      const bins = fftSize / 2 + 1;
      const power = new Float64Array(source.frames * bins);
      const magnitude = new Float64Array(source.frames * bins);
      kernels.spectrum(source, { fftSize, window, windowLength }, false, power);
      kernels.spectrum(source, { fftSize, window, windowLength }, true, magnitude);
      const taper = new Float64Array(fftSize);
      taper.set(createWindow(window as WindowName, windowLength), Math.floor((fftSize - windowLength) / 2));
      for (let frame = 0; frame < source.frames; frame++) {
        const samples = Float64Array.from(taper, (weight, index) => weight * (signal[frame * hopLength + index] as number));
        const expected = directPower(samples);
        const peak = Math.max(...expected);
        const row = power.subarray(frame * bins, (frame + 1) * bins);
        expect(largestDifference(row, expected) / peak).toBeLessThan(1e-12);
        const magnitudes = magnitude.subarray(frame * bins, (frame + 1) * bins);
        expect(largestDifference(magnitudes, expected.map(Math.sqrt)) / Math.sqrt(peak)).toBeLessThan(1e-12);
      }
    },
  );

  it('band power is the sparse product of the power spectrum', () => {
    const kernels = nativeStft();
    if (!kernels) throw new Error('the kernels should load in Node');
    const fftSize = 256;
    const signal = testSignal(fftSize * 6, 3);
    const source = plainSource(signal, fftSize, 100);
    const options = { fftSize, window: 'hann', windowLength: fftSize } as const;
    const bins = fftSize / 2 + 1;
    const power = new Float64Array(source.frames * bins);
    kernels.spectrum(source, options, false, power);
    // three bands: bins 0-2, one empty band at bin 5, bins 60-128 (to the Nyquist bin)
    const firstBin = Int32Array.from([0, 5, 60]);
    const start = Int32Array.from([0, 3, 3, 72]);
    const weights = Float64Array.from({ length: 72 }, (_, index) => 0.5 + index / 7);
    const bands = new Float64Array(source.frames * 3);
    kernels.bandPower(source, options, { firstBin, start, weights }, bands);
    for (let frame = 0; frame < source.frames; frame++) {
      for (let band = 0; band < 3; band++) {
        let expected = 0;
        for (let index = start[band] as number; index < (start[band + 1] as number); index++)
          expected +=
            (weights[index] as number) * (power[frame * bins + (firstBin[band] as number) + index - (start[band] as number)] as number);
        expect(bands[frame * 3 + band]).toBeCloseTo(expected, 10);
      }
    }
  });

  it.each(['constant', 'reflect', 'edge'] as const)(
    'centred %s padding, short and empty signals match the fft.js path',
    (padMode: PadMode) => {
      for (const length of [0, 1, 3, 100, 700, 5000]) {
        const signal = testSignal(length, 5);
        const options = { fftSize: 512, hopLength: 128, padMode };
        const { native, javascript } = bothPaths(() => spectrogram(signal, options));
        expect(native.shape).toEqual(javascript.shape);
        expect(largestDifference(native.data, javascript.data)).toBeLessThanOrEqual(1e-6 * largest(javascript.data));
      }
    },
  );

  it('other powers and not-centred frames match the fft.js path', () => {
    const signal = testSignal(9000, 7);
    for (const options of [
      { fftSize: 1024, hopLength: 300, power: 1.5 },
      { fftSize: 256, hopLength: 80, center: false, windowLength: 200, window: 'hamming' as const },
    ]) {
      const { native, javascript } = bothPaths(() => spectrogram(signal, options));
      expect(native.shape).toEqual(javascript.shape);
      expect(largestDifference(native.data, javascript.data)).toBeLessThanOrEqual(1e-6 * largest(javascript.data));
    }
    const mel = bothPaths(() => melSpectrogram(signal, { sampleRate: 16000, fftSize: 512, hopLength: 160, melBandCount: 40, power: 1 }));
    expect(largestDifference(mel.native.data, mel.javascript.data)).toBeLessThanOrEqual(1e-6 * largest(mel.javascript.data));
  });

  it('splits long signals into chunks of frames without seams', () => {
    // 5.2 million output values: two chunks of the kernels' 4 Mi-value scratch space
    const short = testSignal(1_040_000, 9);
    const spectra = bothPaths(() => spectrogram(short, { fftSize: 8, hopLength: 1 }));
    expect(spectra.native.shape).toEqual([1_040_001, 5]);
    expect(largestDifference(spectra.native.data, spectra.javascript.data)).toBeLessThanOrEqual(1e-6 * largest(spectra.javascript.data));
    // 4.2 million samples: two chunks of the 4 Mi-sample signal space
    const long = testSignal((1 << 22) + 10_000, 11);
    const options = { sampleRate: 16000, fftSize: 1024, hopLength: 1024, melBandCount: 32 };
    const logMel = bothPaths(() => logMelSpectrogram(long, options));
    expect(logMel.native.shape).toEqual([4106, 32]);
    expect(largestDifference(logMel.native.data, logMel.javascript.data)).toBeLessThan(1e-4);
  });

  it('decibels and natural logarithms match Math.log10 and Math.log, special values included', () => {
    const kernels = nativeStft();
    if (!kernels) throw new Error('the kernels should load in Node');
    const special = [0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-10, 1e-11, 0.5, 1, Math.SQRT2, 2, 1e300, 1.7976931348623157e308];
    const values = Float64Array.from([...special, ...Array.from({ length: 5001 }, (_, index) => Math.exp(-700 + index * 0.28))]);
    const decibels = values.slice();
    const loudest = kernels.decibels(decibels, 1e-10, 3);
    const expected = Array.from(values, (value) => 10 * Math.log10(Math.max(1e-10, value)) - 3);
    expect(largestDifference(decibels, expected)).toBeLessThan(1e-11);
    expect(loudest).toBeCloseTo(Math.max(...expected), 11);
    const logs = values.slice();
    kernels.naturalLogs(logs, 0);
    for (const [index, value] of values.entries()) {
      const reference = Math.log(value);
      if (value === 0) expect(logs[index]).toBe(Number.NEGATIVE_INFINITY);
      else expect(Math.abs((logs[index] as number) - reference)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(reference) + 1e-300);
    }
    const odd = Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY, -1, 4]);
    const oddDecibels = odd.slice();
    expect(kernels.decibels(oddDecibels, 1e-10, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(oddDecibels)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -100, 10 * Math.log10(4)]);
    const oddLogs = odd.slice();
    kernels.naturalLogs(oddLogs, 0);
    expect(Array.from(oddLogs)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NaN, Math.log(4)]);
  });
});
