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
