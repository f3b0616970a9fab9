import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeKernels } from './internal/native-kernels';
import { selectBackend } from './select-backend';
import { expectSameAsCpu } from './test-support';

// this file runs in its own worker: the switch does not reach the other test files
process.env.POLYTASK_NATIVE_KERNELS = '0';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

describe('wasm training kernels without the native module (POLYTASK_NATIVE_KERNELS=0)', () => {
  it('uses the XNNPACK compositions', () => {
    expect(nativeKernels(tf.backend())).toBeUndefined();
  });

  it.each([
    [[2, 9, 7, 4], [3, 3, 4, 8], 1, 'same'],
    [[1, 10, 8, 2], [5, 3, 2, 3], 2, 'valid'],
  ] as const)('conv2d gradients for x %j, filter %j, stride %i, %s padding', async (xShape, filterShape, stride, padding) => {
    await expectSameAsCpu(() => {
      const x = tf.randomUniform([...xShape], -1, 1, 'float32', 1);
      const filter = tf.randomUniform([...filterShape], -1, 1, 'float32', 2);
      return tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride, padding))),
      )([x, filter]);
    });
  });

  it('transposed products, max-pool gradients and leading-axis sums', async () => {
    await expectSameAsCpu(() => {
      const a = tf.randomUniform([7, 5], -1, 1, 'float32', 3);
      const b = tf.randomUniform([6, 5], -1, 1, 'float32', 4);
      const x = tf.randomUniform([2, 6, 6, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
      return [
        tf.matMul(a, b, false, true),
        tf.matMul(a, tf.randomUniform([7, 4], -1, 1, 'float32', 6), true, false),
        tf.grad((input: tf.Tensor) => tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'same')))(x),
        tf.sum(x, [0, 1, 2]),
      ];
    });
  });
});
