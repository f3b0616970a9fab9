import { describe, expect, it } from 'vitest';
import { createRandomGain } from './random-gain';
import { augmentationInput } from './test-support';

describe('createRandomGain', () => {
  it('adds one offset per item, uniform over the dB range, to decibel features', () => {
    const input = augmentationInput({ batchSize: 2000, itemShape: [3, 2], value: (item) => item % 7 });
    const { features, targets } = createRandomGain({ minimumDecibels: -4, maximumDecibels: 8 }).apply({
      ...input,
      features: Float32Array.from(input.features),
    });
    expect(targets).toEqual(input.targets);
    const gains = Array.from({ length: 2000 }, (_, item) => {
      const offsets = Array.from(
        { length: 6 },
        (_, index) => (features[item * 6 + index] as number) - (input.features[item * 6 + index] as number),
      );
      for (const offset of offsets) expect(offset).toBeCloseTo(offsets[0] as number, 4);
      return offsets[0] as number;
    });
    expect(Math.min(...gains)).toBeGreaterThanOrEqual(-4 - 1e-4);
    expect(Math.max(...gains)).toBeLessThanOrEqual(8 + 1e-4);
    expect(Math.min(...gains)).toBeLessThan(-3.8);
    expect(Math.max(...gains)).toBeGreaterThan(7.8);
    expect(gains.reduce((sum, gain) => sum + gain, 0) / gains.length).toBeCloseTo(2, 0);
  });

  it('scales linear features and offsets natural-log ones by the same dB', () => {
    // a fresh generator of the same seed per run: the same gains in dB
    const run = (featureScale: 'power' | 'magnitude' | 'natural-log-power') =>
      createRandomGain({ minimumDecibels: -10, maximumDecibels: 10, featureScale }).apply(
        augmentationInput({ batchSize: 50, itemShape: [4], value: () => 2, seed: 3 }),
      ).features;
    const power = run('power');
    const magnitude = run('magnitude');
    const logarithm = run('natural-log-power');
    for (let index = 0; index < power.length; index++) {
      // the same draws: gain g dB → power × 10^(g/10), magnitude × 10^(g/20), ln power + g ln10 / 10
      const decibels = 10 * Math.log10((power[index] as number) / 2);
      expect(decibels).toBeGreaterThanOrEqual(-10 - 1e-3);
      expect(decibels).toBeLessThanOrEqual(10 + 1e-3);
      expect(20 * Math.log10((magnitude[index] as number) / 2)).toBeCloseTo(decibels, 3);
      expect((((logarithm[index] as number) - 2) * 10) / Math.LN10).toBeCloseTo(decibels, 3);
    }
  });

  it('refuses an empty range and unknown scales', () => {
    expect(() => createRandomGain({ minimumDecibels: 3, maximumDecibels: 1 })).toThrow(/maximumDecibels must be a number ≥ 3/);
    expect(() => createRandomGain({ featureScale: 'linear' as never })).toThrow(/featureScale must be one of/);
  });
});
