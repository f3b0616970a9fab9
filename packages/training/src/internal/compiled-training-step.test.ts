import '@tensorflow/tfjs-backend-cpu';
import { createMultiTaskCnn, createMultiTaskDnn, StepDropout } from '@polytask/models';
import { combineDatasets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { LossCombinerSpec } from '../loss-combiners';
import { selectBackend } from '../select-backend';
import { crossEntropyLoss, regressionLoss, type TensorLoss } from '../task-losses';
import { events, everyHeadKind, keyword, learnableDataset, loudness, speaker } from '../test-support';
import { trainFold } from '../train-fold';
import { compileTrainingStep } from './compiled-training-step';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

const tasks = everyHeadKind;

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
    // the heads' gradients given (no tape): every head's weights get one, nothing leaks
    const before = tf.memory();
    const given = compiled.gradientsFromHeads({
      features,
      variables,
      headGradients: (outputs) => outputs.map((output) => output.map((value) => value - 0.5)),
    });
    if (!given) throw new Error('the step did not run compiled');
    expect(Object.keys(given).sort()).toEqual(model.trainableWeights.map((weight) => (weight.read() as tf.Variable).name).sort());
    expect(Object.values(given).every((gradient) => gradient.dataSync().every(Number.isFinite))).toBe(true);
    tf.dispose(Object.values(given));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
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

describe('trainFold with the compiled step', () => {
  // three datasets: every head kind, tasks missing from most batches, class weights on one task
  const train = combineDatasets([
    learnableDataset({ name: 'words', tasks: [keyword], count: 20, seed: 1 }),
    learnableDataset({ name: 'voices', tasks: [speaker, events], count: 16, seed: 2 }),
    learnableDataset({ name: 'levels', tasks: [loudness, speaker], count: 12, seed: 3 }),
  ]);
  const heads = train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const weights = [0.7, 1.4];

  /** Trains 3 epochs; `tape`: the same losses as functions of their own, so the step takes the tape. */
  async function trained(lossCombiner: LossCombinerSpec, tape: boolean) {
    const model = createMultiTaskDnn({ inputShape: [4, 8], tasks: heads, hiddenUnits: [16, 12], dropout: 0.2, seed: 5 });
    const own =
      (loss: TensorLoss): TensorLoss =>
      (input) =>
        loss(input);
    const gradients = vi.spyOn(tf.engine(), 'gradients');
    const result = await trainFold({
      model,
      train,
      epochs: 3,
      batchSize: 8,
      seed: 9,
      lossCombiner,
      ...(tape
        ? {
            taskLosses: {
              keyword: own(crossEntropyLoss()),
              speaker: own(crossEntropyLoss({ weights })),
              events: own(crossEntropyLoss()),
              loudness: own(regressionLoss({ kind: 'mean-squared-error' })),
            },
          }
        : { losses: { speaker: { kind: 'cross-entropy', classWeights: weights } } }),
    });
    // the heads' path differentiates scalars only (the combination of the losses); the tape's, the heads' outputs
    const differentiated = gradients.mock.calls.flatMap(([, xs]) => xs.map((x) => x.rank));
    gradients.mockRestore();
    const values = model.getWeights().map((weight) => Array.from(weight.dataSync()));
    model.dispose();
    return { result, values, differentiated };
  }

  it.each([['sum' as const], ['uncertainty' as const], ['dynamic-weight-average' as const], ['random-loss-weighting' as const]])(
    'takes the heads from their closed forms (%s combiner): the losses and weights of the tape, up to rounding',
    async (kind) => {
      const heads = await trained({ kind } as LossCombinerSpec, false);
      const tape = await trained({ kind } as LossCombinerSpec, true);
      expect(heads.differentiated.every((rank) => rank === 0)).toBe(true);
      expect(tape.differentiated.some((rank) => rank === 2)).toBe(true);
      for (const [epoch, record] of heads.result.history.entries()) {
        const reference = tape.result.history[epoch]?.train;
        for (const task of record.train.tasks) {
          const other = reference?.tasks.find((candidate) => candidate.task === task.task);
          expect(task.loss ?? Number.NaN).toBeCloseTo(other?.loss ?? Number.NaN, 4);
        }
      }
      for (const [index, values] of heads.values.entries())
        for (const [at, value] of values.entries()) expect(value).toBeCloseTo((tape.values[index] as number[])[at] as number, 4);
    },
  );
});
