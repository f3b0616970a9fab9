/**
 * trainFold frees what each epoch creates: with every loss combiner, a schedule, gradient clipping,
 * early stopping with restored best weights and checkpoints, the number of tensors is the same at
 * every epoch's end, and after the fold only the model's weights remain.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMultiTaskDnn } from '@polytask/models';
import { createRunStore } from '@polytask/results';
import { combineDatasets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LossCombinerSpec } from './loss-combiners';
import { events, keyword, learnableDataset, speaker } from './test-support';
import { trainFold } from './train-fold';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const corpora = (count: number, seed: number) =>
  combineDatasets([
    learnableDataset({ name: 'words', tasks: [keyword], count, seed }),
    learnableDataset({ name: 'voices', tasks: [speaker, events], count, seed: seed + 1 }),
  ]);
const train = corpora(24, 1);
const validation = corpora(8, 50);
const test = corpora(8, 90);

const combiners: LossCombinerSpec[] = [
  { kind: 'sum' },
  { kind: 'uncertainty' },
  { kind: 'dynamic-weight-average' },
  { kind: 'gradnorm' },
  { kind: 'pcgrad' },
  { kind: 'mgda' },
  { kind: 'aligned-mtl' },
  { kind: 'nash-mtl' },
  { kind: 'mgda-ub' },
];

it.each(combiners)('holds the same number of tensors at every epoch end with the $kind combiner', async (lossCombiner) => {
  const before = tf.memory().numTensors;
  const model = createMultiTaskDnn({
    inputShape: [4, 8],
    tasks: train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
    hiddenUnits: [12],
    seed: 3,
  });
  const weights = tf.memory().numTensors - before;
  const atEpochEnd: number[] = [];
  await trainFold({
    model,
    train,
    validation,
    test,
    epochs: 4,
    batchSize: 8,
    lossCombiner,
    optimizer: { name: 'adam', learningRate: 0.01 },
    schedule: { kind: 'reduce-on-plateau', patience: 1 },
    gradientClipNorm: 0.5,
    earlyStopping: { patience: 10, restoreBestWeights: true },
    store: createRunStore({ root, name: `memory-${lossCombiner.kind}` }),
    observers: [{ onEpochEnd: () => void atEpochEnd.push(tf.memory().numTensors) }],
  });
  expect(atEpochEnd).toHaveLength(4);
  // epoch 1 creates the optimizer's state and the best weights' copy; nothing grows after it
  expect(new Set(atEpochEnd.slice(1)).size, `tensors at each epoch's end: ${atEpochEnd}`).toBe(1);
  expect(tf.memory().numTensors - before).toBe(weights);
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
