import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModelForTasks, createMultiTaskCnn, createMultiTaskDnn, type HeadSpec, headActivation } from './multi-task-model';

const tasks: HeadSpec[] = [
  { name: 'keyword', kind: 'multi-class', outputSize: 3 },
  { name: 'speaker gender', kind: 'binary', outputSize: 1 },
  { name: 'events', kind: 'multi-label', outputSize: 4 },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('multi-task builders', () => {
  it('builds a DNN with one head per task, activations by kind', () => {
    const model = createMultiTaskDnn({ inputShape: [6, 4], tasks, hiddenUnits: [8, 8], dropout: 0.1, batchNorm: true, seed: 1 });
    expect(model.outputs.map((output) => output.shape)).toEqual([
      [null, 3],
      [null, 1],
      [null, 4],
    ]);
    const outputs = model.predict(tf.ones([2, 6, 4])) as tf.Tensor[];
    const [keyword, gender, events] = outputs.map((output) => output.arraySync() as number[][]);
    for (const row of keyword ?? []) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const row of [...(gender ?? []), ...(events ?? [])]) for (const value of row) expect(value > 0 && value < 1).toBe(true);
    expect(model.layers.map((layer) => layer.name)).toContain('head_speaker_gender');
    tf.dispose(outputs);
  });

  it('gives regression heads a linear output (no activation), in the DNN and the CNN', () => {
    const withRegression: HeadSpec[] = [...tasks, { name: 'affect', kind: 'regression', outputSize: 2 }];
    expect(headActivation('regression')).toBe('linear');
    expect(headActivation('multi-class')).toBe('softmax');
    expect(headActivation('multi-label')).toBe('sigmoid');
    for (const model of [
      createMultiTaskDnn({ inputShape: [6, 4], tasks: withRegression, hiddenUnits: [8], seed: 1 }),
      createMultiTaskCnn({ inputShape: [8, 8], tasks: withRegression, filters: [4], denseUnits: 8, seed: 1 }),
    ]) {
      const head = model.getLayer('head_affect');
      expect((head.getConfig() as { activation: string }).activation).toBe('linear');
      // a linear head can leave (0, 1): large inputs give outputs outside it
      const outputs = model.predict(
        tf.fill([2, ...((model.inputs[0] as tfl.SymbolicTensor).shape.slice(1) as number[])], 50),
      ) as tf.Tensor[];
      const affect = (outputs[3] as tf.Tensor).dataSync();
      expect(Array.from(affect).some((value) => value < 0 || value > 1)).toBe(true);
      tf.dispose(outputs);
    }
  });

  it('builds a CNN over [frames, bins] with pooling and a readout, deterministic for a seed', () => {
    const build = () => createMultiTaskCnn({ inputShape: [16, 12], tasks, filters: [4, 8], denseUnits: 8, seed: 3 });
    const first = build();
    const second = build();
    expect(first.outputs).toHaveLength(3);
    const input = tf.randomUniform([2, 16, 12], 0, 1, 'float32', 5);
    const a = (first.predict(input) as tf.Tensor[])[2]?.arraySync();
    const b = (second.predict(input) as tf.Tensor[])[2]?.arraySync();
    expect(a).toEqual(b);
  });

  it('counts the weights exactly before building, and refuses an absurd size without allocating it', () => {
    const limit = (options: object, build: (limit: number) => tfl.LayersModel) => {
      const model = build(Number.POSITIVE_INFINITY);
      const count = model.countParams();
      model.dispose();
      // exactly at the limit it builds; one weight fewer allowed, it is refused
      build(count).dispose();
      expect(() => build(count - 1), JSON.stringify(options)).toThrow(/would have .* weights .* maxParameters/);
    };
    for (const options of [{ hiddenUnits: [8, 5] }, { hiddenUnits: [7], batchNorm: true }])
      limit(options, (maxParameters) => createMultiTaskDnn({ inputShape: [6, 4], tasks, ...options, maxParameters }));
    for (const options of [
      { filters: [4, 8], denseUnits: 8 },
      { filters: [3], batchNorm: true, readout: 'flatten' as const, kernelSize: [5, 3] as [number, number] },
      { filters: [2, 3], poolSize: null, denseUnits: 0 },
    ])
      limit(options, (maxParameters) => createMultiTaskCnn({ inputShape: [15, 12], tasks, ...options, maxParameters }));
    const before = tf.memory().numBytes;
    expect(() => createMultiTaskDnn({ inputShape: [100, 64], tasks, hiddenUnits: [1e9] })).toThrow(
      /would have 6\.41e\+12 weights .* make hiddenUnits smaller/,
    );
    expect(() => createMultiTaskCnn({ inputShape: [100, 64], tasks, filters: [1e6, 1e6] })).toThrow(/make filters smaller/);
    expect(() => createMultiTaskDnn({ inputShape: [6, 4], tasks, hiddenUnits: [8, 0.5] })).toThrow(
      /hiddenUnits\[1\] must be a positive integer/,
    );
    expect(tf.memory().numBytes).toBe(before);
  });

  it('checks a user model against the tasks and features', () => {
    const input = tfl.input({ shape: [10] });
    const hidden = tfl.layers.dense({ units: 4 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({
      inputs: input,
      outputs: [
        tfl.layers.dense({ units: 3 }).apply(hidden) as tfl.SymbolicTensor,
        tfl.layers.dense({ units: 2 }).apply(hidden) as tfl.SymbolicTensor,
      ],
    });
    expect(() => checkModelForTasks(model, { inputShape: [10], tasks: tasks.slice(0, 2) })).toThrow(
      /Output 1 of the model has 2 units but task "speaker gender" needs 1/,
    );
    expect(() => checkModelForTasks(model, { inputShape: [10], tasks })).toThrow(/has 2 outputs but there are 3 tasks/);
    expect(() => checkModelForTasks(model, { inputShape: [12], tasks: tasks.slice(0, 2) })).toThrow(
      /input is \[10\] but the features are \[12\]/,
    );
    expect(() =>
      checkModelForTasks(createMultiTaskDnn({ inputShape: [10], tasks, hiddenUnits: [4] }), { inputShape: [10], tasks }),
    ).not.toThrow();
    expect(() => createMultiTaskCnn({ inputShape: [10], tasks })).toThrow(/takes \[frames, bins\]/);
  });
});
