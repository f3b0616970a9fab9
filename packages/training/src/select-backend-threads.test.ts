import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createMultiTaskDnn } from '@polytask/models';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compileInference } from './compile-inference';
import { nativeThreadPool } from './internal/native-thread-pool';
import { wasmThreadsDirectory } from './internal/wasm-threads';
import { selectBackend } from './select-backend';
import { expectSameAsCpu } from './test-support';
import { adamUpdateKernelName } from './wasm-training-kernels';

describe('selectBackend with wasm threads', () => {
  it('starts the threaded SIMD build in Node and computes the same results', async () => {
    const selection = await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    expect(selection.backend).toBe('wasm');
    expect(selection.threads).toBe(2);
    expect(selection.summary).toContain('SIMD, threaded, 2 threads');
    const a = tf.randomUniform([64, 48], -1, 1, 'float32', 1);
    const b = tf.randomUniform([48, 32], -1, 1, 'float32', 2);
    const product = await tf.matMul(a, b).data();
    const left = await a.data();
    const right = await b.data();
    for (const [row, column] of [
      [0, 0],
      [13, 7],
      [63, 31],
    ] as const) {
      let expected = 0;
      for (let k = 0; k < 48; k++) expected += (left[row * 48 + k] as number) * (right[k * 32 + column] as number);
      expect(product[row * 32 + column]).toBeCloseTo(expected, 4);
    }
  });

  it('loads its workers from complete files written once, named by their content', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    const directory = wasmThreadsDirectory();
    const files = readdirSync(directory);
    // no temporary file left behind; one main and one worker source per tfjs version, shared by every process
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]);
    const worker = files.find((file) => /^worker-[0-9a-f]{16}\.js$/.test(file));
    const main = files.find((file) => /^main-[0-9a-f]{16}\.js$/.test(file));
    expect(worker && main).toBeTruthy();
    const workerSource = readFileSync(path.join(directory, worker as string), 'utf8');
    expect(workerSource).toContain(JSON.stringify(path.join(directory, main as string)));
    expect(workerSource).toContain('WasmBackendModuleThreadedSimd(Module)');
  });

  it('splits native convolutions (one input channel too), max pooling and filter gradients over the threads, with the same results as the cpu backend', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    expect(nativeThreadPool(tf.backend())?.threads).toBe(2);
    await expectSameAsCpu(() => {
      const x = tf.randomUniform([3, 9, 7, 8], -1, 1, 'float32', 3) as tf.Tensor4D;
      const filter = tf.randomUniform([3, 3, 8, 12], -1, 1, 'float32', 4) as tf.Tensor4D;
      const loss = (input: tf.Tensor, weights: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, 1, 'same')));
      const withNaN = tf.concat([x, tf.fill([1, 9, 7, 8], Number.NaN)]) as tf.Tensor4D;
      // one input channel: the direct kernel, shared by output rows
      const spectrogram = tf.randomUniform([3, 9, 14, 1], -1, 1, 'float32', 12) as tf.Tensor4D;
      const bands = tf.randomUniform([3, 3, 1, 12], -1, 1, 'float32', 13) as tf.Tensor4D;
      const bias = tf.randomUniform([12], -1, 1, 'float32', 14);
      return [
        tf.conv2d(x, filter, 1, 'same'),
        tf.maxPool(withNaN, 2, 2, 'same'),
        ...tf.grads(loss)([x, filter]),
        tf.fused.conv2d({ x: spectrogram, filter: bands, bias, strides: 1, pad: 'same', activation: 'relu' }),
        ...tf.grads(loss)([spectrogram, bands]),
      ];
    });
  });

  it('splits large dense products (plain, transposed, fused) by column panels over the threads, as the cpu backend computes them', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    expect(nativeThreadPool(tf.backend())?.threads).toBe(2);
    await expectSameAsCpu(() => {
      // 33 × 131 × 150: past the split threshold, 19 panels (the last one 6 columns wide)
      const x = tf.randomUniform([33, 131], -1, 1, 'float32', 7);
      const weights = () => tf.randomUniform([131, 150], -1, 1, 'float32', 8);
      const bias = tf.randomUniform([150], -1, 1, 'float32', 9);
      const dy = tf.randomUniform([33, 150], -1, 1, 'float32', 10);
      return [
        tf.fused.matMul({ a: x, b: weights(), bias, activation: 'relu' }),
        tf.matMul(x, dy, true, false),
        tf.matMul(dy, weights(), false, true),
      ];
    });
  });

  it('runs compiled inference with packed weights split over the threads, bit for bit as model.apply', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    // 33 × 131 × 150 and 33 × 150 × 140: past the split threshold, both products shared by panels
    const model = createMultiTaskDnn({
      inputShape: [131],
      hiddenUnits: [150, 140],
      tasks: [{ name: 'task', kind: 'multi-class', outputSize: 5 }],
      seed: 4,
    });
    model.setWeights(model.getWeights().map((weight, index) => tf.randomNormal(weight.shape, 0, 0.3, 'float32', index)));
    const features = tf.randomNormal([33, 131], 0, 1, 'float32', 11);
    const compiled = compileInference(model);
    const outputs = compiled?.run(features) ?? [];
    const reference = tf.tidy(() => {
      const applied = model.apply(features, { training: false }) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(applied) ? applied : [applied]).map((output) => output.dataSync());
    });
    expect(outputs).toHaveLength(1);
    expect(outputs.map((output) => Array.from(output))).toEqual(reference.map((output) => Array.from(output)));
    compiled?.dispose();
    features.dispose();
  });

  it('splits the fused Adam step of a large variable over the threads, every element as the formula gives it', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    expect(nativeThreadPool(tf.backend())?.threads).toBe(2);
    // 301 × 223 elements: past the split threshold and not a multiple of 4
    const shape = [301, 223];
    const value = tf.randomUniform(shape, -1, 1, 'float32', 11);
    const gradient = tf.randomUniform(shape, -1, 1, 'float32', 12);
    const firstMoment = tf.randomUniform(shape, -1, 1, 'float32', 13);
    const secondMoment = tf.randomUniform(shape, 0, 1, 'float32', 14);
    const attrs = {
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      oneMinusAccumulatedBeta1: 0.19,
      oneMinusAccumulatedBeta2: 0.002,
      epsilon: 1e-7,
    };
    const outputs = tf
      .engine()
      .runKernel(adamUpdateKernelName, { value, gradient, firstMoment, secondMoment }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const [v, g, m, s] = [value.dataSync(), gradient.dataSync(), firstMoment.dataSync(), secondMoment.dataSync()] as Float32Array[];
    const [newValue, newFirst, newSecond] = outputs.map((tensor) => tensor.dataSync()) as Float32Array[];
    for (let index = 0; index < (v as Float32Array).length; index++) {
      const gradientAt = (g as Float32Array)[index] as number;
      const first = ((m as Float32Array)[index] as number) * 0.9 + gradientAt * 0.1;
      const second = ((s as Float32Array)[index] as number) * 0.999 + gradientAt ** 2 * 0.001;
      const expected = (first / 0.19 / (Math.sqrt(second / 0.002) + 1e-7)) * -0.01 + ((v as Float32Array)[index] as number);
      if (Math.abs(((newFirst as Float32Array)[index] as number) - first) > 1e-6) throw new Error(`first moment differs at ${index}`);
      if (Math.abs(((newSecond as Float32Array)[index] as number) - second) > 1e-6) throw new Error(`second moment differs at ${index}`);
      if (Math.abs(((newValue as Float32Array)[index] as number) - expected) > 1e-5) throw new Error(`value differs at ${index}`);
    }
    tf.dispose([value, gradient, firstMoment, secondMoment, ...outputs]);
  });

  it('splits large element-wise kernels over the threads (relu, its gradient, arithmetic broadcast three ways, the max-pool gradient), bit for bit as the cpu backend', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    expect(nativeThreadPool(tf.backend())?.threads).toBe(2);
    // past the sharing threshold (2^18 elements), sizes not multiples of the thread count or of 4
    const compute = () => {
      const x = tf.randomUniform([3, 61, 67, 23], -1, 1, 'float32', 21);
      const other = tf.randomUniform([3, 61, 67, 23], -1, 1, 'float32', 22);
      const bias = tf.randomUniform([23], -1, 1, 'float32', 23);
      const perImage = tf.randomUniform([3, 1, 1, 23], -1, 1, 'float32', 24);
      const pooled = (input: tf.Tensor) => tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'same'));
      return [
        tf.relu(x),
        tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), other)))(x),
        tf.add(x, other),
        tf.add(x, bias),
        tf.mul(x, perImage),
        tf.grad(pooled)(x),
      ];
    };
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const outputs = tf.tidy(compute);
      const values = await Promise.all(outputs.map(async (tensor) => Array.from(await tensor.data())));
      tf.dispose(outputs);
      return values;
    };
    const reference = await run('cpu');
    const threaded = await run('wasm');
    // relu's gradient gives +0 where the cpu backend's dy · 0 gives -0: equal as numbers
    const mismatches = threaded.map(
      (values, output) => values.filter((value, index) => value !== (reference[output] as number[])[index]).length,
    );
    expect(mismatches).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('reports a share that fails, on a worker or here, and stays usable', async () => {
    await selectBackend({ preference: 'wasm', threads: 2, log: () => {} });
    const pool = nativeThreadPool(tf.backend());
    if (!pool) throw new Error('no native thread pool');
    const beyondMemory = 2 ** 32 - 64;
    // shares transposing from outside the memory trap; whichever thread claimed one, the call throws
    const valid = [0, 0, 0, 0, 0];
    const trapping = [beyondMemory, beyondMemory, 1, 64, 64];
    for (const shares of [
      [valid, trapping],
      [trapping, valid],
      [valid, valid, valid, trapping, valid, valid],
      [trapping, trapping, trapping],
    ])
      for (let round = 0; round < 5; round++) expect(() => pool.run('transpose_batched', shares)).toThrow();
    // shares the workers claim are all run: 64 single-row transposes fill the output
    const rows = 64;
    const input = tf.reshape(tf.range(0, rows * 3, 1, 'float32'), [rows, 1, 3]);
    const output = tf.zeros([rows, 3, 1]);
    const backend = tf.backend();
    const offset = (tensor: tf.Tensor) =>
      (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(tensor.dataId).memoryOffset;
    pool.run(
      'transpose_batched',
      Array.from({ length: rows }, (_, row) => [offset(input) + 12 * row, offset(output) + 12 * row, 1, 1, 3]),
    );
    expect(Array.from(output.dataSync())).toEqual(Array.from(input.dataSync()));
    tf.dispose([input, output]);
    const x = tf.randomUniform([2, 6, 5, 4], -1, 1, 'float32', 5) as tf.Tensor4D;
    const filter = tf.randomUniform([3, 3, 4, 8], -1, 1, 'float32', 6) as tf.Tensor4D;
    expect(Number.isFinite(tf.sum(tf.conv2d(x, filter, 1, 'same')).dataSync()[0])).toBe(true);
  });
});
