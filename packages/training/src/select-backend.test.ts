import { BackendUnavailableError, InvalidArgumentError, MissingDependencyError } from '@polytask/core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from './select-backend';

async function matmulWorks(): Promise<void> {
  const product = tf.matMul(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    tf.tensor2d([[5], [6]]),
  );
  expect(Array.from(await product.data())).toEqual([17, 39]);
  product.dispose();
}

describe('selectBackend with the packages installed here', () => {
  it('skips the installed but unloadable tfjs-node packages and runs on wasm, reporting once', async () => {
    const log = vi.fn();
    const selection = await selectBackend({ preference: 'auto', threads: 1, log });
    expect(selection.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(selection.attempts.map((attempt) => [attempt.packageName, attempt.selected])).toEqual([
      ['@tensorflow/tfjs-node-gpu', false],
      ['@tensorflow/tfjs-node', false],
      ['@tensorflow/tfjs-backend-wasm', true],
    ]);
    // They are installed (dev dependencies) but their native library was never downloaded.
    expect(selection.attempts[0]?.reason).not.toBe('not installed');
    expect(selection.summary).toMatch(
      /^polytask: backend wasm \(@tensorflow\/tfjs-backend-wasm, SIMD, 1 thread\); skipped @tensorflow\/tfjs-node-gpu: /,
    );
    await matmulWorks();

    const again = await selectBackend({ preference: 'auto', threads: 1, log });
    expect(again).toBe(selection);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith(selection.summary);
  });

  it('honours POLYTASK_BACKEND=cpu', async () => {
    vi.stubEnv('POLYTASK_BACKEND', 'cpu');
    try {
      const selection = await selectBackend({ threads: 1, log: () => {} });
      expect(selection.backend).toBe('cpu');
      expect(selection.preference).toBe('cpu');
      expect(selection.summary).toContain('forced');
      expect(tf.getBackend()).toBe('cpu');
      await matmulWorks();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a forced backend that cannot start, naming it', async () => {
    const attempt = selectBackend({ preference: 'tensorflow', log: () => {} });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(
      /Backend "tensorflow" was requested but cannot start \(@tensorflow\/tfjs-node-gpu: .+; @tensorflow\/tfjs-node: .+\)/,
    );
    await expect(attempt).rejects.toMatchObject({ backend: 'tensorflow' });
  });

  it('rejects unknown preferences and thread counts with typed errors', () => {
    expect(() => selectBackend({ preference: 'webgpu' })).toThrow(InvalidArgumentError);
    expect(() => selectBackend({ preference: 'webgpu' })).toThrow(/use one of auto, tensorflow, wasm, cpu/);
    expect(() => selectBackend({ threads: 0 })).toThrow(InvalidArgumentError);
    expect(() => selectBackend({ threadedStartTimeoutMs: 0 })).toThrow(/threadedStartTimeoutMs 0 is not a positive number/);
  });
});

describe('selectBackend fallback order', () => {
  const notInstalled = (specifier: string) =>
    Promise.reject(new MissingDependencyError({ packageName: specifier, message: `${specifier} is not installed` }));

  it('prefers a native tensorflow backend when one loads', async () => {
    const imported: string[] = [];
    const selection = await selectBackend({
      preference: 'tensorflow',
      log: () => {},
      importModule: async (specifier) => {
        imported.push(specifier);
        if (specifier === '@tensorflow/tfjs-node-gpu') return notInstalled(specifier);
        // Stand-in for tfjs-node: registers a backend under the name tfjs-node uses.
        tf.registerBackend('tensorflow', () => new MathBackendCPU());
        return {};
      },
    });
    expect(imported).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(selection.backend).toBe('tensorflow');
    expect(selection.packageName).toBe('@tensorflow/tfjs-node');
    expect(selection.attempts[0]).toMatchObject({ selected: false, reason: 'not installed' });
    expect(tf.getBackend()).toBe('tensorflow');
    tf.removeBackend('tensorflow');
  });

  it('falls back to cpu when nothing faster is installed', async () => {
    const selection = await selectBackend({
      preference: 'auto',
      log: () => {},
      importModule: (specifier) => (specifier === '@tensorflow/tfjs-backend-cpu' ? import(specifier) : notInstalled(specifier)),
    });
    expect(selection.backend).toBe('cpu');
    expect(selection.attempts.map((attempt) => attempt.reason)).toEqual([
      'not installed',
      'not installed',
      'not installed',
      'pure JavaScript, single thread',
    ]);
  });

  it('fails with every reason when no backend is installed', async () => {
    await expect(selectBackend({ preference: 'auto', log: () => {}, importModule: notInstalled })).rejects.toThrow(
      /No tfjs backend could start .*@tensorflow\/tfjs-backend-cpu: not installed/,
    );
  });
});
