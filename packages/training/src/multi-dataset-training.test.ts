/**
 * The core case: several datasets whose tasks differ in kind and head size, trained into one
 * model with every optimizer, combiner, sampler and early-stopping mode, on cpu and wasm.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@polytask/core';
import { createMultiTaskDnn } from '@polytask/models';
import { createRunStore, openRun } from '@polytask/results';
import { createTask } from '@polytask/task-dataset';
import {
  type BatchSamplerFactory,
  type CombinedSet,
  combineDatasets,
  createBatchSampler,
  type SamplingStrategy,
} from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { EarlyStoppingSpec } from './early-stopping';
import type { LossCombinerFactory, LossCombinerSpec } from './loss-combiners';
import type { OptimizerSpec } from './optimizer';
import { selectBackend } from './select-backend';
import { registerTensorLoss } from './task-losses';
import { events, keyword, learnableDataset, speaker } from './test-support';
import { type TrainFoldOptions, trainFold } from './train-fold';
import { VariableKeyedOptimizer } from './variable-keyed-optimizer';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-multi-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let customLossCalls = 0;
registerTensorLoss('test-squared-error', ({ probabilities, targets }) => {
  customLossCalls++;
  return tf.mean(tf.squaredDifference(probabilities, targets), 1) as tf.Tensor1D;
});
/** A five-class task with its own (squared-error) loss, given through createTask. */
const mood = createTask({
  name: 'mood',
  kind: 'multi-class',
  labels: ['calm', 'happy', 'sad', 'angry', 'tense'],
  loss: { name: 'test-squared-error', compute: () => 0 },
});

/** Three datasets: keyword (3 classes); speaker (binary) + events (2 labels); mood (5 classes, custom loss) + speaker. */
function corpora(count: number, seed: number) {
  return [
    learnableDataset({ name: 'words', tasks: [keyword], count, seed }),
    learnableDataset({ name: 'voices', tasks: [speaker, events], count, seed: seed + 1 }),
    learnableDataset({ name: 'moods', tasks: [mood, speaker], count: Math.round(count * 0.75), seed: seed + 2 }),
  ];
}
const trainSet = combineDatasets(corpora(24, 1));
const validationSet = combineDatasets(corpora(8, 50));
const testSet = combineDatasets(corpora(8, 90));

const model = (seed = 3) =>
  createMultiTaskDnn({
    inputShape: [4, 8],
    tasks: trainSet.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
    hiddenUnits: [12],
    seed,
  });

