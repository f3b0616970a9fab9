import { ShapeMismatchError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { createSpecAugment } from './spec-augment';
import { augmentationInput } from './test-support';

/** Per item: the frequency bins zero in every frame, the frames zero in every bin, and whether every zero lies in one of them. */
function masked(features: Float32Array, frames: number, bins: number) {
  const zeroBins = Array.from({ length: bins }, (_, bin) =>
    Array.from({ length: frames }, (_, frame) => features[frame * bins + bin] === 0),
  )
    .map((column, bin) => (column.every(Boolean) ? bin : -1))
    .filter((bin) => bin >= 0);
  const zeroFrames = Array.from({ length: frames }, (_, frame) => features.subarray(frame * bins, (frame + 1) * bins).every((v) => v === 0))
    .map((zero, frame) => (zero ? frame : -1))
    .filter((frame) => frame >= 0);
  let explained = true;
  features.forEach((value, index) => {
    if (value === 0 && !zeroBins.includes(index % bins) && !zeroFrames.includes(Math.floor(index / bins))) explained = false;
  });
  return { zeroBins, zeroFrames, explained };
}

describe('createSpecAugment', () => {
  it('masks whole bands and whole frames, within the counts and widths asked for, over many seeds', () => {
    const [frames, bins] = [20, 16];
    const augmentation = createSpecAugment({ frequencyMasks: 2, frequencyMaskWidth: 5, timeMasks: 1, timeMaskWidth: 7, maskValue: 0 });
    const input = augmentationInput({ batchSize: 400, itemShape: [frames, bins] });
    const { features, targets } = augmentation.apply({ ...input, features: Float32Array.from(input.features) });
    expect(targets).toEqual(input.targets);
    let largestBand = 0;
    let largestSpan = 0;
    for (let item = 0; item < 400; item++) {
      const result = masked(features.subarray(item * frames * bins, (item + 1) * frames * bins), frames, bins);
      expect(result.explained).toBe(true);
      expect(result.zeroBins.length).toBeLessThanOrEqual(2 * 5);
      expect(result.zeroFrames.length).toBeLessThanOrEqual(7);
      largestBand = Math.max(largestBand, result.zeroBins.length);
      largestSpan = Math.max(largestSpan, result.zeroFrames.length);
    }
    // the bounds are reached: widths are uniform in [0, F] and [0, T]
    expect(largestBand).toBeGreaterThanOrEqual(9);
    expect(largestSpan).toBe(7);
  });

  it('draws a single mask width uniformly in [0, F]: mean F/2', () => {
    const [frames, bins] = [4, 30];
    const augmentation = createSpecAugment({ frequencyMasks: 1, frequencyMaskWidth: 10, timeMasks: 0, maskValue: 0 });
    const input = augmentationInput({ batchSize: 3000, itemShape: [frames, bins], seed: 5 });
    const { features } = augmentation.apply(input);
    const widths = Array.from(
      { length: 3000 },
      (_, item) => masked(features.subarray(item * 120, (item + 1) * 120), frames, bins).zeroBins.length,
    );
    expect(Math.min(...widths)).toBe(0);
    expect(Math.max(...widths)).toBe(10);
    expect(widths.reduce((sum, width) => sum + width, 0) / widths.length).toBeCloseTo(5, 0);
  });

  it("fills with the item's mean by default and clips widths to the item", () => {
    const input = augmentationInput({ batchSize: 1, itemShape: [3, 4], value: (_, index) => index, seed: 2 });
    const { features } = createSpecAugment({ frequencyMaskWidth: 100, timeMaskWidth: 100 }).apply(input);
    const mean = (0 + 11) / 2;
    const changed = Array.from(features).filter((value, index) => value !== index);
    expect(changed.length).toBeGreaterThan(0);
    for (const value of changed) expect(value).toBe(mean);
  });

  it('warps time linearly: first and last frames stay, a ramp stays monotone, constant frames stay constant', () => {
    const [frames, bins] = [40, 2];
    const augmentation = createSpecAugment({ frequencyMasks: 0, timeMasks: 0, timeWarp: 8 });
    const ramp = augmentationInput({ batchSize: 200, itemShape: [frames, bins], value: (_, index) => Math.floor(index / bins), seed: 9 });
    const { features } = augmentation.apply({ ...ramp, features: Float32Array.from(ramp.features) });
    let warped = 0;
    for (let item = 0; item < 200; item++) {
      const values = features.subarray(item * frames * bins, (item + 1) * frames * bins);
      expect(values[0]).toBe(0);
      expect(values[(frames - 1) * bins]).toBeCloseTo(frames - 1, 4);
      for (let frame = 1; frame < frames; frame++)
        expect(values[frame * bins] as number).toBeGreaterThanOrEqual((values[(frame - 1) * bins] as number) - 1e-5);
      // the warp moves the centre by at most W frames
      for (let frame = 0; frame < frames; frame++) expect(Math.abs((values[frame * bins] as number) - frame)).toBeLessThanOrEqual(8 + 1e-4);
      if (values.some((value, index) => Math.abs(value - Math.floor(index / bins)) > 1e-4)) warped++;
    }
    expect(warped).toBeGreaterThan(150);
    const flat = augmentationInput({ batchSize: 5, itemShape: [frames, bins], value: (_, index) => index % bins });
    expect(augmentation.apply({ ...flat, features: Float32Array.from(flat.features) }).features).toEqual(flat.features);
  });

  it('is a function of its generator: the same seed gives the same masks', () => {
    const augmentation = createSpecAugment({ frequencyMaskWidth: 3, timeMaskWidth: 3, timeWarp: 2 });
    const run = (seed: number) => augmentation.apply(augmentationInput({ batchSize: 8, itemShape: [10, 6], seed })).features;
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it('refuses items that are not [time, frequency], naming the shape, and bad options', () => {
    const error = (() => {
      try {
        createSpecAugment().apply(augmentationInput({ batchSize: 2, itemShape: [4, 3, 2] }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/\[time, frequency\], got \[4, 3, 2\]/);
    expect(() => createSpecAugment({ frequencyMaskWidth: -1 })).toThrow(/frequencyMaskWidth must be an integer ≥ 0/);
    expect(() => createSpecAugment({ timeMasks: 1.5 })).toThrow(/timeMasks/);
  });
});
