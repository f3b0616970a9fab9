import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseExperimentConfig } from './experiment-config';
import { runExperiment } from './run-experiment';

const config = (backend?: string) =>
  parseExperimentConfig({
    datasets: [{ reader: 'fake' }],
    extraction: { name: 'log-mel', sampleRate: 16000 },
    ...(backend === undefined ? {} : { backend }),
  });

/** Runs an experiment until its backend is active; reading the datasets then stops it. */
async function selectOnly(backend?: string): Promise<string[]> {
  const lines: string[] = [];
  const importReader = async () => {
    throw new Error('stop after the backend');
  };
  await expect(runExperiment(config(backend), { log: (line) => lines.push(line), importReader })).rejects.toThrow(/stop after the backend/);
  return lines;
}

describe('the backend of an experiment', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('leaves an unset or "auto" backend to POLYTASK_BACKEND, then the automatic order', () => {
    expect(config().backend).toBeUndefined();
    expect(config('auto').backend).toBeUndefined();
    expect(config('wasm').backend).toBe('wasm');
  });

  it('POLYTASK_BACKEND=cpu selects cpu when the config does not set a backend', async () => {
    vi.stubEnv('POLYTASK_BACKEND', 'cpu');
    const lines = await selectOnly();
    expect(tf.getBackend()).toBe('cpu');
    expect(lines.some((line) => line.startsWith('polytask: backend cpu'))).toBe(true);
    await selectOnly('auto');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('a backend set in the config wins over POLYTASK_BACKEND', async () => {
    vi.stubEnv('POLYTASK_BACKEND', 'wasm');
    await selectOnly('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
