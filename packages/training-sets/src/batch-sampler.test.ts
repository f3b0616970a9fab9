import { describe, expect, it } from 'vitest';
import { iterateBatches } from './batch-loader';
import { createBatchSampler, type SamplingStrategy, samplerFeedsEveryTask } from './batch-sampler';
import { combineDatasets } from './combined-set';
import { gender, generatedDataset, keyword } from './test-datasets';

const small = generatedDataset({ name: 'small', tasks: [keyword], count: 10 });
const large = generatedDataset({ name: 'large', tasks: [keyword, gender], count: 37, base: 1000 });
const set = combineDatasets([small, large]);

describe('createBatchSampler', () => {
  it.each(['random', 'per-dataset'] as SamplingStrategy[])(
    '%s: every item once per epoch, fresh order each epoch, same for a seed',
    (strategy) => {
      const sampler = createBatchSampler({ set, batchSize: 8, strategy, seed: 3 });
      const epoch0 = sampler.epochBatches(0);
      expect(epoch0.flatMap((batch) => Array.from(batch)).sort((a, b) => a - b)).toEqual(Array.from({ length: 47 }, (_, index) => index));
      expect(sampler.epochBatches(1).map((batch) => Array.from(batch))).not.toEqual(epoch0.map((batch) => Array.from(batch)));
      expect(createBatchSampler({ set, batchSize: 8, strategy, seed: 3 }).epochBatches(0)).toEqual(epoch0);
      if (strategy === 'per-dataset')
        for (const batch of epoch0) expect(new Set(Array.from(batch, (index) => set.datasetOf(index))).size).toBe(1);
    },
  );

  it('balanced: datasets drawn by weight, each batch from one dataset', () => {
    const sampler = createBatchSampler({ set, batchSize: 4, strategy: 'balanced', seed: 1, weights: [1, 3], batchesPerEpoch: 400 });
    const batches = sampler.epochBatches(0);
    expect(batches).toHaveLength(400);
    const fromSmall = batches.filter((batch) => set.datasetOf(batch[0] as number) === 0).length;
    expect(fromSmall / 400).toBeGreaterThan(0.18);
    expect(fromSmall / 400).toBeLessThan(0.32);
    for (const batch of batches) expect(new Set(Array.from(batch, (index) => set.datasetOf(index))).size).toBe(1);
    expect(createBatchSampler({ set, batchSize: 4, strategy: 'balanced' }).epochBatches(0)).toHaveLength(Math.ceil(37 / 4) * 2);
  });

  it('every-dataset: every batch holds every dataset (so every task), quotas by weight; the largest visited once per epoch', () => {
    const third = combineDatasets([small, large, generatedDataset({ name: 'third', tasks: [gender], count: 5, base: 2000 })]);
    const sampler = createBatchSampler({ set: third, batchSize: 8, strategy: 'every-dataset', seed: 2 });
    const batches = sampler.epochBatches(0);
    for (const batch of batches) {
      expect(batch).toHaveLength(8);
      const counts = [0, 0, 0];
      for (const index of batch) counts[third.datasetOf(index)] = (counts[third.datasetOf(index)] as number) + 1;
      expect(counts).toEqual([3, 3, 2]);
    }
    // the largest dataset (37 items, 3 a batch) is visited once: 13 batches
    expect(batches).toHaveLength(13);
    const fromLarge = batches.flatMap((batch) => Array.from(batch).filter((index) => third.datasetOf(index) === 1));
    expect(new Set(fromLarge).size).toBe(37);
    expect(createBatchSampler({ set: third, batchSize: 8, strategy: 'every-dataset', seed: 2 }).epochBatches(0)).toEqual(batches);
    expect(sampler.epochBatches(1)).not.toEqual(batches);
    const weighted = createBatchSampler({ set: third, batchSize: 10, strategy: 'every-dataset', weights: [1, 6, 1] }).epochBatches(0);
    expect(Array.from(weighted[0] as Int32Array).filter((index) => third.datasetOf(index) === 1)).toHaveLength(6);
    expect(() => createBatchSampler({ set: third, batchSize: 2, strategy: 'every-dataset' })).toThrow(/at least the dataset count \(3\)/);
    expect(samplerFeedsEveryTask(third, 'every-dataset')).toBe(true);
    expect(samplerFeedsEveryTask(third, 'per-dataset')).toBe(false);
    expect(samplerFeedsEveryTask(set, 'random')).toBe(false);
    // datasets that all carry every task feed every task whatever the sampler
    expect(samplerFeedsEveryTask(combineDatasets([large]), 'per-dataset')).toBe(true);
  });

  it('label-balanced: rare labels drawn as often as common ones', () => {
    const skewed = combineDatasets([
      generatedDataset({ name: 'skewed', tasks: [gender], count: 100 }).subset([
        ...Array.from({ length: 45 }, (_, index) => index * 2),
        1,
        3,
        5,
        7,
        9,
      ]),
    ]);
    const sampler = createBatchSampler({ set: skewed, batchSize: 50, strategy: 'label-balanced', seed: 2, batchesPerEpoch: 40 });
    const row = new Float32Array(1);
    let male = 0;
    for (const batch of sampler.epochBatches(0)) {
      for (const index of batch) {
        skewed.writeTargetRow(index, row, 0);
        male += row[0] as number;
      }
    }
    expect(male / 2000).toBeGreaterThan(0.45);
    expect(male / 2000).toBeLessThan(0.55);
  });

  it('restored mid-epoch, yields exactly the remaining batches', () => {
    for (const strategy of ['random', 'per-dataset', 'balanced'] as SamplingStrategy[]) {
      const sampler = createBatchSampler({ set, batchSize: 5, strategy, seed: 9 });
      sampler.next();
      sampler.next();
      const saved = JSON.parse(JSON.stringify(sampler.state()));
      const rest: number[][] = [];
      for (let batch = sampler.next(); batch; batch = sampler.next()) rest.push(Array.from(batch));
      const restored = createBatchSampler({ set, batchSize: 5, strategy, seed: 9 });
      restored.restore(saved);
      const again: number[][] = [];
      for (let batch = restored.next(); batch; batch = restored.next()) again.push(Array.from(batch));
      expect(again).toEqual(rest);
      expect(again.length).toBe(sampler.epochBatches(0).length - 2);
      expect(restored.state()).toEqual({ epoch: 1, batch: 0 });
    }
  });

  it('refuses mixing shapes in one batch', () => {
    const other = generatedDataset({ name: 'other', tasks: [keyword], count: 3, shape: [2, 3] });
    expect(() => createBatchSampler({ set: combineDatasets([small, other]), batchSize: 2, strategy: 'random' })).toThrow(
      /needs the same feature shape/,
    );
    expect(() => createBatchSampler({ set: combineDatasets([small, other]), batchSize: 2, strategy: 'per-dataset' })).not.toThrow();
  });
});

describe('iterateBatches', () => {
  it('yields typed-array batches with targets, masks and dataset ids, and the position after each', async () => {
    const sampler = createBatchSampler({ set, batchSize: 16, strategy: 'per-dataset', seed: 5 });
    const seen: number[] = [];
    for await (const batch of iterateBatches({ set, sampler, prefetch: 2 })) {
      const size = batch.indices.length;
      expect(batch.featureShape).toEqual([size, 4, 3]);
      expect(batch.features).toHaveLength(size * 12);
      expect(batch.targets).toHaveLength(size * set.columnCount);
      expect(batch.masks).toHaveLength(size * 2);
      const dataset = batch.datasetIds[0] as number;
      expect(Array.from(batch.masks.subarray(0, 2))).toEqual(dataset === 0 ? [1, 0] : [1, 1]);
      expect(batch.features[0]).toBe(set.featuresOf(batch.indices[0] as number).data[0]);
      seen.push(...batch.indices);
      expect(batch.samplerState.batch).toBeGreaterThan(0);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 47 }, (_, index) => index));
  });
});
