import { ShapeMismatchError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { createNoiseMixing } from './noise-mixing';
import { augmentationInput } from './test-support';

const noiseItem = (frames: number, bins: number, value: (index: number) => number) => ({
  data: Float32Array.from({ length: frames * bins }, (_, index) => value(index)),
  shape: [frames, bins],
});

describe('createNoiseMixing', () => {
  it('adds noise at an SNR uniform over the dB range, measured on power features', () => {
    const input = augmentationInput({ batchSize: 2000, itemShape: [3, 2], value: (item, index) => 1 + ((item + index) % 3) });
    const signal = Float32Array.from(input.features);
    const noise = [noiseItem(3, 2, (index) => 0.5 + index), noiseItem(3, 2, () => 2)];
    const { features, targets } = createNoiseMixing({ noise, minimumSnr: 5, maximumSnr: 15 }).apply(input);
    expect(targets).toEqual(input.targets);
    const snrs = Array.from({ length: 2000 }, (_, item) => {
      let signalPower = 0;
      let added = 0;
      for (let index = item * 6; index < (item + 1) * 6; index++) {
        signalPower += signal[index] as number;
        added += (features[index] as number) - (signal[index] as number);
      }
      return 10 * Math.log10(signalPower / added);
    });
    expect(Math.min(...snrs)).toBeGreaterThan(5 - 1e-3);
    expect(Math.max(...snrs)).toBeLessThan(15 + 1e-3);
    expect(Math.min(...snrs)).toBeLessThan(5.2);
    expect(Math.max(...snrs)).toBeGreaterThan(14.8);
    expect(snrs.reduce((sum, snr) => sum + snr, 0) / snrs.length).toBeCloseTo(10, 0);
  });

  it('mixes decibel features in power: the same draws give 10·log10 of the power mix', () => {
    const make = (scale: 'power' | 'decibels') =>
      createNoiseMixing({
        noise: [noiseItem(5, 2, (index) => (scale === 'power' ? 1 + index : 10 * Math.log10(1 + index)))],
        featureScale: scale,
      }).apply(
        augmentationInput({
          batchSize: 20,
          itemShape: [4, 2],
          value: (item, index) => (scale === 'power' ? 2 + item + index : 10 * Math.log10(2 + item + index)),
          seed: 6,
        }),
      ).features;
    const power = make('power');
    const decibels = make('decibels');
    for (const [index, value] of power.entries()) expect(decibels[index] as number).toBeCloseTo(10 * Math.log10(value), 3);
  });

  it('crops longer noise items to a contiguous run of frames, and skips items by probability', () => {
    // noise frame f holds f + 1 in both bins: the added noise of an item is proportional to a run of frames
    const noise = [noiseItem(10, 2, (index) => Math.floor(index / 2) + 1)];
    const input = augmentationInput({ batchSize: 50, itemShape: [3, 2], value: () => 1, seed: 2 });
    const { features } = createNoiseMixing({ noise, probability: 0.5 }).apply(input);
    let untouched = 0;
    for (let item = 0; item < 50; item++) {
      const [a, b, c] = Array.from({ length: 3 }, (_, frame) => (features[item * 6 + frame * 2] as number) - 1) as [number, number, number];
      if (a === 0 && b === 0 && c === 0) {
        untouched++;
        continue;
      }
      const first = Math.round(a / (b - a));
      expect(b / a).toBeCloseTo((first + 1) / first, 4);
      expect(c / a).toBeCloseTo((first + 2) / first, 4);
    }
    expect(untouched).toBeGreaterThan(10);
    expect(untouched).toBeLessThan(40);
  });

  it('loops noise items shorter than the batch items from their start', () => {
    // noise frames hold 1 and 2 (power), the items 3 frames of 1: the added noise runs 1, 2, 1 times the gain
    const mixing = createNoiseMixing({ noise: [noiseItem(2, 2, (index) => Math.floor(index / 2) + 1)], minimumSnr: 0, maximumSnr: 0 });
    const { features } = mixing.apply(augmentationInput({ batchSize: 1, itemShape: [3, 2], value: () => 1 }));
    const added = Array.from(features, (value) => value - 1);
    // signal power 1 per cell, noise power 4/3 per cell at 0 dB: gain 3/4
    expect(added).toEqual([0.75, 0.75, 1.5, 1.5, 0.75, 0.75].map((value) => expect.closeTo(value, 6)));
  });

  it('refuses noise that does not fit the items, and bad options', () => {
    const mixing = createNoiseMixing({ noise: [noiseItem(2, 3, () => 1)] });
    const error = (() => {
      try {
        mixing.apply(augmentationInput({ batchSize: 1, itemShape: [3, 2] }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Noise item 0 is \[2, 3\] but the batch items are \[3, 2\]/);
    expect(() => createNoiseMixing({ noise: [] })).toThrow(/noise must hold at least one/);
    expect(() => createNoiseMixing({ noise: [noiseItem(1, 1, () => 1)], probability: 2 })).toThrow(/probability must be in \[0, 1\]/);
    expect(() => createNoiseMixing({ noise: [noiseItem(1, 1, () => 1)], minimumSnr: 10, maximumSnr: 0 })).toThrow(/maximumSnr/);
  });
});
