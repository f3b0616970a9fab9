import '@tensorflow/tfjs-backend-cpu';
import { createMultiTaskCnn, createMultiTaskDnn } from '@polytask/models';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileInference } from './compile-inference';
import { selectBackend } from './select-backend';
import { everyHeadKind } from './test-support';

beforeAll(async () => {
  await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
});

const tasks = everyHeadKind;

/** `model.apply`'s outputs, the reference the compiled run must equal bit for bit. */
function applied(model: tfl.LayersModel, features: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const outputs = model.apply(features, { training: false }) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(outputs) ? outputs : [outputs]).map((output) => output.dataSync() as Float32Array);
  });
}

/** The compiled run of `model` (which must compile). */
function compiledRun(model: tfl.LayersModel, features: tf.Tensor): Float32Array[] {
  const compiled = compileInference(model);
  if (!compiled) throw new Error(`${model.name} did not compile`);
  return compiled.run(features);
}

describe('compileInference', () => {
  it.each([
    ['a DNN with every head kind', { inputShape: [12], hiddenUnits: [16, 8] }],
    ['a DNN with dropout', { inputShape: [12], hiddenUnits: [16], dropout: 0.3 }],
    ['a DNN on 2-D features (flattened)', { inputShape: [4, 6], hiddenUnits: [9] }],
    ['a DNN with wide layers (products split into panels, edge columns)', { inputShape: [37], hiddenUnits: [70, 33] }],
  ])('runs %s bit for bit as model.apply, and follows new weights', (_, options) => {
    const model = createMultiTaskDnn({ ...options, tasks, seed: 3 });
    // biases start at zero: random ones, so a bias left out would show
    model.setWeights(model.getWeights().map((weight, index) => tf.randomNormal(weight.shape, 0, 0.5, 'float32', index)));
    const compiled = compileInference(model);
    if (!compiled) throw new Error('the DNN did not compile');
    const features = tf.randomNormal([7, ...options.inputShape], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const outputs = compiled.run(features);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
    const reference = applied(model, features);
    expect(outputs.map((output) => output.length)).toEqual(reference.map((output) => output.length));
    expect(outputs.map((output) => Array.from(output))).toEqual(reference.map((output) => Array.from(output)));
    // the multi-class head is a softmax, the others as their kinds say: probabilities differ from logits
    expect((outputs[0] as Float32Array).slice(0, 5).reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);

    model.setWeights(model.getWeights().map((weight, index) => tf.mul(weight, 1 + index / 10)));
    const changed = compiled.run(features);
    const changedReference = applied(model, features);
    expect(changed.map((output) => Array.from(output))).toEqual(changedReference.map((output) => Array.from(output)));
    expect(Array.from(changed[3] as Float32Array)).not.toEqual(Array.from(outputs[3] as Float32Array));
    features.dispose();
  });

  it('packs each weights tensor once, repacks new weights, and frees its packings when the weights change and on dispose', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const model = createMultiTaskDnn({ inputShape: [12], hiddenUnits: [16, 8], tasks, seed: 2 });
    const dense = model.layers.filter((layer) => layer.getClassName() === 'Dense').length;
    const features = tf.randomNormal([5, 12], 0, 1, 'float32', 8);
    const before = backend.numDataIds();
    const compiled = compileInference(model);
    compiled?.run(features);
    // one packing per dense layer, kept for the next batches
    expect(backend.numDataIds()).toBe(before + dense);
    compiled?.run(features);
    expect(backend.numDataIds()).toBe(before + dense);
    // new weights (new data): the old packings go after the run that used the new ones
    model.setWeights(model.getWeights().map((weight) => tf.mul(weight, 2)));
    const afterTraining = backend.numDataIds();
    const outputs = compiled?.run(features) ?? [];
    expect(backend.numDataIds()).toBe(afterTraining);
    expect(outputs.map((output) => Array.from(output))).toEqual(applied(model, features).map((output) => Array.from(output)));
    compiled?.dispose();
    expect(backend.numDataIds()).toBe(afterTraining - dense);
    features.dispose();
  });

  it('packs weights by data and shape: two layers whose kernels share data in different shapes', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [6], units: 4, useBias: false }), tfl.layers.dense({ units: 6, useBias: false })],
    });
    const base = tf.randomNormal([24], 0, 1, 'float32', 1);
    // a reshape shares its data: one weights buffer in two shapes
    (model.layers[0] as tfl.layers.Layer).setWeights([tf.reshape(base, [6, 4])]);
    (model.layers[1] as tfl.layers.Layer).setWeights([tf.reshape(base, [4, 6])]);
    const features = tf.randomNormal([3, 6], 0, 1, 'float32', 2);
    const compiled = compileInference(model);
    expect(Array.from((compiled?.run(features) ?? [])[0] ?? [])).toEqual(Array.from(applied(model, features)[0] as Float32Array));
    compiled?.dispose();
    tf.dispose([base, features]);
  });

  it('leaves models it does not compile to model.apply: convolutions, batch norm, several inputs, a layer used twice', () => {
    expect(compileInference(createMultiTaskCnn({ inputShape: [8, 8], tasks, filters: [4], denseUnits: 4 }))).toBeUndefined();
    expect(compileInference(createMultiTaskDnn({ inputShape: [6], tasks, hiddenUnits: [5], batchNorm: true }))).toBeUndefined();
    const first = tfl.input({ shape: [3] });
    const second = tfl.input({ shape: [3] });
    const joined = tfl.layers.add().apply([first, second]) as tfl.SymbolicTensor;
    const twoInputs = tfl.model({ inputs: [first, second], outputs: tfl.layers.dense({ units: 2 }).apply(joined) as tfl.SymbolicTensor });
    expect(compileInference(twoInputs)).toBeUndefined();
    const shared = tfl.layers.dense({ units: 3, activation: 'relu' });
    const input = tfl.input({ shape: [3] });
    const twice = tfl.model({ inputs: input, outputs: shared.apply(shared.apply(input)) as tfl.SymbolicTensor });
    expect(compileInference(twice)).toBeUndefined();
    const elu = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'elu' })] });
    expect(compileInference(elu)).toBeUndefined();
    // channels-first flattening transposes; channels-last is a view and compiles
    const flattened = (dataFormat: 'channelsFirst' | 'channelsLast') =>
      tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [3, 4], dataFormat }), tfl.layers.dense({ units: 2 })] });
    expect(compileInference(flattened('channelsFirst'))).toBeUndefined();
    const channelsLast = flattened('channelsLast');
    const grid = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 6);
    expect(Array.from(compiledRun(channelsLast, grid)[0] as Float32Array)).toEqual(
      Array.from(applied(channelsLast, grid)[0] as Float32Array),
    );
    grid.dispose();
  });

  it('runs your own model of the compiled kinds, falls back to model.apply where a dense layer gets 3-D input, and is not offered off the wasm backend', async () => {
    const model = createMultiTaskDnn({ inputShape: [4, 6], hiddenUnits: [5], tasks, seed: 1 });
    const compiled = compileInference(model);
    // a user's own sequential model of the compiled kinds
    const own = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 4, activation: 'relu' }),
        tfl.layers.activation({ activation: 'sigmoid' }),
        tfl.layers.dense({ units: 3, useBias: false }),
        tfl.layers.activation({ activation: 'softmax' }),
      ],
    });
    const ownFeatures = tf.randomNormal([3, 6], 0, 1, 'float32', 2);
    expect(Array.from(compiledRun(own, ownFeatures)[0] as Float32Array)).toEqual(Array.from(applied(own, ownFeatures)[0] as Float32Array));
    ownFeatures.dispose();
    const perStep = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2, 3], units: 4, activation: 'relu' })] });
    const stepFeatures = tf.randomNormal([5, 2, 3], 0, 1, 'float32', 4);
    expect(Array.from(compiledRun(perStep, stepFeatures)[0] as Float32Array)).toEqual(
      Array.from(applied(perStep, stepFeatures)[0] as Float32Array),
    );
    stepFeatures.dispose();
    // features the model does not take fail as model.apply fails, never read past a tensor
    const wrong = tf.zeros([2, 5, 6]);
    expect(() => compiledRun(model, wrong)).toThrow();
    expect(() => applied(model, wrong)).toThrow();
    wrong.dispose();

    await tf.setBackend('cpu');
    expect(compileInference(model)).toBeUndefined();
    await tf.setBackend('wasm');
    expect(compiled).toBeDefined();
    // wasm with tfjs's own product (whose operands must be 3-D), not Polytask's: not compiled
    const ours = tf.getKernel('_FusedMatMul', 'wasm') as tf.KernelConfig;
    tf.unregisterKernel('_FusedMatMul', 'wasm');
    tf.registerKernel({ ...ours, kernelFunc: (parameters) => ours.kernelFunc(parameters) });
    try {
      expect(compileInference(model)).toBeUndefined();
    } finally {
      tf.unregisterKernel('_FusedMatMul', 'wasm');
      tf.registerKernel(ours);
    }
    expect(compileInference(model)).toBeDefined();
  });
});
