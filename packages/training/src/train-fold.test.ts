import '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMultiTaskCnn, createMultiTaskDnn, StepDropout } from '@polytask/models';
import { createRunStore, openRun, type TrainingObserver } from '@polytask/results';
import { buildBatch, combineDatasets, createTrainingSets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { events, keyword, learnableDataset, loudness, speaker } from './test-support';
import { maskedTaskLosses, trainFold } from './train-fold';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

describe('maskedTaskLosses', () => {
  it('computes each task only over the items that carry it, on hand-computed values', () => {
    // three datasets with 1, 2 and 3 tasks; "keyword" shared by the first and third
    const a = learnableDataset({ name: 'a', tasks: [keyword], count: 2 });
    const b = learnableDataset({ name: 'b', tasks: [speaker, events], count: 2 });
    const c = learnableDataset({ name: 'c', tasks: [keyword, speaker, events], count: 1 });
    const set = combineDatasets([a, b, c]);
    const indices = Int32Array.from([0, 2, 4]); // a[0], b[0], c[0]
    const batch = buildBatch(set, indices, { epoch: 0, batch: 1 });
    const keywordProbabilities = [
      [0.7, 0.2, 0.1],
      [0.3, 0.3, 0.4],
      [0.1, 0.8, 0.1],
    ];
    const speakerProbabilities = [[0.5], [0.9], [0.2]];
    const eventProbabilities = [
      [0.5, 0.5],
      [0.6, 0.3],
      [0.1, 0.7],
    ];
    const outputs = [tf.tensor2d(keywordProbabilities), tf.tensor2d(speakerProbabilities), tf.tensor2d(eventProbabilities)];
    const losses = maskedTaskLosses(outputs, batch, set);
    const row = (index: number, columns: [number, number]) =>
      Array.from(batch.targets.subarray(index * set.columnCount + columns[0], index * set.columnCount + columns[1]));
    const keywordTruth = [row(0, [0, 3]), row(2, [0, 3])];
    const expectedKeyword =
      -(
        Math.log(keywordProbabilities[0]?.[keywordTruth[0]?.indexOf(1) as number] as number) +
        Math.log(keywordProbabilities[2]?.[keywordTruth[1]?.indexOf(1) as number] as number)
      ) / 2;
    const bce = (p: number, y: number) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    const speakerTruth = [row(1, [3, 4])[0] as number, row(2, [3, 4])[0] as number];
    const expectedSpeaker = (bce(0.9, speakerTruth[0] as number) + bce(0.2, speakerTruth[1] as number)) / 2;
    const eventTruth = [row(1, [4, 6]), row(2, [4, 6])];
    const expectedEvents =
      (bce(0.6, eventTruth[0]?.[0] as number) +
        bce(0.3, eventTruth[0]?.[1] as number) +
        bce(0.1, eventTruth[1]?.[0] as number) +
        bce(0.7, eventTruth[1]?.[1] as number)) /
      4;
    expect(Array.from(batch.masks)).toEqual([1, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(losses.get('keyword')?.dataSync()[0]).toBeCloseTo(expectedKeyword, 5);
    expect(losses.get('speaker')?.dataSync()[0]).toBeCloseTo(expectedSpeaker, 5);
    expect(losses.get('events')?.dataSync()[0]).toBeCloseTo(expectedEvents, 5);
    const onlyA = maskedTaskLosses(
      outputs.map((output) => tf.slice(output, 0, 2)),
      buildBatch(set, Int32Array.from([0, 1]), { epoch: 0, batch: 1 }),
      set,
    );
    expect([...onlyA.keys()]).toEqual(['keyword']);
    tf.dispose([...outputs, ...losses.values(), ...onlyA.values()]);
  });
});

describe('trainFold', () => {
  const tasks = [keyword, speaker];
  const pool = learnableDataset({ name: 'pool', tasks, count: 160, seed: 3 });
  const model = () =>
    createMultiTaskDnn({
      inputShape: [4, 8],
      tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      hiddenUnits: [16],
      seed: 5,
    });

  it('learns on the wasm backend: test accuracy well above chance', async () => {
    const { train, test } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25, seed: 1 } }).fold(0);
    const result = await trainFold({
      model: model(),
      train,
      test,
      epochs: 12,
      batchSize: 16,
      optimizer: { name: 'adam', learningRate: 0.01 },
    });
    const last = result.history.at(-1)?.test;
    expect(last?.tasks.find((task) => task.task === 'keyword')?.accuracy).toBeGreaterThan(0.8);
    expect(last?.tasks.find((task) => task.task === 'speaker')?.accuracy).toBeGreaterThan(0.8);
    expect(result.history[0]?.train.loss).toBeGreaterThan(result.history.at(-1)?.train.loss as number);
  });

  it('resumes: 2 epochs + resume 2 equals 4 uninterrupted epochs', async () => {
    const { train, test } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25, seed: 2 } }).fold(0);
    const straight = model();
    await trainFold({ model: straight, train, test, epochs: 4, batchSize: 16, seed: 7 });
    const store = createRunStore({ root, name: 'resume' });
    const first = model();
    const interrupted = await trainFold({ model: first, train, test, epochs: 2, batchSize: 16, seed: 7, store });
    expect(interrupted.epochsCompleted).toBe(2);
    const resumedModel = model();
    const resumed = await trainFold({
      model: resumedModel,
      train,
      test,
      epochs: 4,
      batchSize: 16,
      seed: 7,
      store,
      resume: openRun(store.directory).loadCheckpoint(0),
    });
    expect(resumed.history.map((entry) => entry.train.epoch)).toEqual([3, 4]);
    straight.weights.forEach((weight, index) => {
      expect(Array.from(resumedModel.weights[index]?.read().dataSync() as Float32Array)).toEqual(Array.from(weight.read().dataSync()));
    });
  });

  it('hands each step its position to the dropout layers (a new mask per step) and resumes a dropout model bit for bit', async () => {
    const { train, test } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25, seed: 2 } }).fold(0);
    const dropoutModel = () =>
      createMultiTaskDnn({
        inputShape: [4, 8],
        tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
        hiddenUnits: [16, 16],
        dropout: 0.3,
        seed: 5,
      });
    const straight = dropoutModel();
    const positions: string[] = [];
    for (const layer of straight.layers)
      if (layer instanceof StepDropout) {
        const original = layer.setTrainingStep.bind(layer);
        layer.setTrainingStep = (position) => {
          positions.push(`${layer.name} ${position.epoch}/${position.step}`);
          original(position);
        };
      }
    await trainFold({ model: straight, train, test, epochs: 4, batchSize: 16, seed: 7 });
    // 120 training examples in batches of 16: 8 steps per epoch, each position once per layer
    expect(positions).toHaveLength(2 * 4 * 8);
    expect(new Set(positions).size).toBe(positions.length);
    const store = createRunStore({ root, name: 'resume-dropout' });
    await trainFold({ model: dropoutModel(), train, test, epochs: 2, batchSize: 16, seed: 7, store });
    const resumedModel = dropoutModel();
    await trainFold({
      model: resumedModel,
      train,
      test,
      epochs: 4,
      batchSize: 16,
      seed: 7,
      store,
      resume: openRun(store.directory).loadCheckpoint(0),
    });
    straight.weights.forEach((weight, index) => {
      expect(Array.from(resumedModel.weights[index]?.read().dataSync() as Float32Array)).toEqual(Array.from(weight.read().dataSync()));
    });
  });

  it('resumes a CNN with batch norm on wasm bit for bit: losses, validation and weights', async () => {
    const images = learnableDataset({ name: 'images', tasks, count: 120, frames: 16, bins: 16, seed: 3 });
    const { train, validation, test } = createTrainingSets({
      datasets: [images],
      split: { kind: 'ratio', testFraction: 0.25, seed: 2 },
      validation: { fraction: 0.25 },
    }).fold(0);
    const cnn = () =>
      createMultiTaskCnn({
        inputShape: [16, 16],
        tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
        filters: [8, 16],
        denseUnits: 32,
        batchNorm: true,
        seed: 2,
      });
    // validation and test run several batches, so evaluation reuses each epoch's weights
    if (!validation) throw new Error('expected a validation part');
    const settings = { train, validation, test, batchSize: 8, seed: 7, optimizer: { name: 'adam' as const, learningRate: 0.01 } };
    const straight = cnn();
    const whole = await trainFold({ ...settings, model: straight, epochs: 3 });
    const store = createRunStore({ root, name: 'resume-cnn' });
    const first = await trainFold({ ...settings, model: cnn(), epochs: 1, store });
    const resumedModel = cnn();
    const rest = await trainFold({
      ...settings,
      model: resumedModel,
      epochs: 3,
      store,
      resume: openRun(store.directory).loadCheckpoint(0),
    });
    const losses = (history: typeof whole.history) => history.map((entry) => [entry.train.loss, entry.validation?.loss, entry.test?.loss]);
    expect([...losses(first.history), ...losses(rest.history)]).toEqual(losses(whole.history));
    straight.weights.forEach((weight, index) => {
      expect(Array.from(resumedModel.weights[index]?.read().dataSync() as Float32Array)).toEqual(Array.from(weight.read().dataSync()));
    });
  });

  it('keeps the last and the best checkpoints by default, every k-th or all on request, and resumes after pruning', async () => {
    const parts = createTrainingSets({
      datasets: [pool],
      split: { kind: 'ratio', testFraction: 0.25, seed: 4 },
      validation: { fraction: 0.2 },
    }).fold(0);
    const { train, test } = parts;
    const validation = parts.validation as NonNullable<typeof parts.validation>;
    const kept = async (name: string, options: Partial<Parameters<typeof trainFold>[0]>) => {
      const store = createRunStore({ root, name });
      const result = await trainFold({ model: model(), train, test, epochs: 6, batchSize: 16, store, ...options });
      return { epochs: openRun(store.directory).checkpointEpochs(0), result, store };
    };
    // lowest validation loss when no early stopping chooses
    const byLoss = await kept('retain-default', { validation });
    const losses = byLoss.result.history.map((entry) => entry.validation?.loss as number);
    const lowest = losses.indexOf(Math.min(...losses)) + 1;
    expect(byLoss.epochs).toEqual([...new Set([lowest, 6])].sort((a, b) => a - b));
    // early stopping's best epoch (on macro F1 here)
    const byStopping = await kept('retain-stopping', {
      validation,
      earlyStopping: { metric: 'macro.f1', patience: 10, restoreBestWeights: false },
    });
    expect(byStopping.epochs).toEqual([...new Set([byStopping.result.bestEpoch as number, 6])].sort((a, b) => a - b));
    expect((await kept('retain-every', { checkpoints: { best: false, every: 2 } })).epochs).toEqual([2, 4, 6]);
    expect((await kept('retain-all', { checkpoints: { all: true } })).epochs).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(kept('retain-wrong', { checkpoints: { every: 0 } })).rejects.toThrow(/checkpoints.every must be a positive integer/);
    // resume after pruning continues from the last checkpoint and keeps pruning
    const resumed = await trainFold({
      model: model(),
      train,
      test,
      epochs: 8,
      batchSize: 16,
      store: byLoss.store,
      validation,
      resume: openRun(byLoss.store.directory).loadCheckpoint(0),
    });
    const all = [...losses, ...resumed.history.map((entry) => entry.validation?.loss as number)];
    const best = all.indexOf(Math.min(...all)) + 1;
    expect(openRun(byLoss.store.directory).checkpointEpochs(0)).toEqual([...new Set([best, 8])].sort((a, b) => a - b));
  });

  it('stops on an abort signal after the current batch, without checkpointing the partial epoch', async () => {
    const { train } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    const controller = new AbortController();
    const store = createRunStore({ root, name: 'aborted' });
    const result = await trainFold({
      model: model(),
      train,
      epochs: 3,
      store,
      observers: [{ onBatchEnd: (info) => (info.epoch === 2 && info.batch === 1 ? controller.abort() : undefined) }],
      signal: controller.signal,
    });
    expect(result.interrupted).toBe(true);
    expect(result.epochsCompleted).toBe(1);
    expect(openRun(store.directory).checkpointEpochs(0)).toEqual([1]);
  });

  it("hands each observer's part of the commit back on resume, and reports how training starts and ends", async () => {
    const { train } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    const store = createRunStore({ root, name: 'observer-commits' });
    const heard: unknown[] = [];
    const recorder = (): TrainingObserver => {
      let batches = 0;
      return {
        onTrainingStart: (info) => void heard.push(['start', info]),
        onBatchEnd: () => void batches++,
        checkpointState: ({ epoch }) => ({ epoch, batches }),
        onTrainingEnd: ({ status }) => void heard.push(['end', status]),
      };
    };
    const controller = new AbortController();
    const stopper: TrainingObserver = { onBatchEnd: (info) => (info.epoch === 2 && info.batch === 2 ? controller.abort() : undefined) };
    const settings = { train, epochs: 2, batchSize: 40, fold: 0, store };
    await trainFold({ ...settings, model: model(), observers: [{}, recorder(), stopper], signal: controller.signal });
    // the observer without the hook holds its place
    expect(openRun(store.directory).loadCheckpoint(0).state.observers).toEqual([null, { epoch: 1, batches: 3 }, null]);
    await trainFold({ ...settings, model: model(), observers: [{}, recorder()], resume: openRun(store.directory).loadCheckpoint(0) });
    const failing: TrainingObserver = {
      onEpochEnd: () => {
        throw new Error('disk full');
      },
    };
    await expect(trainFold({ ...settings, model: model(), observers: [recorder(), failing] })).rejects.toThrow('disk full');
    expect(heard).toEqual([
      ['start', { fold: 0, epoch: 0 }],
      ['end', 'stopped'],
      ['start', { fold: 0, epoch: 1, state: { epoch: 1, batches: 3 } }],
      ['end', 'success'],
      ['start', { fold: 0, epoch: 0 }],
      ['end', 'failure'],
    ]);
  });

  it('trains a CNN with batch norm on wasm (the training kernels supply Conv2DBackpropFilter)', async () => {
    const images = learnableDataset({ name: 'images', tasks, count: 48, frames: 8, bins: 8, seed: 9 });
    const { train } = createTrainingSets({ datasets: [images], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    const cnn = createMultiTaskCnn({
      inputShape: [8, 8],
      tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      filters: [4, 8],
      denseUnits: 8,
      batchNorm: true,
      seed: 2,
    });
    const result = await trainFold({ model: cnn, train, epochs: 4, batchSize: 12, optimizer: { name: 'adam', learningRate: 0.01 } });
    expect(result.history.at(-1)?.train.loss).toBeLessThan(result.history[0]?.train.loss as number);
  });

  it('trains a single-task baseline with the same model: only that task learns and is reported', async () => {
    const { train, test } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25, seed: 1 } }).fold(0);
    const baseline = await trainFold({
      model: model(),
      train,
      test,
      epochs: 6,
      batchSize: 16,
      optimizer: { name: 'adam', learningRate: 0.01 },
      tasks: ['keyword'],
    });
    const last = baseline.history.at(-1);
    expect(last?.test?.tasks.map((task) => task.task)).toEqual(['keyword']);
    expect(last?.test?.tasks[0]?.accuracy).toBeGreaterThan(0.7);
    await expect(trainFold({ model: model(), train, epochs: 1, tasks: ['gender'] })).rejects.toThrow(/No task "gender" to train/);
  });

  it("evaluates windowed examples per recording (mean of the windows' probabilities)", async () => {
    const clips = learnableDataset({ name: 'clips', tasks, count: 40, frames: 8, bins: 8, seed: 12 });
    const { train, test } = createTrainingSets({
      datasets: [clips],
      split: { kind: 'ratio', testFraction: 0.25, seed: 3 },
      preparation: { windows: { length: 4, hop: 2 } },
    }).fold(0);
    expect(test.size).toBe(10 * 3);
    const windowModel = createMultiTaskDnn({
      inputShape: [4, 8],
      tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      hiddenUnits: [8],
      seed: 1,
    });
    const result = await trainFold({ model: windowModel, train, test, epochs: 2, batchSize: 16 });
    // metrics count recordings (10), not windows (30)
    expect(result.history.at(-1)?.test?.tasks.map((task) => task.examples)).toEqual([10, 10]);
    expect(result.history.at(-1)?.train.tasks[0]?.examples).toBe(30 * 3);
  });

  it('frees what a fold creates: optimizer state, combiner variables, best weights', async () => {
    const images = learnableDataset({ name: 'images', tasks, count: 24, frames: 8, bins: 8, seed: 10 });
    const { train, test } = createTrainingSets({ datasets: [images], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    const cnn = createMultiTaskCnn({
      inputShape: [8, 8],
      tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      filters: [4],
      denseUnits: 4,
      batchNorm: true,
    });
    const options = {
      model: cnn,
      train,
      test,
      epochs: 2,
      batchSize: 6,
      lossCombiner: { kind: 'uncertainty' as const },
      earlyStopping: { metric: 'loss', patience: 3, restoreBestWeights: true },
    };
    await trainFold(options);
    const before = tf.memory().numTensors;
    await trainFold(options);
    await trainFold({ ...options, epochs: 1 });
    expect(tf.memory().numTensors).toBe(before);
    // an optimizer instance passed in stays usable
    const optimizer = tf.train.adam(0.01);
    await trainFold({ ...options, optimizer });
    expect(optimizer.getConfig()).toMatchObject({ learningRate: 0.01 });
    expect((await optimizer.getWeights()).length).toBeGreaterThan(0);
    optimizer.dispose();
  });

  it('refuses a model that does not fit the tasks', async () => {
    const { train } = createTrainingSets({ datasets: [pool], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    const wrong = createMultiTaskDnn({
      inputShape: [4, 8],
      tasks: [{ name: 'keyword', kind: 'multi-class', outputSize: 3 }],
      hiddenUnits: [4],
    });
    await expect(trainFold({ model: wrong, train, epochs: 1 })).rejects.toThrow(/1 outputs but there are 2 tasks/);
  });
});

describe('trainFold with a regression task', () => {
  // one dataset with a multi-class task, one with a regression task (targets 10 + 5u, far from standard scale) and a binary one
  const words = learnableDataset({ name: 'words', tasks: [keyword], count: 120, seed: 3 });
  const levels = learnableDataset({ name: 'levels', tasks: [loudness, speaker], count: 120, seed: 4 });
  const heads = [keyword, loudness, speaker].map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const model = () => createMultiTaskDnn({ inputShape: [4, 8], tasks: heads, hiddenUnits: [16], seed: 5 });
  const parts = () =>
    createTrainingSets({ datasets: [words, levels], split: { kind: 'ratio', testFraction: 0.25, seed: 1 }, audit: false }).fold(0);

  it('learns the regression task next to the classification tasks, with metrics in the targets own units', async () => {
    const { train, test } = parts();
    const result = await trainFold({
      model: model(),
      train,
      test,
      epochs: 15,
      batchSize: 16,
      optimizer: { name: 'adam', learningRate: 0.01 },
    });
    const last = result.history.at(-1)?.test;
    const level = last?.tasks.find((task) => task.task === 'loudness');
    expect(level?.r2).toBeGreaterThan(0.5);
    // errors in target units, below the 1.25 of always predicting the mean (scaled outputs left unscaled would be off by about 12.5)
    expect(level?.meanAbsoluteError).toBeLessThan(0.9);
    expect(level?.perOutput).toHaveLength(2);
    expect(last?.tasks.find((task) => task.task === 'keyword')?.accuracy).toBeGreaterThan(0.8);
    // the scaler is fitted on the training part's targets (10 + 5u: mean near 12.5, deviation near 5 / sqrt(12))
    const scaling = result.targetScaler?.tasks.loudness;
    expect(scaling?.mean[0]).toBeGreaterThan(11.5);
    expect(scaling?.mean[0]).toBeLessThan(13.5);
    expect(scaling?.scale[0]).toBeGreaterThan(1.1);
    expect(scaling?.scale[0]).toBeLessThan(1.8);
  });

  it('trains on scaled targets unless told not to (the first epoch loss shows the scale)', async () => {
    const { train } = parts();
    const loss = async (targetScaling: 'standard' | 'none') => {
      const result = await trainFold({ model: model(), train, epochs: 1, batchSize: 16, targetScaling });
      return result.history[0]?.train.tasks.find((task) => task.task === 'loudness')?.loss as number;
    };
    // MSE of near-zero outputs: about 1 on standard-scaled targets, about 12.5² on raw ones
    expect(await loss('standard')).toBeLessThan(3);
    expect(await loss('none')).toBeGreaterThan(50);
  });

  it('keeps the scaler in the checkpoint and resumes exactly: 2 epochs + 2 equals 4', async () => {
    const { train, test } = parts();
    const straight = model();
    const uninterrupted = await trainFold({
      model: straight,
      train,
      test,
      epochs: 4,
      batchSize: 16,
      seed: 7,
      lossCombiner: { kind: 'uncertainty' },
    });
    const store = createRunStore({ root, name: 'resume-regression' });
    await trainFold({ model: model(), train, test, epochs: 2, batchSize: 16, seed: 7, store, lossCombiner: { kind: 'uncertainty' } });
    const checkpoint = openRun(store.directory).loadCheckpoint(0);
    expect((checkpoint.state as { targetScaler?: unknown }).targetScaler).toEqual(uninterrupted.targetScaler);
    const resumedModel = model();
    const resumed = await trainFold({
      model: resumedModel,
      train,
      test,
      epochs: 4,
      batchSize: 16,
      seed: 7,
      store,
      resume: checkpoint,
      lossCombiner: { kind: 'uncertainty' },
    });
    expect(resumed.history.at(-1)?.test?.tasks).toEqual(
      uninterrupted.history.at(-1)?.test?.tasks.map((task) => expect.objectContaining({ task: task.task })),
    );
    const r2 = (history: typeof resumed.history) => history.at(-1)?.test?.tasks.find((task) => task.task === 'loudness')?.r2 as number;
    expect(Math.abs(r2(resumed.history) - r2(uninterrupted.history))).toBeLessThan(1e-4);
    straight.weights.forEach((weight, index) => {
      const expected = weight.read().dataSync();
      const actual = resumedModel.weights[index]?.read().dataSync() as Float32Array;
      for (let position = 0; position < expected.length; position++)
        expect(Math.abs((actual[position] as number) - (expected[position] as number))).toBeLessThan(1e-5);
    });
  });
});
