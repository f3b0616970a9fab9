import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadExperimentConfig, openRun, resumeExperiment, runExperiment } from 'polytask';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-extension-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));
const overrides = (name: string) => [
  `name=${name}`,
  `datasets.0.options.directory=${path.join(root, 'voices')}`,
  `datasets.1.options.directory=${path.join(root, 'scenes')}`,
  `cacheDirectory=${path.join(root, 'cache')}`,
  `runsDirectory=${path.join(root, 'runs')}`,
];

describe('an extension package named in experiment.json', () => {
  let straight: Awaited<ReturnType<typeof runExperiment>>;

  it('trains with its model, loss combiner and sampler, every task of both corpora above chance', async () => {
    straight = await runExperiment(loadExperimentConfig(file, overrides('straight')), { log: () => {} });
    const config = openRun(straight.runDirectory).config as { model: { kind: string; package: string } };
    expect(config.model).toEqual({ kind: 'package', package: '@example/extension-package', options: { units: 48 } });
    // the residual model is the one that trained
    const topology = JSON.parse(
      readFileSync(path.join(straight.runDirectory, 'fold-0', 'multi-task', 'checkpoints', 'fold-0', 'epoch-15', 'model.json'), 'utf8'),
    ) as { modelTopology: { config: { name: string } } };
    expect(topology.modelTopology.config.name).toBe('residual_multi_task_dnn');
    const metric = (task: string) => straight.summary.find((row) => row.task === task)?.multiTask ?? [];
    // chance: keyword 1/4, pitch 1/2, scene 1/3; multi-label tasks by macro F1
    for (const value of metric('keyword')) expect(value).toBeGreaterThan(0.5);
    for (const value of metric('pitch')) expect(value).toBeGreaterThan(0.7);
    expect(straight.summary.length).toBeGreaterThan(4);
  });

  it('resumes a run interrupted mid-epoch to the same result (the sampler is resumable)', async () => {
    const controller = new AbortController();
    const first = await runExperiment(loadExperimentConfig(file, overrides('interrupted')), {
      log: () => {},
      signal: controller.signal,
      observers: [{ onBatchEnd: (info) => void (info.fold === 1 && info.epoch === 4 && info.batch === 3 && controller.abort()) }],
    });
    const resumed = await resumeExperiment(first.runDirectory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
  });

  it('names a missing export', async () => {
    const error = await runExperiment(
      loadExperimentConfig(file, [...overrides('broken'), 'training.sampling={"package":"@polytask/dataset-synthetic"}']),
      { log: () => {} },
    ).catch((caught: unknown) => caught);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/training\.sampling: @polytask\/dataset-synthetic exports no createBatchSampler/);
  });
});
