import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModelForTasks, createMultiTaskCnn, createMultiTaskDnn, type HeadSpec } from './multi-task-model';

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
