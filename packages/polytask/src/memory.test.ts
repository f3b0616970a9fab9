/**
 * Tensors are freed per epoch, fold and baseline: a 3-fold run with single-task baselines holds
 * the same number of tensors at the end of every epoch and the start of every fold, and none
 * after it ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selectBackend } from '@polytask/training';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config';
import { runExperiment } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('holds the same number of tensors after every epoch and fold of a 3-fold run with baselines', async () => {
  const config = parseExperimentConfig({
    name: 'memory',
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
      { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(root, 'scenes'), clipsPerSiteAndScene: 2 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 3, seed: 1 },
    validation: { fraction: 0.2 },
    preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
    model: { kind: 'dnn', hiddenUnits: [16] },
    training: {
      epochs: 3,
      batchSize: 16,
      lossCombiner: 'uncertainty',
      earlyStopping: { patience: 5, restoreBestWeights: true },
      seed: 3,
    },
    baselines: true,
    backend: 'cpu',
  });
  // per model (the multi-task model and each baseline keep different optimizer state)
  const atEpochEnd = new Map<string, number[]>();
  const atFoldStart: number[] = [];
  await selectBackend({ preference: 'cpu', log: () => {} });
  const before = tf.memory().numTensors;
  await runExperiment(config, {
    log: () => {},
    observers: [
      {
        onEpochEnd: (info) => {
          const model = info.train.model ?? 'multi-task';
          atEpochEnd.set(model, [...(atEpochEnd.get(model) ?? []), tf.memory().numTensors]);
        },
      },
      { onFoldStart: () => void atFoldStart.push(tf.memory().numTensors) },
    ],
  });
  expect(atEpochEnd.get('multi-task')).toHaveLength(9);
  expect(atEpochEnd.size).toBeGreaterThan(1);
  for (const [model, counts] of atEpochEnd) {
    expect(counts, model).toHaveLength(9);
    expect(new Set(counts).size, `tensors at each epoch's end of ${model}: ${counts}`).toBe(1);
  }
  expect(new Set(atFoldStart).size, `tensors at each fold's start: ${atFoldStart}`).toBe(1);
  expect(tf.memory().numTensors).toBe(before);
});
