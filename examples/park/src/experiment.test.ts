import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadExperimentConfig, runExperiment } from 'polytask';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'experiment.json');

describe('experiment.json', () => {
  it('is a valid experiment that runs end to end on a fixture-sized stand-in corpus', async () => {
    const real = loadExperimentConfig(file);
    expect(real.datasets.length).toBeGreaterThan(0);
    // same extraction, split, model and training settings; the synthetic corpus stands in for the real ones
    const config = loadExperimentConfig(file, [
      `datasets=[{"reader":"synthetic","options":{"directory":${JSON.stringify(path.join(root, 'corpus'))},"clipsPerSpeakerAndKeyword":1}}]`,
      `cacheDirectory=${path.join(root, 'cache')}`,
      `runsDirectory=${path.join(root, 'runs')}`,
      'training.epochs=2',
      'split={"kind":"k-fold","folds":2}',
      'baselines=false',
    ]);
    const result = await runExperiment(config, { log: () => {} });
    expect(result.summary.map((row) => row.task)).toEqual(['keyword', 'pitch', 'noise']);
    expect(result.summary[0]?.multiTask).toHaveLength(2);
  });
});
