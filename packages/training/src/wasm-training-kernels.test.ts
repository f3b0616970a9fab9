import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';
import { expectClose, expectSameAsCpu } from './test-support';
import { assertKernelsRegistered } from './wasm-training-kernels';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

const random = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

describe('wasm training kernels against the cpu backend', () => {
  it.each([
    [[2, 9, 7, 3], [3, 3, 3, 4], 1, 'same'],
    [[2, 9, 7, 3], [3, 3, 3, 4], 1, 'valid'],
    [[1, 10, 8, 2], [5, 3, 2, 3], 2, 'same'],
    [[3, 11, 9, 4], [2, 2, 4, 5], 2, 'valid'],
    // one input channel (a spectrogram)
    [[2, 9, 7, 1], [3, 3, 1, 8], 1, 'same'],
    // one channel, rows wide enough for runs of four pixels inside the image, taps in 2 blocks
    [[2, 12, 21, 1], [3, 5, 1, 4], [2, 1], 'valid'],
    [[1, 6, 19, 1], [2, 2, 1, 9], 1, 'same'],
  ] as const)('conv2d gradients for x %j, filter %j, stride %j, %s padding', async (xShape, filterShape, stride, padding) => {
    await expectSameAsCpu(() => {
      const x = random([...xShape], 1);
      const filter = random([...filterShape], 2);
      const gradients = tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride as number | [number, number], padding))),
      )([x, filter]);
      return gradients;
    });
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul with transposeA %s and transposeB %s, plain and fused with bias and relu', async (transposeA, transposeB) => {
    await expectSameAsCpu(() => {
      const a = random(transposeA ? [7, 5] : [5, 7], 3);
      const b = random(transposeB ? [6, 7] : [7, 6], 4);
      const bias = random([6], 5);
      const batched = tf.matMul(
        random(transposeA ? [3, 7, 5] : [3, 5, 7], 6),
        random(transposeB ? [3, 6, 7] : [3, 7, 6], 7),
        transposeA,
        transposeB,
      );
      return [
        tf.matMul(a, b, transposeA, transposeB),
        tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation: 'relu' }),
        batched,
      ];
    });
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
  ])(
    'matMul with transposeA %s and transposeB %s on shapes off the 4 × 8 tiles, with NaN, plain and fused with bias and relu',
    async (transposeA, transposeB) => {
      await expectSameAsCpu(() => {
        const results: tf.Tensor[] = [];
        for (const [rows, depth, columns] of [
          [13, 37, 19],
          [32, 40, 10],
          [3, 9, 33],
          [1, 5, 8],
          [4, 1, 16],
        ] as const) {
          // a NaN in each operand: only its row of the product, or its column, turns NaN
          const a = tf.tidy(() => {
            const values = random(transposeA ? [depth, rows] : [rows, depth], 40 + rows).bufferSync();
            values.set(Number.NaN, 0, 0);
            return values.toTensor();
          });
          const values = random(transposeB ? [columns, depth] : [depth, columns], 50 + columns).bufferSync();
          values.set(Number.NaN, transposeB ? columns - 1 : depth - 1, transposeB ? depth - 1 : columns - 1);
          // fresh right-hand matrices (training): repeated ones go to XNNPACK, whose fused relu turns NaN into 0
          const b = () => values.toTensor();
          const bias = random([columns], 60 + columns);
          results.push(
            tf.matMul(a, b(), transposeA, transposeB),
            tf.fused.matMul({ a, b: b(), transposeA, transposeB, bias, activation: 'relu' }),
            tf.fused.matMul({ a, b: b(), transposeA, transposeB, bias }),
          );
        }
        return results;
      });
    },
  );

  it.each([
    [[4, 3, 5, 6], 'rank-4 input, per-channel statistics'],
    [[8, 6], 'rank-2 input'],
  ] as const)('batch-norm gradients (%j, %s) equal those of batch norm written with plain ops', async (shape, _description) => {
    const channels = shape.at(-1) as number;
    const axes = shape.map((_, axis) => axis).slice(0, -1);
    const lossOf = (fused: boolean) => (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, axes);
      const normalised = fused
        ? tf.batchNorm(x, mean, variance, offset, scale, 1e-3)
        : tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), scale), offset);
      return tf.sum(tf.mul(normalised, random([...shape], 11)));
    };
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const [fused, plain] = [true, false].map((fusedForm) =>
        tf.tidy(() =>
          tf
            .grads(lossOf(fusedForm))([random([...shape], 8), random([channels], 9), random([channels], 10)])
            .map((tensor) => tensor.dataSync()),
        ),
      ) as [Float32Array[], Float32Array[]];
      expectClose(plain, fused);
    }
    await tf.setBackend('wasm');
  });

  it.each([
    [[2, 8, 6, 4], 2, 2, 'valid'],
    // windows tiling the input (no zeroing pass), channel counts off and under the 4-wide vectors
    [[2, 8, 6, 5], 2, 2, 'same'],
    [[1, 4, 6, 3], 2, 2, 'valid'],
    [[2, 9, 7, 6], 2, 2, 'same'],
    [[1, 10, 9, 5], 3, 2, 'same'],
    [[3, 7, 7, 8], 3, 1, 'valid'],
  ] as const)('max-pool gradient for x %j, window %i, stride %i, %s padding (with ties)', async (shape, window, stride, padding) => {
    await expectSameAsCpu(() => {
      // values on a coarse grid so windows hold ties: the first maximum must receive the gradient
      const x = tf.round(tf.mul(random([...shape], 12), 2));
      return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, window, stride, padding), 3)))(x);
    });
  });

  it('max pooling forward with padding, strides, odd channel counts and NaN', async () => {
    await expectSameAsCpu(() => {
      const x = tf.concat([random([2, 7, 6, 6], 38), tf.fill([1, 7, 6, 6], Number.NaN), tf.fill([1, 7, 6, 6], -5)]) as tf.Tensor4D;
      return [
        tf.maxPool(x, 2, 2, 'same'),
        tf.maxPool(x, 3, 2, 'valid'),
        tf.maxPool(x, [3, 2], 1, 'same'),
        tf.maxPool(random([2, 5, 5, 4], 39) as tf.Tensor4D, 2, 2, 'valid'),
      ];
    });
  });

  it.each([
    [[6, 5, 4, 3], [0, 1, 2], false],
    [[6, 5, 4, 3], [0, 1], true],
    [[33, 7], [0], false],
    [[4, 9, 2], [1], false],
    [[4, 9, 2], [0, 2], true],
    [[4, 9, 2], [0, 1, 2], false],
  ] as const)('sum and mean of %j over axes %j (keepDims %s)', async (shape, axes, keepDims) => {
    await expectSameAsCpu(() => {
      const x = random([...shape], 13);
      return [tf.sum(x, [...axes], keepDims), tf.mean(x, [...axes], keepDims)];
    });
  });

  it.each([
    [
      [5, 7],
      [1, 0],
    ],
    [
      [3, 9, 6],
      [0, 2, 1],
    ],
    [
      [2, 3, 33, 17],
      [0, 1, 3, 2],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
  ] as const)('transpose of %j by %j', async (shape, perm) => {
    await expectSameAsCpu(() => tf.transpose(random([...shape], 14), [...perm]));
  });

  it('products with fresh and with repeated right-hand matrices agree with the cpu backend', async () => {
    await expectSameAsCpu(() => {
      const x = random([9, 33], 15);
      const weights = random([33, 70], 16);
      const bias = random([70], 17);
      const results: tf.Tensor[] = [];
      // the first product sees fresh weights; the repeats go through the cached XNNPACK operator
      for (let repeat = 0; repeat < 3; repeat++) {
        results.push(tf.matMul(x, weights), tf.fused.matMul({ a: x, b: weights, bias, activation: 'relu' }));
        results.push(tf.matMul(random([9, 70], 18), weights, false, true));
      }
      // one to three columns: dot products
      for (const columns of [1, 2, 3]) results.push(tf.matMul(x, random([33, columns], 19 + columns)));
      return results;
    });
  });

  it.each([
    [[2, 9, 7, 4], 8, 'same'],
    [[3, 6, 5, 8], 4, 'valid'],
    [[1, 4, 4, 4], 12, 'same'],
    [[2, 5, 6, 8], 3, 'same'],
    [[2, 7, 5, 4], 5, 'valid'],
    [[2, 7, 5, 4], 1, 'valid'],
    [[2, 6, 5, 1], 4, 'same'],
  ] as const)(
    '3 × 3 convolutions by Winograd for x %j into %i channels, %s padding, with their gradients',
    async (shape, outputChannels, padding) => {
      await expectSameAsCpu(() => {
        const x = random([...shape], 26);
        const filter = random([3, 3, shape[3], outputChannels], 27);
        const bias = random([outputChannels], 28);
        const fused = (input: tf.Tensor, weights: tf.Tensor) =>
          tf.fused.conv2d({ x: input as tf.Tensor4D, filter: weights as tf.Tensor4D, bias, strides: 1, pad: padding, activation: 'relu' });
        return [
          tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, padding),
          fused(x, filter),
          ...tf.grads((input: tf.Tensor, weights: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, 1, padding))),
          )([x, filter]),
        ];
      });
    },
  );

  it.each([
    // channels in 8- and 4-wide tiles and one at a time; runs of four pixels and single ones at the edges
    [[2, 9, 13, 1], [3, 3, 1, 16], 'same'],
    [[1, 7, 11, 1], [3, 3, 1, 13], 'same'],
    [[2, 8, 10, 1], [2, 5, 1, 6], 'valid'],
    [[1, 6, 3, 1], [5, 3, 1, 3], 'same'],
    [[3, 5, 17, 1], [1, 1, 1, 9], 'valid'],
  ] as const)(
    'convolutions of one channel for x %j, filter %j, %s padding, plain and fused with bias and relu, with NaN',
    async (shape, filterShape, padding) => {
      await expectSameAsCpu(() => {
        // a NaN in the first image spreads to the outputs whose taps cover it, and nowhere else
        const x = tf.tidy(() => {
          const values = random([...shape], 31).arraySync() as number[][][][];
          (values[0] as number[][][])[Math.floor(shape[1] / 2)]?.splice(1, 1, [Number.NaN]);
          return tf.tensor4d(values);
        });
        const filter = random([...filterShape], 32);
        const bias = random([filterShape[3]], 33);
        return [
          tf.conv2d(x, filter as tf.Tensor4D, 1, padding),
          tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, bias, strides: 1, pad: padding, activation: 'relu' }),
          tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, bias, strides: 1, pad: padding }),
        ];
      });
    },
  );

  it('adds a bias that broadcasts (one value for every column or channel) after the fused product or convolution, as the cpu backend', async () => {
    await expectSameAsCpu(() => {
      const bias = tf.tensor1d([0.7]);
      const scalarBias = tf.scalar(-0.4);
      const a = random([3, 5], 40);
      const b = random([5, 9], 41);
      const x = random([2, 6, 7, 1], 42) as tf.Tensor4D;
      const channels = random([2, 6, 7, 4], 43) as tf.Tensor4D;
      return [
        tf.fused.matMul({ a, b, bias }),
        tf.fused.matMul({ a, b, bias: scalarBias, activation: 'relu' }),
        tf.fused.matMul({ a, b: tf.transpose(b), bias, transposeB: true, activation: 'relu' }),
        tf.fused.conv2d({ x, filter: random([3, 3, 1, 4], 44) as tf.Tensor4D, bias, strides: 1, pad: 'same' }),
        tf.fused.conv2d({
          x: channels,
          filter: random([3, 3, 4, 8], 45) as tf.Tensor4D,
          bias,
          strides: 1,
          pad: 'same',
          activation: 'relu',
        }),
      ];
    });
  });

  it('filter gradients with channel counts off the 4- and 8-wide tiles', async () => {
    await expectSameAsCpu(() =>
      tf.grad((filter: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(random([2, 7, 6, 5], 19) as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'))),
      )(random([3, 3, 5, 13], 20)),
    );
  });

  it.each([
    [
      [6, 7],
      [6, 7],
    ],
    [[6, 7], [7]],
    [[7], [3, 6, 7]],
    [
      [6, 1],
      [6, 7],
    ],
    [
      [2, 6, 7],
      [2, 6, 1],
    ],
    [[], [5, 3]],
    [
      [5, 3],
      [1, 1],
    ],
    [
      [4, 1, 3],
      [1, 5, 1],
    ],
    [
      [3, 1, 1, 4],
      [3, 2, 5, 4],
    ],
    [
      [2, 6, 7],
      [1, 6, 1],
    ],
    [
      [1, 6, 1],
      [2, 6, 3],
    ],
  ] as const)('add, subtract, multiply and divide %j by %j', async (aShape, bShape) => {
    await expectSameAsCpu(() => {
      const a = random([...aShape], 21);
      // divisors kept away from zero
      const b = tf.add(tf.abs(random([...bShape], 22)), 0.5);
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.sub(b, a), tf.div(b, a)];
    });
  });

  it('softmax over the last axis (large and tied logits), relu and step (zeros and NaN)', async () => {
    await expectSameAsCpu(() => {
      const logits = tf.concat([tf.mul(random([5, 9], 23), 40), tf.zeros([1, 9]), tf.fill([1, 9], -80)]);
      const mixed = tf.concat([random([3, 7], 24), tf.zeros([1, 7]), tf.fill([1, 7], Number.NaN)]);
      return [tf.softmax(logits), tf.relu(mixed), tf.step(mixed), tf.step(mixed, 0.25), tf.softmax(random([2, 3, 4], 25))];
    });
  });

  it('batch norm forward with and without scale and offset, per-channel statistics of either shape, and casts', async () => {
    await expectSameAsCpu(() => {
      const x = random([3, 4, 5, 6], 29);
      const mean = random([6], 30);
      const variance = tf.abs(random([6], 31));
      return [
        tf.batchNorm(x, mean, variance, random([6], 32), random([6], 33), 1e-3),
        tf.batchNorm(x, tf.reshape(mean, [1, 1, 1, 6]), tf.reshape(variance, [1, 1, 1, 6]), undefined, undefined, 1e-3),
        tf.batchNorm(random([5, 7], 34), random([7], 35), tf.abs(random([7], 36)), undefined, random([7], 37)),
        tf.square(x),
        tf.cast(x, 'float32'),
        tf.cast(tf.mul(x, 10), 'int32'),
      ];
    });
  });

  it("checks that a model's kernels exist on the active backend", () => {
    expect(() => assertKernelsRegistered(['Conv2D', 'Conv2DBackpropFilter', 'MatMul'.replace('MatMul', 'BatchMatMul')])).not.toThrow();
    expect(() => assertKernelsRegistered(['Conv2D', 'NotAKernel'])).toThrow(/The wasm backend has no kernel for NotAKernel/);
  });
});
