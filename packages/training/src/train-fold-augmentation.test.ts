/**
 * trainFold with augmentations: applied to training batches only, reproducible under a seed,
 * and resumed exactly (from an epoch's checkpoint, or after a stop mid-epoch), on the cpu backend.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMultiTaskDnn } from '@polytask/models';
import { createRunStore, openRun } from '@polytask/results';
import { type CombinedSet, combineDatasets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugmentationInput, BatchAugmentation } from './batch-augmentation';
import { createMixup } from './mixup';
import { createRandomGain } from './random-gain';
import { createSpecAugment } from './spec-augment';
import { events, keyword, learnableDataset, speaker } from './test-support';
import { createTimeShift } from './time-shift';
import { type TrainFoldOptions, trainFold } from './train-fold';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-augment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two datasets with different tasks: words (keyword) and voices (speaker, events). */
const corpora = (count: number, seed: number) =>
  combineDatasets([
    learnableDataset({ name: 'words', tasks: [keyword], count, seed }),
    learnableDataset({ name: 'voices', tasks: [speaker, events], count, seed: seed + 1 }),
  ]);
const train = corpora(20, 1);
const validation = corpora(6, 40);
const test = corpora(6, 80);
const model = () =>
  createMultiTaskDnn({
    inputShape: [4, 8],
    tasks: train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
    hiddenUnits: [8],
    seed: 2,
  });
const augmentations = (): BatchAugmentation[] => [
  createTimeShift({ maximumFrames: 1 }),
  createRandomGain({ minimumDecibels: -3, maximumDecibels: 3 }),
  createSpecAugment({ frequencyMasks: 1, frequencyMaskWidth: 2, timeMasks: 1, timeMaskWidth: 1, timeWarp: 1 }),
  createMixup({ alpha: 0.4 }),
];
const common = { train, epochs: 3, batchSize: 8, optimizer: { name: 'adam', learningRate: 0.01 } } as const;

/** Every item's features, in order, as one array. */
const allFeatures = (set: CombinedSet) => {
  const size = set.shapeOf(0).reduce((product, dimension) => product * dimension, 1);
  const values = new Float32Array(set.size * size);
  for (let index = 0; index < set.size; index++) set.copyFeaturesInto(index, values, index * size);
  return values;
};

/** Trains a fresh model and returns its weights by stable name. */
async function trainedWeights(options: Partial<TrainFoldOptions>): Promise<Record<string, number[]>> {
  const network = model();
  await trainFold({ ...common, model: network, ...options });
  const weights = Object.fromEntries(network.weights.map((weight) => [weight.originalName, Array.from(weight.read().dataSync())]));
  network.dispose();
  return weights;
}

