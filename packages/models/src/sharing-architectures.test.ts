import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HeadSpec, headActivation } from './multi-task-model';
import { createCgcDnn, createCrossStitchCnn, createCrossStitchDnn, createMmoeDnn, createMtanCnn } from './sharing-architectures';
import { CrossStitch } from './sharing-layers';
import { saveAndLoad } from './test-support';

const tasks: HeadSpec[] = [
  { name: 'keyword', kind: 'multi-class', outputSize: 3 },
  { name: 'speaker gender', kind: 'binary', outputSize: 1 },
  { name: 'events', kind: 'multi-label', outputSize: 4 },
  { name: 'affect', kind: 'regression', outputSize: 2 },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Builder = (options: { tasks: readonly HeadSpec[]; seed?: number; maxParameters?: number }) => tfl.LayersModel;

/** Each architecture on small sizes: `[6, 4]` features for the dense ones, `[8, 6]` for MTAN. */
const architectures: [string, Builder, number[]][] = [
  ['cross-stitch', (options) => createCrossStitchDnn({ inputShape: [6, 4], hiddenUnits: [5, 3], ...options }), [6, 4]],
  ['mmoe', (options) => createMmoeDnn({ inputShape: [6, 4], hiddenUnits: [5], experts: 3, towerUnits: [2], ...options }), [6, 4]],
  ['cgc', (options) => createCgcDnn({ inputShape: [6, 4], hiddenUnits: [5], sharedExperts: 2, taskExperts: 1, ...options }), [6, 4]],
  [
    'ple',
    (options) =>
      createCgcDnn({ inputShape: [6, 4], hiddenUnits: [5], sharedExperts: 1, taskExperts: 2, levels: 2, towerUnits: [3], ...options }),
    [6, 4],
  ],
  ['mtan', (options) => createMtanCnn({ inputShape: [8, 6], filters: [2, 3], denseUnits: 4, ...options }), [8, 6]],
  ['cross-stitch CNN', (options) => createCrossStitchCnn({ inputShape: [8, 6], filters: [2, 3], denseUnits: 4, ...options }), [8, 6]],
];

const input = (shape: number[], seed = 5) => tf.randomUniform([3, ...shape], -2, 2, 'float32', seed);

describe.each(architectures)('%s', (_, build, shape) => {
  it('has one output per task, named, as wide as the task, with its activation, for every task kind mix', () => {
    for (const mix of [tasks, tasks.slice(1, 2), [tasks[3] as HeadSpec, tasks[0] as HeadSpec]]) {
      const model = build({ tasks: mix, seed: 1 });
      expect(model.outputs.map((output) => output.shape)).toEqual(mix.map((task) => [null, task.outputSize]));
      expect(model.outputNames).toEqual(mix.map((task) => `head_${task.name.replace(/ /g, '_')}`));
      const outputs = model.predict(input(shape)) as tf.Tensor | tf.Tensor[];
      mix.forEach((task, index) => {
        const layer = model.getLayer(`head_${task.name.replace(/ /g, '_')}`);
        expect((layer.getConfig() as { activation: string }).activation).toBe(headActivation(task.kind));
        const rows = (Array.isArray(outputs) ? outputs[index] : outputs)?.arraySync() as number[][];
        if (task.kind === 'multi-class') for (const row of rows) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        if (task.kind === 'binary' || task.kind === 'multi-label')
          for (const value of rows.flat()) expect(value > 0 && value < 1).toBe(true);
      });
      tf.dispose(outputs);
      model.dispose();
    }
  });

  it('names its shared layers shared_* (GradNorm watches the last one)', () => {
    const model = build({ tasks });
    expect(model.trainableWeights.some((weight) => weight.originalName.startsWith('shared_'))).toBe(true);
    model.dispose();
  });

  it('is deterministic under a seed, and another seed gives another model', () => {
    const predict = (seed: number) => {
      const model = build({ tasks, seed });
      const outputs = model.predict(input(shape)) as tf.Tensor[];
      const values = outputs.map((output) => output.arraySync());
      tf.dispose(outputs);
      model.dispose();
      return values;
    };
    expect(predict(4)).toEqual(predict(4));
    expect(predict(4)).not.toEqual(predict(5));
  });

  it('counts its weights before building: exactly at maxParameters it builds, one fewer is refused', () => {
    const model = build({ tasks, maxParameters: Number.POSITIVE_INFINITY });
    const count = model.countParams();
    model.dispose();
    build({ tasks, maxParameters: count }).dispose();
    expect(() => build({ tasks, maxParameters: count - 1 })).toThrow(/maxParameters/);
  });

  it('saves and loads (tf.io.withSaveHandler, tf.loadLayersModel) with identical predictions', async () => {
    const model = build({ tasks, seed: 2 });
    // train a step so learned weights (α, gates) differ from their initial values
    const x = input(shape, 9);
    const optimizer = tf.train.sgd(0.5);
    optimizer.minimize(() => tf.addN((model.apply(x) as tf.Tensor[]).map((output) => tf.mean(tf.square(output)))) as tf.Scalar);
    const loaded = await saveAndLoad(model);
    expect(loaded.outputNames).toEqual(model.outputNames);
    const before = (model.predict(x) as tf.Tensor[]).map((output) => output.arraySync());
    const after = (loaded.predict(x) as tf.Tensor[]).map((output) => output.arraySync());
    expect(after).toEqual(before);
    expect(JSON.parse(JSON.stringify(loaded.toJSON(null, false)))).toEqual(JSON.parse(JSON.stringify(model.toJSON(null, false))));
    model.dispose();
    loaded.dispose();
  });
});

/** The output of layer `name` of `model` for `x`. */
const layerOutput = (model: tfl.LayersModel, name: string, x: tf.Tensor) =>
  tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor }).predict(x) as tf.Tensor;

