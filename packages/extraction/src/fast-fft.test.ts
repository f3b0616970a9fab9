import { describe, expect, it } from 'vitest';
import { golden, maximumAbsoluteError, maximumRelativeError } from './__fixtures__/load-golden';
import { fastFftLoaded, fastFftSupports, loadFastFft } from './internal/fast-fft';
import { logMelSpectrogram, melSpectrogram } from './mel-spectrogram';
import { spectrogram } from './spectrogram';

describe('pffft fast path', () => {
  it('refuses to run before it is loaded, and names the fix', () => {
    expect(fastFftLoaded()).toBe(false);
    expect(() => spectrogram(new Float32Array(4096), { fftSize: 1024, fft: 'pffft' })).toThrow(/await loadFastFft\(\) first/);
  });

  it('supports multiples of 32 made of 2, 3 and 5 only', () => {
    expect([1024, 960, 480, 96].map(fastFftSupports)).toEqual([true, true, true, true]);
    expect([400, 1000, 32 * 7, 16].map(fastFftSupports)).toEqual([false, false, false, false]);
  });

  it.each(['speech', 'chirp', 'noise'])('matches librosa on %s within the golden tolerances', async (signalName) => {
    await loadFastFft();
    const signal = golden(`signal/${signalName}`).data;
    const options = { sampleRate: 16000, fftSize: 1024, hopLength: 256, melBandCount: 64, fft: 'pffft' as const };
    expect(maximumAbsoluteError(logMelSpectrogram(signal, options).data, golden(`${signalName}/default-1024/log-mel`).data)).toBeLessThan(
      1e-3,
    );
    expect(maximumRelativeError(melSpectrogram(signal, options).data, golden(`${signalName}/default-1024/mel`).data)).toBeLessThan(1e-4);
    expect(() => spectrogram(signal, { fftSize: 400, fft: 'pffft' })).toThrow(/multiple of 32/);
  });
});