describe('trainFold augmentations', () => {
  it('augment training batches only: validation and test features stay byte-identical and apply sees only training items', async () => {
    const before = { validation: allFeatures(validation), test: allFeatures(test) };
    const trainingItems = new Set<string>();
    const itemSize = 32;
    const trainValues = allFeatures(train);
    for (let index = 0; index < train.size; index++)
      trainingItems.add(trainValues.subarray(index * itemSize, (index + 1) * itemSize).join());
    const calls: AugmentationInput[] = [];
    const spy: BatchAugmentation = {
      name: 'spy',
      apply: (input) => {
        calls.push({ ...input, features: Float32Array.from(input.features), targets: Float32Array.from(input.targets) });
        return { features: input.features, targets: input.targets };
      },
    };
    let batches = 0;
    const result = await trainFold({
      ...common,
      model: model(),
      validation,
      test,
      augmentations: [spy, ...augmentations()],
      observers: [{ onBatchEnd: () => void batches++ }],
    });
    expect(result.history.map((entry) => entry.validation?.tasks.length)).toEqual([3, 3, 3]);
    // one call per training step, each with training items (as they are, the spy being first) and the batch's tasks
    expect(calls.length).toBe(batches);
    expect(calls.reduce((sum, call) => sum + (call.shape[0] as number), 0)).toBe(3 * train.size);
    for (const call of calls) {
      expect(call.shape.slice(1)).toEqual([4, 8]);
      expect(call.taskColumns.map((task) => task.name)).toEqual(['keyword', 'speaker', 'events']);
      for (let item = 0; item < (call.shape[0] as number); item++)
        expect(trainingItems.has(call.features.subarray(item * itemSize, (item + 1) * itemSize).join())).toBe(true);
    }
    expect(Buffer.from(allFeatures(validation).buffer).equals(Buffer.from(before.validation.buffer))).toBe(true);
    expect(Buffer.from(allFeatures(test).buffer).equals(Buffer.from(before.test.buffer))).toBe(true);
  });

  it('keep the train metrics on the batch’s own targets (mixed targets reach only the loss)', async () => {
    // an augmentation that garbles every target: the losses change, the train metrics' truth does not
    const garble: BatchAugmentation = { name: 'garble', apply: ({ features, targets }) => ({ features, targets: targets.map(() => 0.5) }) };
    const truthCounts = (result: Awaited<ReturnType<typeof trainFold>>) =>
      result.history[0]?.train.tasks.map((task) => [task.task, task.perLabel.map((label) => label.support)]);
    const plain = await trainFold({ ...common, epochs: 1, model: model() });
    const garbled = await trainFold({ ...common, epochs: 1, model: model(), augmentations: [garble] });
    expect(truthCounts(garbled)).toEqual(truthCounts(plain));
    expect(garbled.history[0]?.train.loss).not.toEqual(plain.history[0]?.train.loss);
  });

  it('are deterministic under a seed: the same seed gives the same weights, another seed others', async () => {
    const first = await trainedWeights({ seed: 7, augmentations: augmentations() });
    expect(await trainedWeights({ seed: 7, augmentations: augmentations() })).toEqual(first);
    expect(await trainedWeights({ seed: 8, augmentations: augmentations() })).not.toEqual(first);
    // and they change the training
    expect(await trainedWeights({ seed: 7 })).not.toEqual(first);
  });

  it('resume exactly: 1 epoch + checkpoint + resume to 3 equals 3 uninterrupted epochs', async () => {
    const straight = await trainedWeights({ seed: 7, augmentations: augmentations() });
    const store = createRunStore({ root, name: 'augment-resume' });
    const first = await trainFold({ ...common, epochs: 1, model: model(), seed: 7, augmentations: augmentations(), store });
    expect(first.epochsCompleted).toBe(1);
    const resumed = await trainedWeights({
      seed: 7,
      augmentations: augmentations(),
      store,
      resume: openRun(store.directory).loadCheckpoint(0),
    });
    expect(resumed).toEqual(straight);
  });

  it('resume exactly after a stop mid-epoch (the partial epoch is repeated with the same draws)', async () => {
    const straight = await trainedWeights({ seed: 3, augmentations: augmentations() });
    const store = createRunStore({ root, name: 'augment-mid-epoch' });
    const controller = new AbortController();
    const stopped = await trainFold({
      ...common,
      model: model(),
      seed: 3,
      augmentations: augmentations(),
      store,
      signal: controller.signal,
      observers: [{ onBatchEnd: ({ epoch, batch }) => (epoch === 2 && batch === 2 ? controller.abort() : undefined) }],
    });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.epochsCompleted).toBe(1);
    const resumed = await trainedWeights({
      seed: 3,
      augmentations: augmentations(),
      store,
      resume: openRun(store.directory).loadCheckpoint(0),
    });
    expect(resumed).toEqual(straight);
  });

  it('refuse an entry that is not an augmentation, naming its position', async () => {
    await expect(trainFold({ ...common, model: model(), augmentations: [{ name: 'broken' } as never] })).rejects.toThrow(
      /augmentations\[0\] must be a BatchAugmentation/,
    );
  });
});