describe('cross-stitch', () => {
  it('initialises α near the identity (selfWeight on the diagonal, the rest split evenly) and mixes the columns by it', () => {
    const model = createCrossStitchDnn({ inputShape: [4], tasks: tasks.slice(0, 3), hiddenUnits: [2], selfWeight: 0.8 });
    const alpha = model.getLayer('shared_cross_stitch_0').getWeights()[0] as tf.Tensor;
    expect(alpha.shape).toEqual([3, 3]);
    const values = alpha.arraySync() as number[][];
    values.forEach((row, i) => {
      row.forEach((value, j) => {
        expect(value).toBeCloseTo(i === j ? 0.8 : 0.1, 6);
      });
    });
    expect(new CrossStitch().selfWeight).toBe(0.9);
    // the unit's outputs are α times the columns
    const columns = [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), tf.tensor2d([[5, 6]])];
    const unit = model.getLayer('shared_cross_stitch_0');
    const mixed = (unit.apply(columns) as tf.Tensor[]).map((output) => output.arraySync() as number[][]);
    expect(mixed[0]?.[0]?.[0]).toBeCloseTo(0.8 * 1 + 0.1 * 3 + 0.1 * 5, 5);
    expect(mixed[2]?.[0]?.[1]).toBeCloseTo(0.1 * 2 + 0.1 * 4 + 0.8 * 6, 5);
    expect(() => new CrossStitch({ selfWeight: 0 })).toThrow(/selfWeight must be in \(0, 1\]/);
  });

  it('has the hand-counted weights: columns, one α per hidden layer, heads', () => {
    // 2 tasks (3 + 1 outputs), [4] input, hidden [5, 3]: columns 2·((4+1)·5 + (5+1)·3) = 86, α 2·4 = 8, heads (3+1)·3 + (3+1)·1 = 16
    const model = createCrossStitchDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [5, 3] });
    expect(model.countParams()).toBe(86 + 8 + 16);
  });

  it('learns α: training moves it away from its initial value', () => {
    const model = createCrossStitchDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [3], seed: 1 });
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
    const before = (model.getLayer('shared_cross_stitch_0').getWeights()[0] as tf.Tensor).arraySync();
    tf.train
      .sgd(0.5)
      .minimize(() => tf.addN((model.apply(x) as tf.Tensor[]).map((output) => tf.mean(tf.square(tf.sub(output, 3))))) as tf.Scalar);
    expect((model.getLayer('shared_cross_stitch_0').getWeights()[0] as tf.Tensor).arraySync()).not.toEqual(before);
  });
});

describe('cross-stitch CNN', () => {
  it('has the hand-counted weights: a CNN column per task, one α per block, heads', () => {
    // [8, 6] input, 2 tasks (3 + 1), filters [2, 3] 3×3, dense 4, global-average readout:
    // columns 2·((9·1+1)·2 + (9·2+1)·3 + (3+1)·4) = 2·(20 + 57 + 16) = 186; α 2·4 = 8; heads (4+1)·3 + (4+1)·1 = 20
    const model = createCrossStitchCnn({ inputShape: [8, 6], tasks: tasks.slice(0, 2), filters: [2, 3], denseUnits: 4 });
    expect(model.countParams()).toBe(186 + 8 + 20);
    const alpha = model.getLayer('shared_cross_stitch_1').getWeights()[0] as tf.Tensor;
    expect(alpha.arraySync()).toEqual([
      [expect.closeTo(0.9, 6), expect.closeTo(0.1, 6)],
      [expect.closeTo(0.1, 6), expect.closeTo(0.9, 6)],
    ]);
  });
});

