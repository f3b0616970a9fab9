import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@polytask/core';
import { fileSystemModelHandler } from '@polytask/embeddings';
import * as tf from '@tensorflow/tfjs-core';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config';
import { experimentExtractionRegistry, readExperimentDatasets } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-embedding-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the "embedding" extraction in an experiment config', () => {
  it('runs the model in extraction.params over every clip and caches its embeddings like any feature', async () => {
    // half-second waveform examples (8000 samples at 16 kHz) → 4 numbers
    const model = sequential({
      layers: [layers.dense({ inputShape: [8000], units: 4, activation: 'tanh', kernelInitializer: 'glorotUniform' })],
    });
    const modelPath = path.join(root, 'model', 'model.json');
    await model.save(fileSystemModelHandler(modelPath));
    const config = parseExperimentConfig({
      datasets: [{ reader: 'synthetic', options: { directory: path.join(root, 'corpus'), clipsPerSpeakerAndKeyword: 1 } }],
      extraction: {
        name: 'embedding',
        sampleRate: 16000,
        params: { modelPath, format: 'layers', framing: { frameSeconds: 0.5, hopSeconds: 0.5, input: 'waveform' } },
      },
      cacheDirectory: path.join(root, 'cache'),
    });
    const logs: string[] = [];
    const [dataset] = await readExperimentDatasets(config, { log: (line) => logs.push(line) });
    expect(dataset?.size).toBeGreaterThan(0);
    const features = dataset?.featuresOf(0);
    expect(features?.shape[1]).toBe(4);
    expect(Array.from(features?.data ?? []).every(Number.isFinite)).toBe(true);
    // the second read comes from the cache
    await readExperimentDatasets(config, { log: (line) => logs.push(line) });
    expect(logs.at(-1)).toContain('from the cache');
  });

  it('says what params it needs', async () => {
    await expect(experimentExtractionRegistry({ name: 'embedding', sampleRate: 16000, params: { format: 'layers' } })).rejects.toThrow(
      ConfigError,
    );
    expect(await experimentExtractionRegistry({ name: 'log-mel', sampleRate: 16000, params: {} })).toBeUndefined();
  });
});
