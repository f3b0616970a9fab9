import { describe, expect, it } from 'vitest';
import { augmentationInput } from './test-support';
import { createTimeShift } from './time-shift';

/** Each item's frames as their first value (frame f of the input holds 10·f, 10·f + 1). */
const frameValues = (features: Float32Array, item: number, frames: number) =>
  Array.from({ length: frames }, (_, frame) => features[(item * frames + frame) * 2] as number);

describe('createTimeShift', () => {
  it('rotates each item by a shift uniform in [−N, N] in circular mode', () => {
    const frames = 10;
    const input = augmentationInput({
      batchSize: 1000,
      itemShape: [frames, 2],
      value: (_, index) => 10 * Math.floor(index / 2) + (index % 2),
    });
    const { features } = createTimeShift({ maximumFrames: 3 }).apply({ ...input, features: Float32Array.from(input.features) });
    const shifts = new Map<number, number>();
    for (let item = 0; item < 1000; item++) {
      const values = frameValues(features, item, frames);
      const shift = (frames - (values[0] as number) / 10) % frames;
      const signed = shift > frames / 2 ? shift - frames : shift;
      expect(values).toEqual(Array.from({ length: frames }, (_, frame) => 10 * ((((frame - signed) % frames) + frames) % frames)));
      // the second column travels with its frame
      expect(features[item * frames * 2 + 1]).toBe((values[0] as number) + 1);
      shifts.set(signed, (shifts.get(signed) ?? 0) + 1);
    }
    expect([...shifts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const count of shifts.values()) expect(count).toBeGreaterThan(100);
  });

  it('fills vacated frames with the pad value in pad mode', () => {
    const frames = 6;
    const input = augmentationInput({
      batchSize: 200,
      itemShape: [frames, 2],
      value: (_, index) => 10 * Math.floor(index / 2) + 5,
      seed: 2,
    });
    const { features } = createTimeShift({ maximumFrames: 2, mode: 'pad', padValue: -80 }).apply(input);
    for (let item = 0; item < 200; item++) {
      const values = frameValues(features, item, frames);
      const kept = values.filter((value) => value !== -80);
      expect(kept.length).toBeGreaterThanOrEqual(frames - 2);
      // the kept frames are a contiguous, ordered run of the input's frames
      for (let index = 1; index < kept.length; index++) expect((kept[index] as number) - (kept[index - 1] as number)).toBe(10);
      expect(values[0] === -80 || values.at(-1) === -80 || kept.length === frames).toBe(true);
    }
    expect(() => createTimeShift({ maximumFrames: -1 })).toThrow(/maximumFrames must be an integer ≥ 0/);
  });
});
