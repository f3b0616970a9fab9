/**
 * The pffft (float32) path against librosa 0.11 in float64. Its error is float32 rounding
 * inside the FFT, about 1e-7 of each frame's largest spectral value and the same size in
 * every bin: powers are off by at most 1e-6 of their frame's largest power, and a log-mel band
 * d dB below its frame's loudest band is off by up to 1e-5 dB × 10^(d/20) (up to 1e-3 dB at
 * 40 dB below, 0.1 dB at the 80 dB top_db floor), so the float64 path's 1e-3 dB does not hold.
 */
import { describe, expect, it } from 'vitest';
import { golden } from './__fixtures__/load-golden';
import { fastFftLoaded, fastFftSupports, loadFastFft } from './internal/fast-fft';
import { logMelSpectrogram, melSpectrogram } from './mel-spectrogram';
import { spectrogram } from './spectrogram';

/** Largest |actual - expected| divided by the largest expected value of its row (frame). */
function maximumErrorOfFramePeak(actual: Float32Array, expected: Float32Array, columns: number): number {
  let worst = 0;
  for (let start = 0; start < expected.length; start += columns) {
    let peak = 0;
    for (let column = 0; column < columns; column++) peak = Math.max(peak, expected[start + column] as number);
    for (let column = 0; column < columns; column++) {
      const error = Math.abs((actual[start + column] as number) - (expected[start + column] as number)) / Math.max(peak, 1e-30);
      worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : Math.max(worst, error);
    }
  }
  return worst;
}

/** Largest dB error divided by 10^(d/20), d = how far the band lies below its frame's loudest band, and the plain largest error. */
function decibelErrors(actual: Float32Array, expected: Float32Array, columns: number): { scaled: number; largest: number } {
  let scaled = 0;
  let largest = 0;
  for (let start = 0; start < expected.length; start += columns) {
    let loudest = Number.NEGATIVE_INFINITY;
    for (let column = 0; column < columns; column++) loudest = Math.max(loudest, expected[start + column] as number);
    for (let column = 0; column < columns; column++) {
      const value = expected[start + column] as number;
      const error = Math.abs((actual[start + column] as number) - value);
      largest = Math.max(largest, error);
      scaled = Math.max(scaled, error / 10 ** ((loudest - value) / 20));
    }
  }
  return { scaled, largest };
}

const cases = [
  ...['speech', 'chirp', 'noise'].map((name) => ({
    name,
    signal: `signal/${name}`,
    base: `${name}/default-1024`,
    options: { sampleRate: 16000, fftSize: 1024, hopLength: 256, melBandCount: 64 },
  })),
  ...['speech-8000', 'speech-22050', 'speech-44100', 'speech-48000'].map((name) => {
    const clip = golden(`recording/${name}`);
    const parameters = clip.entry.params as { n_fft: number; hop: number; n_mels: number };
    return {
      name,
      signal: `recording/${name}`,
      base: `recording/${name}`,
      options: {
        sampleRate: clip.entry.sampleRate as number,
        fftSize: parameters.n_fft,
        hopLength: parameters.hop,
        melBandCount: parameters.n_mels,
      },
    };
  }),
];

describe('pffft fast path', () => {
  it('refuses to run before it is loaded, and names the fix', () => {
    expect(fastFftLoaded()).toBe(false);
    expect(() => spectrogram(new Float32Array(4096), { fftSize: 1024, fft: 'pffft' })).toThrow(/await loadFastFft\(\) first/);
  });

  it('supports multiples of 32 made of 2, 3 and 5 only', () => {
    expect([1024, 960, 480, 96].map(fastFftSupports)).toEqual([true, true, true, true]);
    expect([400, 1000, 32 * 7, 16].map(fastFftSupports)).toEqual([false, false, false, false]);
    expect(() => spectrogram(new Float32Array(4096), { fftSize: 400, fft: 'pffft' })).toThrow(/multiple of 32|not loaded/);
  });

  it.each(cases)('matches librosa on $name within float32 FFT rounding', async ({ signal, base, options }) => {
    await loadFastFft();
    const samples = golden(signal).data;
    const fastOptions = { ...options, fft: 'pffft' as const };
    const power = golden(`${base}/power`);
    const mel = golden(`${base}/mel`);
    const logMel = golden(`${base}/log-mel`);
    const columns = (matrix: { shape: readonly number[] }) => matrix.shape[1] as number;
    expect(maximumErrorOfFramePeak(spectrogram(samples, fastOptions).data, power.data, columns(power))).toBeLessThan(1e-6);
    expect(maximumErrorOfFramePeak(melSpectrogram(samples, fastOptions).data, mel.data, columns(mel))).toBeLessThan(1e-6);
    const { scaled, largest } = decibelErrors(logMelSpectrogram(samples, fastOptions).data, logMel.data, columns(logMel));
    expect(scaled).toBeLessThan(1e-5);
    expect(largest).toBeLessThan(1e-2);
  });
});
