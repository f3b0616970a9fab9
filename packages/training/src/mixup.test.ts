import { createRandom } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import type { AugmentationInput } from './batch-augmentation';
import { createMixup } from './mixup';
import { augmentationInput } from './test-support';

describe('createMixup', () => {
  it('draws λ ~ Beta(α, α): mean 1/2 and variance 1/12 for α = 1, and pulls λ to the ends for small α', () => {
    // item 0 is [1, 0] and item 1 is [0, 1]: when they swap, mixed item 0 is [λ, 1 − λ]
    const lambdas = (alpha: number) => {
      const values: number[] = [];
      const mixup = createMixup({ alpha });
      for (let seed = 0; values.length < 3000; seed++) {
        const input = augmentationInput({ batchSize: 2, itemShape: [2], value: (item, index) => (item === index ? 1 : 0), seed });
        const { features } = mixup.apply(input);
        if (features[1] !== 0) values.push(features[0] as number);
      }
      return values;
    };
    const uniform = lambdas(1);
    const mean = uniform.reduce((sum, value) => sum + value, 0) / uniform.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(uniform.reduce((sum, value) => sum + (value - mean) ** 2, 0) / uniform.length - 1 / 12)).toBeLessThan(0.01);
    const peaked = lambdas(0.1);
    expect(peaked.filter((value) => value < 0.1 || value > 0.9).length / peaked.length).toBeGreaterThan(0.6);
  });

  it('mixes inputs and targets with the same λ; soft multi-class rows sum to 1', () => {
    const input = augmentationInput({ batchSize: 16, itemShape: [3], value: (item) => item, seed: 4 });
    const { features, targets } = createMixup({ alpha: 1 }).apply(input);
    for (let item = 0; item < 16; item++) {
      const row = Array.from(targets.subarray(item * 3, item * 3 + 3));
      expect(row.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
      // x = λ·i + (1 − λ)·j and y = λ·onehot(i mod 3) + (1 − λ)·onehot(j mod 3) for one partner j
      const x = features[item * 3] as number;
      const partners = Array.from({ length: 16 }, (_, j) => j).filter((j) => {
        if (j === item) return x === item;
        const lambda = (x - j) / (item - j);
        if (lambda < 0 || lambda > 1) return false;
        const expected = [0, 1, 2].map((column) => lambda * (item % 3 === column ? 1 : 0) + (1 - lambda) * (j % 3 === column ? 1 : 0));
        return expected.every((value, column) => Math.abs(value - (row[column] as number)) < 1e-5);
      });
      expect(partners.length).toBeGreaterThan(0);
    }
  });

  it('mixes a task only where both items carry it, keeps masks, and pairs within datasets on request', () => {
    // two datasets: 0 carries task a (columns 0–1), 1 carries task b (column 2, binary)
    const size = 40;
    const datasetIds = Int32Array.from({ length: size }, (_, item) => item % 2);
    const masks = new Uint8Array(size * 2);
    const targets = new Float32Array(size * 3);
    for (let item = 0; item < size; item++) {
      masks[item * 2 + (item % 2)] = 1;
      if (item % 2 === 0) targets[item * 3 + ((item / 2) % 2)] = 1;
      else targets[item * 3 + 2] = (item - 1) % 4 === 0 ? 1 : 0;
    }
    const input = (seed: number): AugmentationInput => ({
      // column 0 is the dataset, column 1 the item
      features: Float32Array.from({ length: size * 2 }, (_, index) =>
        index % 2 === 0 ? Math.floor(index / 2) % 2 : Math.floor(index / 2),
      ),
      shape: [size, 2],
      targets: Float32Array.from(targets),
      masks,
      datasetIds,
      taskColumns: [
        { name: 'a', kind: 'multi-class', columns: [0, 2] },
        { name: 'b', kind: 'binary', columns: [2, 3] },
      ],
      random: createRandom(seed),
    });
    let crossed = 0;
    for (let seed = 0; seed < 20; seed++) {
      const across = createMixup({ alpha: 1 }).apply(input(seed));
      for (let item = 0; item < size; item++) {
        const own = Array.from(targets.subarray(item * 3, item * 3 + 3));
        const mixed = Array.from(across.targets.subarray(item * 3, item * 3 + 3));
        // a partner from the other dataset carries none of the item's tasks: the item keeps its own targets
        if (across.features[item * 2] !== item % 2) {
          crossed++;
          expect(mixed).toEqual(own);
        }
        // the other task's columns never change (the item does not carry it)
        if (item % 2 === 0) expect(mixed[2]).toBe(own[2]);
        else expect(mixed.slice(0, 2)).toEqual(own.slice(0, 2));
      }
      const within = createMixup({ alpha: 1, acrossDatasets: false }).apply(input(seed));
      for (let item = 0; item < size; item++) {
        // a within-dataset mix keeps the dataset column
        expect(within.features[item * 2]).toBe(item % 2);
      }
    }
    expect(crossed).toBeGreaterThan(0);
    expect(() => createMixup({ alpha: 0 })).toThrow(/alpha must be a number/);
  });

  it('is a function of its generator', () => {
    const run = (seed: number) =>
      createMixup({ alpha: 0.4 }).apply(augmentationInput({ batchSize: 6, itemShape: [2], value: (item) => item, seed }));
    expect(run(1)).toEqual(run(1));
    expect(run(1).features).not.toEqual(run(2).features);
  });
});
