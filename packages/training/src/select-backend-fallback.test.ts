import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as layers from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import { workersNeverLoadVariable } from './internal/wasm-threads';
import { selectBackend } from './select-backend';

// this file runs in its own worker: the threaded start it abandons does not reach the other test files
describe('selectBackend when the threaded wasm build never finishes starting', () => {
  it('falls back to the single-threaded build, says so, and trains', async () => {
    // every pthread worker blocks before loading: the threaded start never finishes, however long it is given
    vi.stubEnv(workersNeverLoadVariable, '1');
    // its worker source goes to a folder of its own, not the shared one
    const temporary = mkdtempSync(path.join(os.tmpdir(), 'polytask-fallback-'));
    vi.stubEnv('TMPDIR', temporary);
    const log = vi.fn();
    let selection: Awaited<ReturnType<typeof selectBackend>>;
    try {
      selection = await selectBackend({ preference: 'wasm', threads: 2, threadedStartTimeoutMs: 1_000, log });
    } finally {
      vi.unstubAllEnvs();
      rmSync(temporary, { recursive: true, force: true });
    }
    expect(selection.backend).toBe('wasm');
    expect(selection.threads).toBe(1);
    expect(selection.fallback).toEqual({ from: 'wasm-threads', reason: 'threaded build did not start within 1 s' });
    expect(selection.summary).toBe(
      'polytask: backend wasm (@tensorflow/tfjs-backend-wasm, SIMD, 1 thread), forced by POLYTASK_BACKEND/preference; ' +
        'fell back from the threaded wasm build: threaded build did not start within 1 s',
    );
    expect(log).toHaveBeenCalledExactlyOnceWith(selection.summary);

    // one backend, the single-threaded module: no threaded module finishing late takes over
    expect(tf.getBackend()).toBe('wasm');
    expect((tf.backend() as unknown as { wasm: { PThread?: unknown } }).wasm.PThread).toBeUndefined();

    // a small convolutional training step (it needs the wasm training kernels) lowers the loss
    const model = layers.sequential({
      layers: [
        layers.layers.conv2d({ inputShape: [6, 5, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
        layers.layers.flatten(),
        layers.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([8, 6, 5, 2], -1, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    const history = await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    expect(tf.getBackend()).toBe('wasm');
  });
});
