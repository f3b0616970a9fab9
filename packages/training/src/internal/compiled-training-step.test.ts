import '@tensorflow/tfjs-backend-cpu';
import { createMultiTaskCnn, createMultiTaskDnn, StepDropout } from '@polytask/models';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../select-backend';
import { compileTrainingStep } from './compiled-training-step';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

const tasks = [
  { name: 'genre', kind: 'multi-class' as const, outputSize: 5 },
  { name: 'speech', kind: 'binary' as const, outputSize: 1 },
  { name: 'tags', kind: 'multi-label' as const, outputSize: 3 },
  { name: 'tempo', kind: 'regression' as const, outputSize: 1 },
];

/** A loss over every head kind (cross-entropy, binary cross-entropy, squared error), weighted by a variable; heads in `absent` left out. */
function lossOf(weight: tf.Variable, absent: ReadonlySet<number> = new Set()) {
  return (outputs: tf.Tensor[]): tf.Scalar =>
    tf.tidy(() => {
      const terms = outputs.flatMap((output, index) => {
        if (absent.has(index)) return [];
        const target = tf.randomUniform(output.shape, 0, 1, 'float32', 11 + index);
        if (index === 3) return [tf.mean(tf.square(tf.sub(output, target)))];
        const clipped = tf.clipByValue(output, 1e-7, 1 - 1e-7);
        return [tf.neg(tf.mean(tf.add(tf.mul(target, tf.log(clipped)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, clipped))))))];
      });
      return tf.mul(tf.exp(weight), tf.addN(terms)) as tf.Scalar;
    });
}

/** `tf.variableGrads` through `model.apply`: the reference, as arrays by variable name. */
function taped(model: tfl.LayersModel, features: tf.Tensor, loss: (outputs: tf.Tensor[]) => tf.Scalar, variables: tf.Variable[]) {
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(features, { training: true }) as tf.Tensor[];
    return loss(outputs);
  }, variables);
  const result = { value: value.dataSync()[0], grads: arrays(grads) };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

function arrays(grads: tf.NamedTensorMap): Record<string, number[]> {
  return Object.fromEntries(Object.entries(grads).map(([name, gradient]) => [name, Array.from(gradient.dataSync())]));
}

function randomised(model: tfl.LayersModel): tfl.LayersModel {
  // biases start at zero: random ones, so a bias left out would show
  model.setWeights(model.getWeights().map((weight, index) => tf.randomNormal(weight.shape, 0, 0.5, 'float32', index)));
  return model;
}

describe('compileTrainingStep', () => {
  it.each([
    ['a DNN with every head kind', { inputShape: [12], hiddenUnits: [16, 8] }],
    ['a DNN with dropout', { inputShape: [12], hiddenUnits: [16, 9], dropout: 0.3 }],
    ['a DNN on 2-D features (flattened)', { inputShape: [4, 6], hiddenUnits: [9] }],
    ['a DNN with wide layers (products split into panels, edge columns)', { inputShape: [37], hiddenUnits: [70, 33] }],
  ])('gives %s the loss and gradients of tf.variableGrads bit for bit, without leaking', (_, options) => {
    const model = randomised(createMultiTaskDnn({ ...options, tasks, seed: 3 }));
    for (const layer of model.layers) if (layer instanceof StepDropout) layer.setTrainingStep({ epoch: 2, step: 5 });
    const compiled = compileTrainingStep(model);
    if (!compiled) throw new Error('the DNN did not compile');
    const weight = tf.variable(tf.scalar(0.3), true, `loss_weight_${options.hiddenUnits.join('_')}`);
    const variables = [...model.trainableWeights.map((variable) => variable.read() as tf.Variable), weight];
    const features = tf.randomNormal([7, ...options.inputShape], 0, 1, 'float32', 5);
    for (const absent of [new Set<number>(), new Set([1, 3])]) {
      const loss = lossOf(weight, absent);
      const reference = taped(model, features, loss, variables);
      const before = tf.memory();
      const step = compiled.gradients({ features, loss, variables });
      if (!step) throw new Error('the step did not run compiled');
      expect(step.value.dataSync()[0]).toBe(reference.value);
      expect(Object.keys(step.grads).sort()).toEqual(Object.keys(reference.grads).sort());
      expect(arrays(step.grads)).toEqual(reference.grads);
      tf.dispose([step.value, ...Object.values(step.grads)]);
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
    }
    // absent heads get no gradient, as under the tape
    const partial = compiled.gradients({ features, loss: lossOf(weight, new Set([1])), variables });
    expect(Object.keys(partial?.grads ?? {}).some((name) => name.includes('speech'))).toBe(false);
    tf.dispose([partial?.value, ...Object.values(partial?.grads ?? {})].filter((tensor) => tensor !== undefined));
    tf.dispose([features, weight]);
  });

  it('leaves frozen layers without gradients and still passes gradients through them', () => {
    const model = randomised(createMultiTaskDnn({ inputShape: [10], hiddenUnits: [12, 8], tasks, seed: 4 }));
    (model.getLayer('shared_dense_1') as tfl.layers.Layer).trainable = false;
    const compiled = compileTrainingStep(model);
    const weight = tf.variable(tf.scalar(0), true, 'loss_weight_frozen');
    const variables = model.trainableWeights.map((variable) => variable.read() as tf.Variable);
    const features = tf.randomNormal([6, 10], 0, 1, 'float32', 8);
    const loss = lossOf(weight);
    const reference = taped(model, features, loss, variables);
    const step = compiled?.gradients({ features, loss, variables });
    expect(Object.keys(reference.grads).some((name) => name.includes('shared_dense_0'))).toBe(true);
    expect(Object.keys(reference.grads).some((name) => name.includes('shared_dense_1'))).toBe(false);
    expect(arrays(step?.grads ?? {})).toEqual(reference.grads);
    tf.dispose([step?.value, ...Object.values(step?.grads ?? {}), features, weight].filter((tensor) => tensor !== undefined));
  });

  it('runs nothing for features of another shape (the caller takes the tape), and does not compile other models', () => {
    const model = createMultiTaskDnn({ inputShape: [10], hiddenUnits: [6], tasks, seed: 4 });
    const weight = tf.variable(tf.scalar(0), true, 'loss_weight_shape');
    const features = tf.ones([3, 11]);
    const before = tf.memory().numTensors;
    expect(compileTrainingStep(model)?.gradients({ features, loss: lossOf(weight), variables: [weight] })).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([features, weight]);
    expect(compileTrainingStep(createMultiTaskCnn({ inputShape: [8, 8], tasks, filters: [4], denseUnits: 4 }))).toBeUndefined();
    expect(compileTrainingStep(createMultiTaskDnn({ inputShape: [6], tasks, hiddenUnits: [5], batchNorm: true }))).toBeUndefined();
    const tanh = createMultiTaskDnn({ inputShape: [6], tasks, hiddenUnits: [5], activation: 'tanh' });
    expect(compileTrainingStep(tanh)).toBeUndefined();
    // a softmax inside the model, not at an output
    const hiddenSoftmax = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 4, activation: 'softmax' }), tfl.layers.dense({ units: 2 })],
    });
    expect(compileTrainingStep(hiddenSoftmax)).toBeUndefined();
  });
});
