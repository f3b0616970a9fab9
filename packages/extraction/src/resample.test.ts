import { describe, expect, it } from 'vitest';
import { golden, maximumAbsoluteError } from './__fixtures__/load-golden';
import { resample, resamplePoly } from './resample';

describe('resamplePoly against scipy.signal.resample_poly', () => {
  it.each(['speech', 'chirp', 'noise'])('%s at five ratios within 1e-5', (signalName) => {
    const signal = golden(`signal/${signalName}`).data;
    const before = signal.slice();
    for (const [up, down] of [
      [1, 2],
      [160, 441],
      [2, 1],
      [3, 2],
      [320, 441],
    ] as const) {
      const expected = golden(`${signalName}/resample/${up}-${down}`);
      const actual = resamplePoly(signal, up, down);
      expect(actual.length).toBe(expected.data.length);
      expect(maximumAbsoluteError(actual, expected.data)).toBeLessThan(1e-5);
    }
    expect(signal).toEqual(before);
  });

  it('reduces the ratio and copies for equal rates', () => {
    const signal = Float32Array.from([1, 2, 3]);
    const same = resamplePoly(signal, 4, 4);
    expect(same).toEqual(signal);
    expect(same).not.toBe(signal);
    expect(resamplePoly(new Float32Array(100), 4, 2)).toHaveLength(200);
  });

  it('rejects non-integer factors', () => {
    expect(() => resamplePoly(new Float32Array(4), 1.5, 2)).toThrow(/up must be a positive integer/);
  });
});

/** Signal-to-error ratio of `actual` against `expected`, in dB. */
function signalToErrorDecibels(actual: Float32Array, expected: Float32Array): number {
  let signal = 0;
  let error = 0;
  for (let index = 0; index < expected.length; index++) {
    signal += (expected[index] as number) ** 2;
    error += ((actual[index] as number) - (expected[index] as number)) ** 2;
  }
  return 10 * Math.log10(signal / error);
}

const recordings = ['speech-8000', 'speech-22050', 'speech-44100', 'speech-48000'] as const;

describe('each resampling method against its reference (librosa 0.11 fixtures)', () => {
  it.each(recordings)("polyphase equals librosa.resample(res_type='polyphase') for %s → 16 kHz within 1e-5", async (name) => {
    const clip = golden(`recording/${name}`);
    const expected = golden(`recording/${name}/resample-polyphase/16000`).data;
    const actual = await resample(clip.data, { fromRate: clip.entry.sampleRate as number, toRate: 16000, method: 'polyphase' });
    expect(actual.length).toBe(expected.length);
    expect(maximumAbsoluteError(actual, expected)).toBeLessThan(1e-5);
  });

  // libsamplerate and soxr are different filters: they agree closely below the band edge and
  // differ in the transition band, so the agreement depends on how much content sits near Nyquist.
  // Minimum signal-to-difference ratios (dB), measured values minus about 2 dB.
  const soxrCases = [
    ...recordings.map((name) => [`recording/${name}`, `recording/${name}/resample-soxr-hq/16000`, 16000, 80] as const),
    ['signal/speech', 'speech/resample-soxr-hq/8000', 8000, 62],
    ['signal/speech', 'speech/resample-soxr-hq/22050', 22050, 78],
    ['signal/chirp', 'chirp/resample-soxr-hq/8000', 8000, 30],
    ['signal/chirp', 'chirp/resample-soxr-hq/22050', 22050, 46],
    ['signal/noise', 'noise/resample-soxr-hq/8000', 8000, 24],
    ['signal/noise', 'noise/resample-soxr-hq/22050', 22050, 24],
  ] as const;
  it.each(soxrCases)(
    "high-quality (libsamplerate best sinc) against librosa's default soxr_hq: %s → %s at least %s dB",
    async (signalName, referenceName, toRate, minimumDecibels) => {
      const clip = golden(signalName);
      const expected = golden(referenceName).data;
      const actual = await resample(clip.data, { fromRate: clip.entry.sampleRate as number, toRate, method: 'high-quality' });
      expect(actual.length).toBe(expected.length);
      expect(signalToErrorDecibels(actual, expected)).toBeGreaterThan(minimumDecibels);
    },
  );
});

describe('resample', () => {
  const tone = Float32Array.from({ length: 44100 }, (_, index) => Math.sin((2 * Math.PI * 1000 * index) / 44100));

  it('uses the polyphase method by default', async () => {
    const output = await resample(tone, { fromRate: 44100, toRate: 16000 });
    expect(output).toEqual(resamplePoly(tone, 160, 441));
  });

  it('offers libsamplerate as the high-quality method, keeping the tone and the input', async () => {
    const before = tone.slice();
    const output = await resample(tone, { fromRate: 44100, toRate: 16000, method: 'high-quality' });
    expect(output.length).toBe(16000);
    let dot = 0;
    let energy = 0;
    for (let index = 100; index < 15900; index++) {
      const expected = Math.sin((2 * Math.PI * 1000 * index) / 16000);
      dot += (output[index] as number) * expected;
      energy += expected * expected;
    }
    expect(dot / energy).toBeGreaterThan(0.99);
    expect(tone).toEqual(before);
  });

  it('rejects bad rates and methods', async () => {
    await expect(resample(tone, { fromRate: 0, toRate: 16000 })).rejects.toThrow(/fromRate must be a positive integer/);
    await expect(resample(tone, { fromRate: 44100, toRate: 16000, method: 'linear' as never })).rejects.toThrow(
      /Unknown resampling method "linear"/,
    );
  });
});
