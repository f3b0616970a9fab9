import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { BackendUnavailableError } from '@polytask/core';
import { createMultiTaskCnn, createMultiTaskDnn } from '@polytask/models';
import { combineDatasets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { keyword, learnableDataset } from './test-support';
import { trainFold } from './train-fold';
import { explainMissingKernel, trainingKernelsFor } from './training-kernels';

const heads = [{ name: keyword.name, kind: keyword.kind, outputSize: keyword.outputSize }];

describe('trainingKernelsFor', () => {
  it("lists the forward and backward kernels of a model's layers", () => {
    const cnn = trainingKernelsFor(createMultiTaskCnn({ inputShape: [8, 8], tasks: heads, filters: [4], batchNorm: true }));
    for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'FusedBatchNorm', 'Mean', 'Relu', 'Softmax'])
      expect(cnn).toContain(name);
    const dnn = trainingKernelsFor(createMultiTaskDnn({ inputShape: [6], tasks: heads, hiddenUnits: [5] }));
    expect(dnn).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'Relu', 'Softmax', 'Sum']));
    expect(dnn).not.toContain('Conv2DBackpropFilter');
  });

  it('stops training before the first batch when the backend lacks a kernel the model needs', async () => {
    await tf.setBackend('cpu');
    const removed = tf.getKernel('MaxPoolGrad', 'cpu');
    if (!removed) throw new Error('the cpu backend has no MaxPoolGrad');
    tf.unregisterKernel('MaxPoolGrad', 'cpu');
    try {
      const model = createMultiTaskCnn({ inputShape: [4, 8], tasks: heads, filters: [4] });
      const train = combineDatasets([learnableDataset({ name: 'a', tasks: [keyword], count: 8 })]);
      const failure = await trainFold({ model, train, epochs: 1, batchSize: 4 }).catch((error: unknown) => error);
      expect(BackendUnavailableError.isInstance(failure)).toBe(true);
      expect((failure as Error).message).toMatch(/cpu backend has no kernel for MaxPoolGrad/);
    } finally {
      tf.registerKernel(removed);
    }
  });

  it("explains tfjs's missing-kernel error and passes other errors through", () => {
    const explained = explainMissingKernel(new Error("Kernel 'MaxPoolGrad' not registered for backend 'wasm'"));
    expect(BackendUnavailableError.isInstance(explained)).toBe(true);
    expect((explained as Error).message).toMatch(/wasm backend has no kernel for MaxPoolGrad.*selectBackend/);
    const other = new RangeError('unrelated');
    expect(explainMissingKernel(other)).toBe(other);
  });
});