const optimizers: OptimizerSpec[] = [
  { name: 'adam', learningRate: 0.01 },
  { name: 'adamw', learningRate: 0.01, weightDecay: 0.05 },
  { name: 'sgd', learningRate: 0.1 },
  { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
  { name: 'rmsprop', learningRate: 0.005, momentum: 0.5 },
];
const combiners: LossCombinerSpec[] = [
  { kind: 'sum' },
  { kind: 'weighted', weights: { keyword: 2, events: 0.5 } },
  { kind: 'uncertainty' },
  { kind: 'dynamic-weight-average' },
  { kind: 'gradnorm' },
  { kind: 'pcgrad' },
];
const samplers: SamplingStrategy[] = ['per-dataset', 'random', 'balanced', 'label-balanced', 'every-dataset'];
const stopping: (EarlyStoppingSpec | undefined)[] = [
  undefined,
  { metric: 'loss', patience: 1 },
  { mode: 'per-task', metric: 'loss', patience: 1, restoreBestWeights: false },
];
const needsEveryTask = (combiner: LossCombinerSpec) => combiner.kind === 'gradnorm' || combiner.kind === 'pcgrad';

/** Weights per model variable, by stable name. */
const snapshot = (network: ReturnType<typeof model>) =>
  Object.fromEntries(network.weights.map((weight) => [weight.originalName, Array.from(weight.read().dataSync())]));

function expectFinite(result: Awaited<ReturnType<typeof trainFold>>): void {
  for (const entry of result.history) {
    expect(Number.isFinite(entry.train.loss)).toBe(true);
    for (const record of [entry.validation, entry.test])
      for (const task of record?.tasks ?? []) expect(Number.isFinite(task.loss)).toBe(true);
  }
}

describe.each(['cpu', 'wasm'] as const)('multi-dataset training on %s', (backend) => {
  const use = async () => {
    if (backend === 'wasm') await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
    else await tf.setBackend('cpu');
  };

  // every optimizer x every combiner, samplers and stopping modes rotated through
  const cases = optimizers.flatMap((optimizer, optimizerIndex) =>
    combiners.map((combiner, combinerIndex) => {
      const sampling = samplers[(optimizerIndex + combinerIndex) % samplers.length] as SamplingStrategy;
      const earlyStopping = stopping[(optimizerIndex + 2 * combinerIndex) % stopping.length];
      return [
        `${optimizer.name}${'momentum' in optimizer ? '+momentum' : ''} x ${combiner.kind} x ${sampling} x ${earlyStopping?.mode ?? (earlyStopping ? 'global' : 'no')} stopping`,
        { optimizer, combiner, sampling, earlyStopping },
      ] as const;
    }),
  );

  it.each(cases)('%s', async (_, { optimizer, combiner, sampling, earlyStopping }) => {
    await use();
    const options: TrainFoldOptions = {
      model: model(),
      train: trainSet,
      validation: validationSet,
      test: testSet,
      epochs: 2,
      batchSize: 8,
      sampling,
      optimizer: new VariableKeyedOptimizer({ rule: 'adam', learningRate: 0.01 }),
      lossCombiner: combiner,
      ...(earlyStopping ? { earlyStopping } : {}),
    };
    const keyed = (await import('./optimizer')).createTrainingOptimizer(optimizer).optimizer as VariableKeyedOptimizer;
    if (needsEveryTask(combiner) && sampling !== 'every-dataset') {
      // a combiner that needs every task in each step, with a sampler that cannot give it
      const error = await trainFold({ ...options, optimizer: keyed }).catch((caught: unknown) => caught);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(combiner.kind);
      expect((error as Error).message).toContain(sampling);
      // the default sampler for it feeds every task, and trains
      const { sampling: __, ...withDefault } = options;
      expectFinite(await trainFold({ ...withDefault, optimizer: keyed }));
    } else {
      const before = customLossCalls;
      const result = await trainFold({ ...options, optimizer: keyed });
      expectFinite(result);
      expect(customLossCalls).toBeGreaterThan(before);
      expect(result.history.at(-1)?.validation?.split).toBe('validation');
    }
    // the optimizer's state is per variable: every trainable variable that trained has its own slots
    const variables = options.model.trainableWeights.map((weight) => (weight.read() as tf.Variable).name);
    const stateNames = keyed.variablesWithState();
    expect(new Set(stateNames).size).toBe(stateNames.length);
    for (const name of variables) expect(stateNames).toContain(name);
    for (const weight of await keyed.getWeights()) {
      const variable = weight.name.slice(0, weight.name.lastIndexOf('/'));
      // (the combiner's own variables are freed with the fold)
      if (variables.includes(variable) && !weight.name.endsWith('/step'))
        expect(weight.tensor.shape).toEqual(tf.engine().registeredVariables[variable]?.shape);
    }
    keyed.dispose();
    options.model.dispose();
  });

  it.each(optimizers.map((optimizer) => [`${optimizer.name}${'momentum' in optimizer ? '+momentum' : ''}`, optimizer] as const))(
    '%s: resumed from a mid-run checkpoint equals the uninterrupted run (uncertainty combiner, every-dataset sampler)',
    async (name, optimizer) => {
      await use();
      const settings = {
        train: trainSet,
        validation: validationSet,
        batchSize: 8,
        seed: 4,
        optimizer,
        lossCombiner: { kind: 'uncertainty' } as const,
        sampling: 'every-dataset' as const,
        earlyStopping: { mode: 'per-task' as const, metric: 'loss', patience: 2, restoreBestWeights: false },
      };
      const straight = model();
      await trainFold({ ...settings, model: straight, epochs: 4 });
      const store = createRunStore({ root, name: `resume-${backend}-${name.replace('+', '-')}` });
      const first = model();
      await trainFold({ ...settings, model: first, epochs: 2, store });
      // a process that built other models first: its variables have other names
      const other = model(9);
      const resumedModel = model();
      await trainFold({ ...settings, model: resumedModel, epochs: 4, store, resume: openRun(store.directory).loadCheckpoint(0) });
      const [expected, actual] = [snapshot(straight), snapshot(resumedModel)];
      for (const [weight, values] of Object.entries(expected))
        for (const [index, value] of values.entries()) expect(Math.abs((actual[weight]?.[index] as number) - value)).toBeLessThan(1e-5);
      for (const network of [straight, first, other, resumedModel]) network.dispose();
    },
  );
});

describe('multi-dataset training', () => {
  it.each(combiners.map((combiner) => [combiner.kind, combiner] as const))(
    '%s: its state (loss history, weights, random position) resumes exactly, and an early stop stays a stop',
    async (kind, lossCombiner) => {
      await tf.setBackend('cpu');
      const settings = {
        train: trainSet,
        validation: validationSet,
        batchSize: 8,
        seed: 2,
        optimizer: { name: 'adam', learningRate: 0.02 } as const,
        lossCombiner,
        sampling: 'every-dataset' as const,
      };
      const straight = model();
      await trainFold({ ...settings, model: straight, epochs: 4 });
      const store = createRunStore({ root, name: `combiner-${kind}` });
      await trainFold({ ...settings, model: model(), epochs: 2, store });
      const resumedModel = model();
      await trainFold({ ...settings, model: resumedModel, epochs: 4, store, resume: openRun(store.directory).loadCheckpoint(0) });
      expect(snapshot(resumedModel)).toEqual(snapshot(straight));
      // stopped early at epoch 2 (patience 1 on a metric that cannot improve), a resume trains no further
      const stopping = { ...settings, earlyStopping: { metric: 'loss', patience: 1, minDelta: 1e9 } };
      const stoppedStore = createRunStore({ root, name: `stopped-${kind}` });
      const stopped = await trainFold({ ...stopping, model: model(), epochs: 6, store: stoppedStore });
      expect(stopped.stoppedEarly).toBe(true);
      const again = await trainFold({
        ...stopping,
        model: model(),
        epochs: 6,
        store: stoppedStore,
        resume: openRun(stoppedStore.directory).loadCheckpoint(0),
      });
      expect(again.history).toEqual([]);
      expect(again.stoppedEarly).toBe(true);
      expect(again.epochsCompleted).toBe(stopped.epochsCompleted);
    },
  );

  it('learns every task above chance with the defaults (Adam, sum, per-dataset) and with PCGrad', async () => {
    await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
    const train = combineDatasets(corpora(120, 7));
    const test = combineDatasets(corpora(40, 70));
    for (const lossCombiner of [{ kind: 'sum' }, { kind: 'pcgrad' }] as const) {
      const network = model();
      const result = await trainFold({
        model: network,
        train,
        test,
        epochs: 12,
        batchSize: 16,
        optimizer: { name: 'adam', learningRate: 0.01 },
        lossCombiner,
      });
      const last = result.history.at(-1)?.test;
      const metric = (task: string) => {
        const metrics = last?.tasks.find((entry) => entry.task === task);
        return metrics?.kind === 'multi-label' ? metrics.macro?.f1 : (metrics?.accuracy ?? 0);
      };
      // chance: keyword 1/3, speaker 1/2, events (one of two labels each) macro F1 ~0.5, mood 1/5
      expect(metric('keyword')).toBeGreaterThan(0.7);
      expect(metric('speaker')).toBeGreaterThan(0.75);
      expect(metric('events')).toBeGreaterThan(0.65);
      expect(metric('mood')).toBeGreaterThan(0.5);
      network.dispose();
    }
  });

  it('takes a loss combiner and a sampler of your own; a sampler that starves a gradient combiner is a ConfigError', async () => {
    await tf.setBackend('cpu');
    const seen: string[][] = [];
    // the geometric-mean loss (Chennupati et al. 2019): Σ log L_i over the tasks present
    const geometric: LossCombinerFactory = (tasks) => ({
      kind: 'geometric',
      variables: [],
      weights: () => Object.fromEntries(tasks.map((task) => [task, 1])),
      combine: (losses) => {
        seen.push([...losses.keys()]);
        return tf.tidy(() => tf.addN([...losses.values()].map((loss) => tf.log(tf.add(loss, 1e-7)))) as tf.Scalar);
      },
    });
    // round robin over the datasets, one dataset per batch
    const roundRobin: BatchSamplerFactory = ({ set, batchSize, seed }) => {
      const inner = createBatchSampler({ set, batchSize, seed, strategy: 'per-dataset' });
      return { ...inner, strategy: 'round-robin' };
    };
    const result = await trainFold({
      model: model(),
      train: trainSet,
      epochs: 2,
      batchSize: 8,
      lossCombiner: geometric,
      sampling: roundRobin,
    });
    expectFinite(result);
    expect(seen.some((tasks) => tasks.includes('mood') && !tasks.includes('keyword'))).toBe(true);
    const error = await trainFold({
      model: model(),
      train: trainSet,
      epochs: 1,
      batchSize: 8,
      lossCombiner: { kind: 'pcgrad' },
      sampling: roundRobin,
    }).catch((caught: unknown) => caught);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/pcgrad loss combiner .* round-robin sampler/);
  });

  it('never reads the test part to choose: early stopping and the best epoch are the same whatever the test set', async () => {
    await tf.setBackend('cpu');
    const runWith = async (test: CombinedSet) => {
      const network = model();
      const result = await trainFold({
        model: network,
        train: trainSet,
        validation: validationSet,
        test,
        epochs: 6,
        batchSize: 8,
        optimizer: { name: 'adam', learningRate: 0.05 },
        earlyStopping: { metric: 'loss', patience: 2, restoreBestWeights: true },
      });
      const weights = snapshot(network);
      network.dispose();
      return { bestEpoch: result.bestEpoch, epochs: result.epochsCompleted, weights, test: result.history.at(-1)?.test?.loss };
    };
    const a = await runWith(testSet);
    // a test part with other examples (and so other metrics) changes nothing that was chosen
    const b = await runWith(combineDatasets(corpora(8, 400)));
    expect(a.test).not.toEqual(b.test);
    expect(b.bestEpoch).toBe(a.bestEpoch);
    expect(b.epochs).toBe(a.epochs);
    expect(b.weights).toEqual(a.weights);
  });

  it('per-task early stopping freezes a task and goes on training the others', async () => {
    await tf.setBackend('cpu');
    const network = model();
    const states: Record<string, number[]>[] = [];
    const result = await trainFold({
      model: network,
      train: trainSet,
      validation: validationSet,
      epochs: 8,
      batchSize: 8,
      optimizer: { name: 'sgd', learningRate: 0.05 },
      // no patience: a task freezes after its first epoch whose validation F1 does not improve
      earlyStopping: { mode: 'per-task', metric: 'macro.f1', patience: 1, restoreBestWeights: false },
      observers: [{ onEpochEnd: () => void states.push(snapshot(network)) }],
    });
    // when each task froze, replayed from the validation records
    const frozenAfter = new Map<string, number>();
    const best = new Map<string, number>();
    result.history.forEach((entry, index) => {
      for (const task of entry.validation?.tasks ?? []) {
        if (frozenAfter.has(task.task)) continue;
        const previous = best.get(task.task);
        if (previous !== undefined && !((task.macro?.f1 ?? 0) > previous)) frozenAfter.set(task.task, index);
        else best.set(task.task, task.macro?.f1 ?? 0);
      }
    });
    expect(frozenAfter.size).toBeGreaterThan(0);
    let liveMoved = false;
    for (const { task } of trainSet.tasks) {
      const head = `head_${task.name}/kernel`;
      const frozenAt = frozenAfter.get(task.name);
      for (let epoch = 1; epoch < states.length; epoch++) {
        const moved = JSON.stringify(states[epoch]?.[head]) !== JSON.stringify(states[epoch - 1]?.[head]);
        // a frozen head never moves again; live ones keep training
        if (frozenAt !== undefined && epoch > frozenAt) expect(moved, `${task.name} moved in epoch ${epoch + 1}`).toBe(false);
        else if (moved && [...frozenAfter.values()].some((at) => epoch > at)) liveMoved = true;
      }
    }
    expect(liveMoved || result.stoppedEarly).toBe(true);
    network.dispose();
  });
});
