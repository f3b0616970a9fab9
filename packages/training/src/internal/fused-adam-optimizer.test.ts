import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../select-backend';
import { FusedAdamOptimizer } from './fused-adam-optimizer';
import { nativeKernels } from './native-kernels';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

/** Three Adam steps on two variables (one with an odd length, off the SIMD width). */
function train(optimizer: tf.Optimizer): { values: Float32Array[] } {
  const variables = [tf.variable(tf.randomUniform([37], -1, 1, 'float32', 1)), tf.variable(tf.randomUniform([4, 6], -1, 1, 'float32', 2))];
  for (let step = 0; step < 3; step++) {
    optimizer.minimize(() =>
      tf.add(tf.sum(tf.square(tf.sub(variables[0] as tf.Variable, 0.3))), tf.sum(tf.sin(variables[1] as tf.Variable))),
    );
  }
  const values = variables.map((variable) => Float32Array.from(variable.dataSync()));
  tf.dispose(variables);
  return { values };
}

describe('FusedAdamOptimizer', () => {
  it('loads the native kernels on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(nativeKernels(tf.backend())).toBeDefined();
  });

  it("takes the same steps as tfjs's Adam and keeps the same state", async () => {
    const reference = tf.train.adam(0.05, 0.8, 0.99);
    const fused = new FusedAdamOptimizer(0.05, 0.8, 0.99);
    const expected = train(reference).values;
    const actual = train(fused).values;
    expected.forEach((values, index) => {
      const other = actual[index] as Float32Array;
      for (let position = 0; position < values.length; position++)
        expect(Math.abs((other[position] as number) - (values[position] as number))).toBeLessThan(1e-6);
    });
    const [referenceWeights, fusedWeights] = await Promise.all([reference.getWeights(), fused.getWeights()]);
    expect(fusedWeights.map((weight) => weight.tensor.shape)).toEqual(referenceWeights.map((weight) => weight.tensor.shape));
    expect(fusedWeights[0]?.tensor.dataSync()[0]).toBe(3);
    expect(fused.getConfig()).toEqual(reference.getConfig());
    reference.dispose();
    fused.dispose();
  });

  it("runs tfjs's own update on other backends", async () => {
    await tf.setBackend('cpu');
    const expected = train(tf.train.adam(0.05)).values;
    const actual = train(new FusedAdamOptimizer(0.05, 0.9, 0.999)).values;
    expect(actual).toEqual(expected);
    await tf.setBackend('wasm');
  });
});
