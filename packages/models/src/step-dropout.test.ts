import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepDropout } from './step-dropout';
import { saveAndLoad } from './test-support';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const maskAt = (layer: StepDropout, epoch: number, step: number) => {
  layer.setTrainingStep({ epoch, step });
  return tf.tidy(() => Array.from((layer.apply(tf.ones([4, 50]), { training: true }) as tf.Tensor).dataSync()));
};

describe('StepDropout', () => {
  it('draws a new mask at every step, the same one for every pass of a step and again after a "resume"', () => {
    const layer = new StepDropout({ rate: 0.5, seed: 3 });
    const first = maskAt(layer, 1, 0);
    expect(maskAt(layer, 1, 0)).toEqual(first);
    const second = maskAt(layer, 1, 1);
    const nextEpoch = maskAt(layer, 2, 0);
    expect(second).not.toEqual(first);
    expect(nextEpoch).not.toEqual(first);
    // another layer (a resumed process) at the same step draws the same mask; another seed another one
    expect(maskAt(new StepDropout({ rate: 0.5, seed: 3 }), 1, 1)).toEqual(second);
    expect(maskAt(new StepDropout({ rate: 0.5, seed: 4 }), 1, 1)).not.toEqual(second);
    // kept units scaled by 1 / (1 − rate); about half dropped
    expect(new Set(first)).toEqual(new Set([0, 2]));
    const dropped = first.filter((value) => value === 0).length;
    expect(dropped).toBeGreaterThan(60);
    expect(dropped).toBeLessThan(140);
  });

  it('passes inputs through outside training, saves and loads, and checks its options', async () => {
    const input = tfl.input({ shape: [3] });
    const model = tfl.model({
      inputs: input,
      outputs: new StepDropout({ rate: 0.3, seed: 1, name: 'drop' }).apply(input) as tfl.SymbolicTensor,
    });
    const x = tf.tensor2d([[1, 2, 3]]);
    expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual([1, 2, 3]);
    const loaded = await saveAndLoad(model);
    const layer = loaded.getLayer('drop') as StepDropout;
    expect(layer).toBeInstanceOf(StepDropout);
    expect([layer.rate, layer.seed]).toEqual([0.3, 1]);
    expect(() => new StepDropout({ rate: 1 })).toThrow(/rate must be in \[0, 1\)/);
    expect(() => new StepDropout({ rate: 0.1, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
