import { describe, expect, it } from 'vitest';
import { augmentationRandom, augmentBatch, type BatchAugmentation, checkAugmentations } from './batch-augmentation';
import { augmentationInput } from './test-support';

describe('augmentationRandom', () => {
  it('is a pure function of seed, epoch, step and position, and differs when any of them does', () => {
    const draws = (options: { seed: number; epoch: number; step: number; position: number }) =>
      Array.from({ length: 4 }, augmentationRandom(options));
    const base = { seed: 1, epoch: 2, step: 3, position: 0 };
    expect(draws(base)).toEqual(draws({ ...base }));
    for (const changed of [{ seed: 2 }, { epoch: 3 }, { step: 4 }, { position: 1 }, { seed: 0, epoch: 0, step: 0 }])
      expect(draws({ ...base, ...changed })).not.toEqual(draws(base));
    // swapped words give other streams (the hash is ordered)
    expect(draws({ seed: 1, epoch: 2, step: 3, position: 0 })).not.toEqual(draws({ seed: 2, epoch: 1, step: 3, position: 0 }));
  });
});

describe('augmentBatch', () => {
  it('runs the augmentations in order on copies, leaving the batch as it was', () => {
    const input = augmentationInput({ batchSize: 2, itemShape: [2] });
    const original = Float32Array.from(input.features);
    const seen: string[] = [];
    const add = (amount: number): BatchAugmentation => ({
      name: `add ${amount}`,
      apply: ({ features, targets }) => {
        seen.push(`add ${amount}`);
        features.forEach((value, index) => {
          features[index] = value * 10 + amount;
        });
        return { features, targets };
      },
    });
    const { random: _, ...batch } = input;
    const result = augmentBatch({ ...batch, augmentations: [add(1), add(2)], seed: 0, epoch: 1, step: 1 });
    expect(seen).toEqual(['add 1', 'add 2']);
    expect(Array.from(result.features)).toEqual(Array.from(original, (value) => (value * 10 + 1) * 10 + 2));
    expect(input.features).toEqual(original);
  });

  it('refuses an augmentation that changes the sizes, and entries that are not augmentations', () => {
    const { random: _, ...batch } = augmentationInput({ batchSize: 2, itemShape: [2] });
    const shrink: BatchAugmentation = { name: 'shrink', apply: ({ targets }) => ({ features: new Float32Array(1), targets }) };
    expect(() => augmentBatch({ ...batch, augmentations: [shrink], seed: 0, epoch: 1, step: 1 })).toThrow(
      /Augmentation "shrink" returned 1 feature values .* must keep the batch's sizes \(4 and 6\)/,
    );
    expect(() => checkAugmentations([shrink, { name: 'x' } as never])).toThrow(/augmentations\[1\] must be a BatchAugmentation/);
  });
});
