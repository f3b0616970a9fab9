import '@tensorflow/tfjs-backend-cpu';
import { createMmoeDnn, createMultiTaskCnn, createMultiTaskDnn } from '@polytask/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { representationGradientStep, splitAtRepresentation } from './representation-step';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const heads = [
  { name: 'a', kind: 'multi-class' as const, outputSize: 3 },
  { name: 'b', kind: 'binary' as const, outputSize: 1 },
];

describe('splitAtRepresentation', () => {
  it("cuts a hard-sharing model where its heads start: trunk and heads give the model's outputs", () => {
    const model = createMultiTaskDnn({ inputShape: [5], tasks: heads, hiddenUnits: [6, 4], seed: 1 });
    const { trunk, heads: chains } = splitAtRepresentation(model, 'mgda-ub');
    expect(trunk.outputs[0]?.shape).toEqual([null, 4]);
    expect(chains.map((chain) => chain.map((layer) => layer.name))).toEqual([['head_a'], ['head_b']]);
    const x = tf.randomNormal([2, 5], 0, 1, 'float32', 3);
    const whole = model.predict(x) as tf.Tensor[];
    const representation = trunk.predict(x) as tf.Tensor;
    for (const [index, chain] of chains.entries()) {
      const output = chain.reduce((tensor, layer) => layer.apply(tensor) as tf.Tensor, representation);
      expect(Array.from(output.dataSync())).toEqual(Array.from((whole[index] as tf.Tensor).dataSync()));
    }
  });

  it('refuses a model whose heads start below every trainable layer (no hidden layers)', () => {
    const model = createMultiTaskDnn({ inputShape: [4, 2], tasks: heads, hiddenUnits: [], seed: 1 });
    expect(() => splitAtRepresentation(model, 'mgda-ub')).toThrow(/below which nothing trains/);
  });

  it('refuses a model whose heads share no layer (expert mixtures), naming mgda instead', () => {
    const model = createMmoeDnn({ inputShape: [5], tasks: heads, hiddenUnits: [4], experts: 2, seed: 1 });
    expect(() => splitAtRepresentation(model, 'mgda-ub')).toThrow(/needs a model whose heads all start from one shared layer.*Use mgda/);
  });
});

describe('representationGradientStep', () => {
  it("leaves batch norm's moving statistics as one training forward pass leaves them", () => {
    const build = () => createMultiTaskCnn({ inputShape: [8, 8], tasks: heads, filters: [4], denseUnits: 4, batchNorm: true, seed: 2 });
    const x = tf.randomNormal([3, 8, 8], 0, 1, 'float32', 5);
    const once = build();
    tf.tidy(() => void once.apply(x, { training: true }));
    const model = build();
    const { trunk, heads: chains } = splitAtRepresentation(model, 'mgda-ub');
    const trunkVariables = new Set(trunk.trainableWeights.map((weight) => weight.read() as tf.Variable));
    const { gradients, losses } = representationGradientStep({
      representation: () => trunk.apply(x, { training: true }) as tf.Tensor,
      losses: (representation) =>
        new Map(
          chains.map((chain, index) => [
            heads[index]?.name as string,
            tf.mean(chain.reduce((tensor, layer) => layer.apply(tensor, { training: true }) as tf.Tensor, representation)) as tf.Scalar,
          ]),
        ),
      sharedVariables: [...trunkVariables],
      headVariables: model.trainableWeights
        .map((weight) => weight.read() as tf.Variable)
        .filter((variable) => !trunkVariables.has(variable)),
      merge: (perTask) => tf.addN([...perTask.values()]),
      keep: trunk.nonTrainableWeights,
    });
    expect([...losses.keys()]).toEqual(['a', 'b']);
    // every trainable variable has a gradient: the trunk's from the representation, the heads' from their tasks
    expect(Object.keys(gradients).length).toBe(model.trainableWeights.length);
    const moving = (built: typeof model) => built.nonTrainableWeights.map((weight) => Array.from(weight.read().dataSync()));
    expect(moving(model)).toEqual(moving(once));
    tf.dispose([x, ...Object.values(gradients)]);
  });
});
