import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import type { TaskKind } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropyLoss, type LossForm, lossForm, regressionLoss } from '../task-losses';
import { headLossGradient } from './head-loss-gradient';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tape's loss and gradient with respect to the logits: activation, the tensor loss, the masked mean. */
function taped(options: {
  kind: TaskKind;
  loss: ReturnType<typeof crossEntropyLoss>;
  logits: tf.Tensor2D;
  targets: tf.Tensor2D;
  mask: number[];
}) {
  const { kind, loss, logits, targets, mask } = options;
  const carrying = mask.reduce((sum, value) => sum + value, 0);
  const value = (z: tf.Tensor) => {
    const outputs = kind === 'multi-class' ? tf.softmax(z) : kind === 'regression' ? z : tf.sigmoid(z);
    return tf.div(tf.sum(tf.mul(loss({ probabilities: outputs as tf.Tensor2D, targets, kind }), tf.tensor1d(mask))), carrying);
  };
  const { value: total, grad } = tf.valueAndGrad(value)(logits);
  return { loss: total.dataSync()[0] as number, gradient: Array.from(grad.dataSync()), carrying };
}

describe('headLossGradient', () => {
  const rows = 6;
  // large logits in two rows, so some probabilities fall outside the clip bounds (no gradient there)
  const logitsOf = (width: number) =>
    tf.mul(tf.randomNormal([rows, width], 0, 2, 'float32', width), tf.tensor2d([1, 1, 12, 1, 1, 30], [rows, 1])) as tf.Tensor2D;
  const cases: [string, TaskKind, number, ReturnType<typeof crossEntropyLoss>, LossForm['kind']][] = [
    ['multi-class cross-entropy', 'multi-class', 5, crossEntropyLoss(), 'cross-entropy'],
    ['weighted multi-class cross-entropy', 'multi-class', 4, crossEntropyLoss({ weights: [0.5, 2, 1, 3] }), 'cross-entropy'],
    ['binary cross-entropy', 'binary', 1, crossEntropyLoss(), 'cross-entropy'],
    ['weighted binary cross-entropy', 'binary', 1, crossEntropyLoss({ weights: [0.3, 1.7] }), 'cross-entropy'],
    ['multi-label cross-entropy', 'multi-label', 3, crossEntropyLoss(), 'cross-entropy'],
    ['weighted multi-label cross-entropy', 'multi-label', 3, crossEntropyLoss({ weights: [2, 0.5, 4] }), 'cross-entropy'],
    ['squared error', 'regression', 2, regressionLoss({ kind: 'mean-squared-error' }), 'mean-squared-error'],
  ];
  it.each(cases)('%s: the tape loss and logit gradient, masked rows left out', (_, kind, width, loss, formKind) => {
    const form = lossForm(loss);
    expect(form?.kind).toBe(formKind);
    const logits = logitsOf(width);
    const targets =
      kind === 'multi-class'
        ? tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, width - 1, 0, 1], 'int32'), width), 'float32')
        : kind === 'regression'
          ? tf.randomNormal([rows, width], 0, 1, 'float32', 3)
          : tf.cast(tf.greater(tf.randomUniform([rows, width], 0, 1, 'float32', 4), 0.5), 'float32');
    const mask = [1, 0, 1, 1, 0, 1];
    const reference = taped({ kind, loss, logits, targets: targets as tf.Tensor2D, mask });
    const outputs = tf.tidy(() => (kind === 'multi-class' ? tf.softmax(logits) : kind === 'regression' ? logits : tf.sigmoid(logits)));
    const result = headLossGradient({
      form: form as LossForm,
      kind,
      outputs: outputs.dataSync() as Float32Array,
      targets: targets.dataSync() as Float32Array,
      mask: Float32Array.from(mask),
      carrying: reference.carrying,
      width,
    });
    expect(result.loss).toBeCloseTo(reference.loss, 5);
    expect(result.logitGradient.length).toBe(reference.gradient.length);
    for (const [index, value] of reference.gradient.entries()) expect(result.logitGradient[index]).toBeCloseTo(value, 6);
    // rows that do not carry the task get no gradient
    for (const row of [1, 4])
      expect(Array.from(result.logitGradient.slice(row * width, (row + 1) * width)).every((value) => value === 0)).toBe(true);
  });

  it('has no closed form for focal losses, other regression losses and losses of your own', () => {
    expect(lossForm(crossEntropyLoss({ gamma: 2 }))).toBeUndefined();
    expect(lossForm(regressionLoss({ kind: 'huber' }))).toBeUndefined();
    expect(lossForm(({ probabilities }) => tf.sum(probabilities, 1) as tf.Tensor1D)).toBeUndefined();
  });
});
