import '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { createMultiTaskDnn } from '@polytask/models';
import { createRunStore, openRun } from '@polytask/results';
import { createTrainingSets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLossCombiner, gradientCombinerKinds, type LossCombinerSpec, nashSubproblem, smallLinearProgramme } from './loss-combiners';
import { selectBackend } from './select-backend';
import { keyword, learnableDataset, speaker } from './test-support';
import { trainFold } from './train-fold';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-combiners-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

const losses = (values: Record<string, number>) => new Map(Object.entries(values).map(([task, value]) => [task, tf.scalar(value)]));

describe('loss combiners', () => {
  it('sum and fixed weights', () => {
    expect(
      createLossCombiner({ kind: 'sum' }, ['a', 'b'])
        .combine(losses({ a: 1, b: 2 }))
        .dataSync()[0],
    ).toBeCloseTo(3);
    expect(
      createLossCombiner({ kind: 'weighted', weights: { a: 0.5 } }, ['a', 'b'])
        .combine(losses({ a: 1, b: 2 }))
        .dataSync()[0],
    ).toBeCloseTo(2.5);
    expect(() => createLossCombiner({ kind: 'weighted', weights: { c: 1 } }, ['a', 'b'])).toThrow(/"c", which is not a task/);
  });

  it('uncertainty weighting gives the noisier task the lower weight (Kendall et al.)', async () => {
    // "speaker" labels are random: its loss stays high, so its learned variance grows
    const tasks = [keyword, speaker];
    const noisy = learnableDataset({ name: 'noisy', tasks, count: 200, seed: 4, noisyTask: 'speaker' });
    const { train } = createTrainingSets({ datasets: [noisy], split: { kind: 'ratio', testFraction: 0.2 } }).fold(0);
    const model = createMultiTaskDnn({
      inputShape: [4, 8],
      tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      hiddenUnits: [16],
      seed: 2,
    });
    const result = await trainFold({
      model,
      train,
      epochs: 25,
      batchSize: 32,
      lossCombiner: { kind: 'uncertainty' },
      optimizer: { name: 'adam', learningRate: 0.02 },
    });
    expect(result.epochsCompleted).toBe(25);
    const trainLoss = Object.fromEntries(result.history.at(-1)?.train.tasks.map((task) => [task.task, task.loss as number]) ?? []);
    expect(trainLoss.speaker).toBeGreaterThan(trainLoss.keyword as number);
    expect(result.lossWeights.speaker).toBeLessThan(result.lossWeights.keyword as number);
  });

  it('uncertainty variables move toward log of each task loss', () => {
    const combiner = createLossCombiner({ kind: 'uncertainty' }, ['clean', 'noisy']);
    const optimizer = tf.train.sgd(0.1);
    for (let step = 0; step < 300; step++) {
      optimizer.minimize(() => combiner.combine(losses({ clean: 0.1, noisy: 2 })), false, [...combiner.variables]);
    }
    const weights = combiner.weights();
    expect(weights.noisy).toBeLessThan(weights.clean as number);
    expect(weights.clean).toBeCloseTo(1 / 0.1, 0);
    expect(weights.noisy).toBeCloseTo(1 / 2, 1);
  });

  it('uncertainty weighting uses the regression form ½·exp(−s)·L + ½·s for regression tasks', () => {
    const combiner = createLossCombiner({ kind: 'uncertainty' }, ['label', 'level'], { regressionTasks: ['level'] });
    // s = 0: classification 1·L + 0, regression ½·L + 0
    expect(combiner.combine(losses({ label: 2, level: 2 })).dataSync()[0]).toBeCloseTo(3, 5);
    for (const variable of combiner.variables) variable.assign(tf.scalar(Math.log(2)));
    // s = log 2: classification L/2 + log 2, regression L/4 + ½·log 2
    expect(combiner.combine(losses({ label: 2, level: 2 })).dataSync()[0]).toBeCloseTo(1 + Math.log(2) + 0.5 + 0.5 * Math.log(2), 5);
    expect(combiner.weights()).toEqual({ label: expect.closeTo(0.5, 5), level: expect.closeTo(0.25, 5) });
    // the optimum of ½·exp(−s)·L + ½·s is also s = log L: the weight 1/(2σ²) tends to 1/(2L)
    const optimizer = tf.train.sgd(0.1);
    for (let step = 0; step < 300; step++)
      optimizer.minimize(() => combiner.combine(losses({ label: 0.5, level: 0.5 })), false, [...combiner.variables]);
    expect(combiner.weights().level).toBeCloseTo(1, 1);
    expect(combiner.weights().label).toBeCloseTo(2, 1);
  });

  it('dynamic weight average raises the weight of the task whose loss fell least', () => {
    const combiner = createLossCombiner({ kind: 'dynamic-weight-average', temperature: 1 }, ['fast', 'slow']);
    combiner.onEpochEnd?.({ fast: 1, slow: 1 });
    expect(combiner.weights()).toEqual({ fast: 1, slow: 1 });
    combiner.onEpochEnd?.({ fast: 0.5, slow: 0.95 });
    const weights = combiner.weights();
    expect(weights.slow).toBeGreaterThan(weights.fast as number);
    expect((weights.slow as number) + (weights.fast as number)).toBeCloseTo(2, 10);
  });

  it('PCGrad projects conflicting gradients off each other (Yu et al.)', () => {
    const combiner = createLossCombiner({ kind: 'pcgrad' }, ['a', 'b']);
    const merged = combiner.perTaskGradients?.merge(
      new Map([
        ['a', { w: tf.tensor1d([1, 0]) }],
        ['b', { w: tf.tensor1d([-1, 1]) }],
      ]),
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
      ['w'],
    );
    // a' = a - (a·b/|b|²) b = [0.5, 0.5]; b' = b - (b·a/|a|²) a = [0, 1]
    expect(Array.from(merged?.w?.dataSync() ?? [])).toEqual([0.5, 1.5]);
    const agreeing = combiner.perTaskGradients?.merge(
      new Map([
        ['a', { w: tf.tensor1d([1, 2]) }],
        ['b', { w: tf.tensor1d([3, 1]) }],
      ]),
      new Map(),
      ['w'],
    );
    expect(Array.from(agreeing?.w?.dataSync() ?? [])).toEqual([4, 3]);
  });

  it("MGDA takes the min-norm point of the gradients' convex hull (Sener and Koltun), Aligned-MTL balances them", () => {
    const gradients = () =>
      new Map([
        ['a', { w: tf.tensor1d([2, 0]) }],
        ['b', { w: tf.tensor1d([0, 1]) }],
      ]);
    const ones = new Map([
      ['a', 1],
      ['b', 1],
    ]);
    // min over γ of |γ·[2, 0] + (1 − γ)·[0, 1]|: γ = 1/5, the point [0.4, 0.8]
    const mgda = createLossCombiner({ kind: 'mgda' }, ['a', 'b']);
    const merged = mgda.perTaskGradients?.merge(gradients(), ones, ['w']);
    expect(mgda.weights()).toEqual({ a: expect.closeTo(0.2, 6), b: expect.closeTo(0.8, 6) });
    expect(Array.from(merged?.w?.dataSync() ?? [])).toEqual([expect.closeTo(0.4, 6), expect.closeTo(0.8, 6)]);
    // l2: both unit vectors, the midpoint
    const normalized = createLossCombiner({ kind: 'mgda', gradientNormalization: 'l2' }, ['a', 'b']);
    normalized.perTaskGradients?.merge(gradients(), ones, ['w']);
    expect(normalized.weights()).toEqual({ a: expect.closeTo(0.5, 6), b: expect.closeTo(0.5, 6) });
    // orthogonal gradients: Gram diag(4, 1), α_i = sqrt(λ_min)/‖g_i‖, so every α_i·g_i has the smallest norm
    const aligned = createLossCombiner({ kind: 'aligned-mtl' }, ['a', 'b']);
    const balanced = aligned.perTaskGradients?.merge(gradients(), ones, ['w']);
    expect(aligned.weights()).toEqual({ a: expect.closeTo(0.5, 6), b: expect.closeTo(1, 6) });
    expect(Array.from(balanced?.w?.dataSync() ?? [])).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)]);
    expect(() => createLossCombiner({ kind: 'mgda', gradientNormalization: 'l1' as 'l2' }, ['a'])).toThrow(
      /gradientNormalization must be none, l2, loss or loss\+/,
    );
    expect(() => createLossCombiner({ kind: 'nash' } as unknown as LossCombinerSpec, ['a'])).toThrow(
      /imtl, cagrad, gradvac, graddrop, mgda, mgda-ub, aligned-mtl or nash-mtl/,
    );
  });

  it('Nash-MTL reaches the bargaining solution G·α = 1/α, gives up where its convex problem has none, and checks its options', () => {
    // orthogonal gradients of norms 2 and 1: α_i·‖g_i‖² = 1/α_i, so α = (1/2, 1), and ‖Σ α_i·g_i‖ = √2 clipped to 1
    const nash = createLossCombiner({ kind: 'nash-mtl', optimizationIterations: 50 }, ['a', 'b']);
    const merged = nash.perTaskGradients?.merge(
      new Map([
        ['a', { w: tf.tensor1d([2, 0]) }],
        ['b', { w: tf.tensor1d([0, 1]) }],
      ]),
      new Map(),
      ['w'],
    );
    expect(nash.weights()).toEqual({ a: expect.closeTo(0.5, 3), b: expect.closeTo(1, 3) });
    expect(Array.from(merged?.w?.dataSync() ?? [])).toEqual([expect.closeTo(Math.SQRT1_2, 3), expect.closeTo(Math.SQRT1_2, 3)]);
    // each convex problem: its solution is feasible, with the constraints active (α_i·(G·α)_i·scale = 1)
    const gram = [
      [1, 0.3],
      [0.3, 0.5],
    ];
    const solution = nashSubproblem(gram, 2, [1, 1]) as number[];
    for (const [i, row] of gram.entries())
      expect(
        (solution[i] as number) * ((row[0] as number) * (solution[0] as number) + (row[1] as number) * (solution[1] as number)) * 2,
      ).toBeCloseTo(1, 8);
    // three gradients at 120° in a plane sum to zero: no α ≥ 0 makes every g_i·Σα_j·g_j positive
    const spread = [
      [1, -0.5, -0.5],
      [-0.5, 1, -0.5],
      [-0.5, -0.5, 1],
    ];
    expect(nashSubproblem(spread, 1, [1, 1, 1])).toBeUndefined();
    for (const options of [{ updateWeightsEvery: 0 }, { optimizationIterations: 1.5 }, { maxNorm: -1 }])
      expect(() => createLossCombiner({ kind: 'nash-mtl', ...options }, ['a'])).toThrow(InvalidArgumentError);
  });

  it('lists as gradient combiners exactly the built-ins that take per-task or representation gradients', () => {
    const specs: LossCombinerSpec[] = [
      { kind: 'sum' },
      { kind: 'weighted', weights: {} },
      { kind: 'uncertainty' },
      { kind: 'dynamic-weight-average' },
      ...gradientCombinerKinds.map((kind) => ({ kind }) as LossCombinerSpec),
      { kind: 'random-loss-weighting' },
      { kind: 'famo' },
    ];
    for (const spec of specs) {
      const combiner = createLossCombiner(spec, ['a', 'b']);
      const takesGradients = combiner.perTaskGradients !== undefined || combiner.representationGradients !== undefined;
      expect(takesGradients, spec.kind).toBe(gradientCombinerKinds.includes(spec.kind));
      tf.dispose([...combiner.variables]);
    }
  });

  it('solves small linear programmes exactly: optimum, unbounded, infeasible', () => {
    // min −x − y subject to x + 2y + s = 4, 3x + y + t = 6, everything ≥ 0: optimum at (8/5, 6/5)
    const optimum = smallLinearProgramme({
      cost: [-1, -1, 0, 0],
      equalities: [
        [1, 2, 1, 0],
        [3, 1, 0, 1],
      ],
      right: [4, 6],
    });
    expect(optimum?.x.map((value) => Number(value.toFixed(12)))).toEqual([1.6, 1.2, 0, 0]);
    expect(optimum?.value).toBeCloseTo(-2.8, 12);
    expect(smallLinearProgramme({ cost: [-1, 0], equalities: [[1, -1]], right: [1] })?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(smallLinearProgramme({ cost: [1, 1], equalities: [[1, 1]], right: [-1] })).toBeUndefined();
  });

  it('GradNorm lowers the weight of the task with the larger gradient norm at equal training rates (Chen et al.)', () => {
    const combiner = createLossCombiner({ kind: 'gradnorm', alpha: 1.5, learningRate: 0.01 }, ['big', 'small']);
    const gradients = () =>
      new Map([
        ['big', { w: tf.tensor1d([10, 0]) }],
        ['small', { w: tf.tensor1d([0, 1]) }],
      ]);
    combiner.perTaskGradients?.merge(
      gradients(),
      new Map([
        ['big', 1],
        ['small', 1],
      ]),
      ['w'],
    );
    const merged = combiner.perTaskGradients?.merge(
      gradients(),
      new Map([
        ['big', 1],
        ['small', 1],
      ]),
      ['w'],
    );
    const weights = combiner.weights();
    expect(weights.big).toBeLessThan(1);
    expect(weights.small).toBeGreaterThan(1);
    expect((weights.big as number) + (weights.small as number)).toBeCloseTo(2, 10);
    expect(merged?.w?.dataSync()[0]).toBeCloseTo(10 * (weights.big as number), 4);
  });

  it('CAGrad with calpha 0 takes the mean gradient; GradDrop keeps agreeing signs, and with leak 1 everything', () => {
    const gradients = () =>
      new Map([
        ['a', { w: tf.tensor1d([1, -2, 3]), headA: tf.tensor1d([5]) }],
        ['b', { w: tf.tensor1d([3, -4, -1]), headB: tf.tensor1d([7]) }],
      ]);
    const none = new Map<string, number>();
    const values = (map: tf.NamedTensorMap | undefined, name: string) => Array.from(map?.[name]?.dataSync() ?? []);
    const mean = createLossCombiner({ kind: 'cagrad', calpha: 0 }, ['a', 'b']).perTaskGradients?.merge(gradients(), none, ['w']);
    expect(values(mean, 'w')).toEqual([2, -3, 1]);
    // task-specific variables take their plain gradients
    expect(values(mean, 'headA')).toEqual([5]);
    expect(values(mean, 'headB')).toEqual([7]);
    const drop = createLossCombiner({ kind: 'graddrop', seed: 4 }, ['a', 'b']).perTaskGradients?.merge(gradients(), none, ['w']);
    const dropped = values(drop, 'w');
    // purity 1 (both positive) or 0 (both negative): kept whole; the third element keeps one sign's share
    expect(dropped.slice(0, 2)).toEqual([4, -6]);
    expect([3, -1]).toContain(dropped[2]);
    const leaky = createLossCombiner({ kind: 'graddrop', leak: 1 }, ['a', 'b']).perTaskGradients?.merge(gradients(), none, ['w']);
    expect(values(leaky, 'w')).toEqual([4, -6, 2]);
  });

  it('GradVac per layer and per variable equals GradVac on each group alone (groupType 1 and 2)', () => {
    const layer = (task: number, step: number) =>
      Array.from({ length: 4 }, (_, index) => Math.sin(1.3 * index + 2.1 * task + 0.7 * step) * (index % 2 ? -1 : 1));
    const gradients = (step: number, names: readonly string[]) =>
      new Map(
        ['a', 'b', 'c'].map((task, t) => [
          task,
          Object.fromEntries(names.map((name, n) => [name, tf.tensor1d(layer(t + 3 * n, step))])) as tf.NamedTensorMap,
        ]),
      );
    const merged = (spec: LossCombinerSpec, names: readonly string[]) => {
      const combiner = createLossCombiner(spec, ['a', 'b', 'c']);
      let last: number[] = [];
      for (let step = 0; step < 3; step++) {
        const result = combiner.perTaskGradients?.merge(gradients(step, names), new Map(), names) ?? {};
        last = names.flatMap((name) => Array.from(result[name]?.dataSync() ?? []));
      }
      return last;
    };
    const names = ['one/kernel', 'one/bias', 'two/kernel'];
    // groups: per layer {one/kernel, one/bias} and {two/kernel}; per variable each alone
    // each group alone sees the same (seed, step) orders; its gradients are those of its variables
    const perLayer = merged({ kind: 'gradvac', seed: 2, groupType: 1 }, names);
    const perVariable = merged({ kind: 'gradvac', seed: 2, groupType: 2 }, names);
    const expectNear = (actual: number[], expected: number[]) => {
      expect(actual.length).toBe(expected.length);
      for (const [index, value] of actual.entries()) expect(value).toBeCloseTo(expected[index] as number, 5);
    };
    // a group alone: the same gradients, restricted to its variables
    const group = (members: readonly string[]) => {
      const combiner = createLossCombiner({ kind: 'gradvac', seed: 2 }, ['a', 'b', 'c']);
      let last: number[] = [];
      for (let step = 0; step < 3; step++) {
        const all = gradients(step, names);
        const only = new Map(
          [...all].map(([task, map]) => [task, Object.fromEntries(members.map((name) => [name, map[name] as tf.Tensor]))]),
        );
        const result = combiner.perTaskGradients?.merge(only, new Map(), members) ?? {};
        last = members.flatMap((name) => Array.from(result[name]?.dataSync() ?? []));
      }
      return last;
    };
    expectNear(perLayer, [...group(['one/kernel', 'one/bias']), ...group(['two/kernel'])]);
    expectNear(perVariable, [...group(['one/kernel']), ...group(['one/bias']), ...group(['two/kernel'])]);
    // whole model (0) differs: one cosine over all variables
    expect(merged({ kind: 'gradvac', seed: 2 }, names)).not.toEqual(perLayer);
  });

  it('CAGrad, GradVac and GradDrop reject bad options', () => {
    expect(() => createLossCombiner({ kind: 'cagrad', calpha: -1 }, ['a'])).toThrow(/calpha must be a finite number of at least 0/);
    expect(() => createLossCombiner({ kind: 'cagrad', rescale: 3 as 1 }, ['a'])).toThrow(/rescale must be 0, 1 or 2/);
    expect(() => createLossCombiner({ kind: 'gradvac', beta: 1.5 }, ['a'])).toThrow(/beta must be a number from 0 to 1/);
    expect(() => createLossCombiner({ kind: 'gradvac', groupType: 3 as 0 }, ['a'])).toThrow(/groupType must be 0/);
    expect(() => createLossCombiner({ kind: 'gradvac', seed: 0.5 }, ['a'])).toThrow(/seed must be an integer/);
    expect(() => createLossCombiner({ kind: 'graddrop', leak: 2 }, ['a'])).toThrow(/leak must be a number from 0 to 1/);
    expect(() =>
      createLossCombiner(
        { kind: 'cagrad' },
        Array.from({ length: 13 }, (_, index) => `t${index}`),
      ),
    ).toThrow(/at most 12 tasks/);
  });

  it('trains end to end with PCGrad, GradNorm, DB-MTL, IMTL, CAGrad, GradVac, GradDrop, MGDA, MGDA-UB, Aligned-MTL and Nash-MTL', async () => {
    const tasks = [keyword, speaker];
    const data = learnableDataset({ name: 'both', tasks, count: 96, seed: 6 });
    const { train } = createTrainingSets({ datasets: [data], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    for (const kind of [
      'pcgrad',
      'gradnorm',
      'db-mtl',
      'imtl',
      'cagrad',
      'gradvac',
      'graddrop',
      'mgda',
      'aligned-mtl',
      'nash-mtl',
    ] as const) {
      const model = createMultiTaskDnn({
        inputShape: [4, 8],
        tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
        hiddenUnits: [12],
        seed: 1,
      });
      const result = await trainFold({
        model,
        train,
        epochs: 6,
        batchSize: 24,
        lossCombiner: { kind },
        optimizer: { name: 'adam', learningRate: 0.02 },
      });
      expect(result.history.at(-1)?.train.loss).toBeLessThan(result.history[0]?.train.loss as number);
    }
  });

  it("records a gradient combiner's per-task gradient overhead in each train record, and none for sum", async () => {
    const tasks = [keyword, speaker];
    const data = learnableDataset({ name: 'both', tasks, count: 48, seed: 6 });
    const { train } = createTrainingSets({ datasets: [data], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
    for (const kind of ['sum', 'pcgrad', 'mgda'] as const) {
      const model = createMultiTaskDnn({
        inputShape: [4, 8],
        tasks: tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
        hiddenUnits: [12],
        seed: 1,
      });
      const result = await trainFold({ model, train, epochs: 2, batchSize: 12, lossCombiner: { kind } });
      for (const { train: record } of result.history) {
        if (kind === 'sum') {
          expect(record.gradientOverhead).toBeUndefined();
          continue;
        }
        const overhead = record.gradientOverhead;
        expect(overhead?.secondsPerStep).toBeGreaterThan(0);
        expect(overhead?.secondsPerStep).toBeLessThan(record.seconds as number);
        // at least every task's gradients of the 4·8→12 layer and its bias (float32) are held during the merge
        expect(overhead?.peakExtraBytes).toBeGreaterThanOrEqual(tasks.length * (32 * 12 + 12) * 4);
      }
      model.dispose();
    }
  });
});

describe('RLW, FAMO, DB-MTL, IMTL, CAGrad, GradVac, MGDA, Aligned-MTL, Nash-MTL and MGDA-UB in trainFold', () => {
  // two datasets with one task each: the per-dataset sampler's batches lack a task (the gradient-based ones get every-dataset)
  const datasets = [
    learnableDataset({ name: 'words', tasks: [keyword], count: 48, seed: 8 }),
    learnableDataset({ name: 'voices', tasks: [speaker], count: 48, seed: 9 }),
  ];
  const model = () =>
    createMultiTaskDnn({
      inputShape: [4, 8],
      tasks: [keyword, speaker].map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize })),
      hiddenUnits: [8],
      seed: 3,
    });

  for (const lossCombiner of [
    { kind: 'random-loss-weighting', seed: 2 },
    { kind: 'famo' },
    { kind: 'db-mtl' },
    { kind: 'imtl' },
    // a wide ball: with two tasks CAGrad's default often sits on a vertex (w = 0 or 1)
    { kind: 'cagrad', calpha: 10 },
    { kind: 'gradvac', beta: 0.3 },
    { kind: 'mgda' },
    { kind: 'aligned-mtl' },
    { kind: 'nash-mtl' },
    // normalised by the losses, so the weights leave the vertex MGDA often sits on with two tasks
    { kind: 'mgda-ub', gradientNormalization: 'loss' },
  ] as const) {
    it(`${lossCombiner.kind}: batches lacking a task, weights in each train record, and 2 epochs + resume 2 equal 4`, async () => {
      const { train } = createTrainingSets({ datasets, split: { kind: 'ratio', testFraction: 0.25 } }).fold(0);
      const settings = { train, batchSize: 12, seed: 4, lossCombiner, optimizer: { name: 'adam', learningRate: 0.01 } } as const;
      const straight = model();
      const uninterrupted = await trainFold({ ...settings, model: straight, epochs: 4 });
      const weights = uninterrupted.history.map((entry) => entry.train.lossWeights as Record<string, number>);
      for (const record of weights) {
        expect(Object.keys(record).sort()).toEqual(['keyword', 'speaker']);
        // RLW, FAMO and MGDA weights are a distribution, IMTL's α sum to 1; DB-MTL's are gradient scales, the largest task's 1;
        // Aligned-MTL's and Nash-MTL's α are positive (Nash-MTL's are not normalised)
        if (lossCombiner.kind === 'db-mtl') expect(Math.min(record.keyword as number, record.speaker as number)).toBeCloseTo(1, 6);
        // GradVac's batch weights are 1 (its state is the cosine targets, checked by the resumed weights below)
        else if (lossCombiner.kind === 'gradvac') expect(record).toEqual({ keyword: 1, speaker: 1 });
        else if (lossCombiner.kind === 'aligned-mtl' || lossCombiner.kind === 'nash-mtl')
          expect(Math.min(record.keyword as number, record.speaker as number)).toBeGreaterThan(0);
        else expect((record.keyword as number) + (record.speaker as number)).toBeCloseTo(1, 6);
      }
      // the weights move from epoch to epoch (RLW draws anew, FAMO learns, the gradient-based ones rebalance)
      if (lossCombiner.kind !== 'gradvac') expect(weights[0]).not.toEqual(weights[3]);
      const store = createRunStore({ root, name: lossCombiner.kind });
      await trainFold({ ...settings, model: model(), epochs: 2, store });
      const resumedModel = model();
      const resumed = await trainFold({
        ...settings,
        model: resumedModel,
        epochs: 4,
        store,
        resume: openRun(store.directory).loadCheckpoint(0),
      });
      expect(resumed.history.map((entry) => entry.train.lossWeights)).toEqual(weights.slice(2));
      expect(resumed.lossWeights).toEqual(uninterrupted.lossWeights);
      straight.weights.forEach((weight, index) => {
        const expected = weight.read().dataSync();
        const actual = resumedModel.weights[index]?.read().dataSync() as Float32Array;
        for (let position = 0; position < expected.length; position++)
          expect(Math.abs((actual[position] as number) - (expected[position] as number))).toBeLessThan(1e-5);
      });
    });
  }
});
