import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend';

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
});