describe('MMoE and CGC/PLE', () => {
  it('MMoE has the hand-counted weights: experts, gates, towers, heads', () => {
    // [4] input, 2 tasks (3 + 1 outputs), 3 experts of [5], towers [2]:
    // experts 3·(4+1)·5 = 75, gates 2·(4+1)·3 = 30, towers 2·(5+1)·2 = 24, heads (2+1)·3 + (2+1)·1 = 12
    const model = createMmoeDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [5], experts: 3, towerUnits: [2] });
    expect(model.countParams()).toBe(75 + 30 + 24 + 12);
  });

  it('CGC and two-level PLE have the hand-counted weights', () => {
    // CGC, [4] input, 2 tasks (3 + 1), 2 shared + 1 per task experts of [5]:
    // experts 4·(4+1)·5 = 100, task gates 2·(4+1)·3 = 30, heads (5+1)·3 + (5+1)·1 = 24
    const cgc = createCgcDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [5], sharedExperts: 2, taskExperts: 1 });
    expect(cgc.countParams()).toBe(100 + 30 + 24);
    expect(cgc.name).toBe('cgc_dnn');
    // PLE, 2 levels: level 0 as CGC (130) plus its shared gate (4+1)·4 = 20; level 1 on 5 features:
    // experts 4·(5+1)·5 = 120, task gates 2·(5+1)·3 = 36; heads 24
    const ple = createCgcDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [5], sharedExperts: 2, taskExperts: 1, levels: 2 });
    expect(ple.countParams()).toBe(130 + 20 + 120 + 36 + 24);
    expect(ple.getLayer('level_0_shared_gate')).toBeDefined();
    expect(() => ple.getLayer('level_1_shared_gate')).toThrow();
  });

  it('gates are softmax rows that sum to 1, one column per expert they mix', () => {
    const x = tf.randomNormal([5, 6, 4], 0, 3, 'float32', 1);
    const mmoe = createMmoeDnn({ inputShape: [6, 4], tasks, hiddenUnits: [5], experts: 3, seed: 2 });
    const ple = createCgcDnn({ inputShape: [6, 4], tasks, hiddenUnits: [5], sharedExperts: 2, taskExperts: 2, levels: 2, seed: 2 });
    const gates: [tfl.LayersModel, string, number][] = [
      ...tasks.map((task): [tfl.LayersModel, string, number] => [mmoe, `gate_${task.name.replace(/ /g, '_')}`, 3]),
      ...tasks.map((task): [tfl.LayersModel, string, number] => [ple, `level_1_gate_${task.name.replace(/ /g, '_')}`, 4]),
      [ple, 'level_0_shared_gate', 2 + 2 * tasks.length],
    ];
    for (const [model, name, experts] of gates) {
      const rows = layerOutput(model, name, x).arraySync() as number[][];
      expect(rows[0], name).toHaveLength(experts);
      for (const row of rows) {
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        for (const value of row) expect(value).toBeGreaterThan(0);
      }
    }
  });

  it("a task's mixture is its gate's weighted sum of the experts", () => {
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 4);
    const model = createMmoeDnn({ inputShape: [4], tasks: tasks.slice(0, 2), hiddenUnits: [3], experts: 2, seed: 1 });
    const gate = layerOutput(model, 'gate_keyword', x).arraySync() as number[][];
    const experts = [0, 1].map((expert) => layerOutput(model, `shared_expert_${expert}_dense_0`, x).arraySync() as number[][]);
    const mixed = layerOutput(model, 'mixture_keyword', x).arraySync() as number[][];
    mixed.forEach((row, i) => {
      row.forEach((value, j) => {
        const gateRow = gate[i] as number[];
        expect(value).toBeCloseTo(
          (gateRow[0] as number) * (experts[0]?.[i]?.[j] as number) + (gateRow[1] as number) * (experts[1]?.[i]?.[j] as number),
          5,
        );
      });
    });
  });

  it('refuses expert counts that are not positive integers', () => {
    expect(() => createMmoeDnn({ inputShape: [4], tasks, experts: 0 })).toThrow(/experts\[0\] must be a positive integer/);
    expect(() => createCgcDnn({ inputShape: [4], tasks, levels: 1.5 })).toThrow(/levels\[0\] must be a positive integer/);
  });
});

describe('MTAN', () => {
  it('has the hand-counted weights: shared convolutions, attention per task and block, task dense layers, heads', () => {
    // [8, 6] input, 2 tasks (3 + 1), filters [2, 3] 3×3, dense 4:
    // convolutions (9·1+1)·2 + (9·2+1)·3 = 77; attention per task (2+1)·2 + (2+3+1)·3 = 24, ×2 = 48;
    // task dense 2·(3+1)·4 = 32; heads (4+1)·3 + (4+1)·1 = 20
    const model = createMtanCnn({ inputShape: [8, 6], tasks: tasks.slice(0, 2), filters: [2, 3], denseUnits: 4 });
    expect(model.countParams()).toBe(77 + 48 + 32 + 20);
  });

  it('masks are sigmoid values in (0, 1), one per shared feature', () => {
    const model = createMtanCnn({ inputShape: [8, 6], tasks, filters: [2, 3], denseUnits: 4, seed: 1 });
    const mask = layerOutput(model, 'attention_events_1', tf.randomNormal([2, 8, 6], 0, 1, 'float32', 2));
    expect(mask.shape).toEqual([2, 2, 2, 3]);
    for (const value of mask.dataSync()) expect(value > 0 && value < 1).toBe(true);
  });
});
