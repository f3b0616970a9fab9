/**
 * training.augmentations reach each fold's trainFold: a run with them trains differently from one
 * without, and two runs of one config record the same metrics; noise mixing reads its corpus through
 * a reader of its own, with the experiment's extraction and cache.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config';
import { runExperiment } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-augment-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (name: string, augmentations?: unknown[], preparation: Record<string, unknown> = { frames: { fit: 'minimum' } }) =>
  parseExperimentConfig({
    name,
    datasets: [{ reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1 } }],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    preparation,
    model: { kind: 'dnn', hiddenUnits: [8] },
    training: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3, ...(augmentations ? { augmentations } : {}) },
    backend: 'cpu',
  });

/** Each record's split and loss, in order. */
const losses = (run: string) =>
  readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { fold: number; epoch: number; split: string; loss: number })
    .map((record) => `${record.fold}/${record.epoch}/${record.split}: ${record.loss}`);

describe('an experiment with training augmentations', () => {
  it('trains with them, reproducibly', async () => {
    const augmentations = [
      { kind: 'spec-augment', frequencyMaskWidth: 4, timeMaskWidth: 2, maskValue: 0 },
      { kind: 'random-gain', minimumDecibels: -3, maximumDecibels: 3 },
      { kind: 'mixup', alpha: 0.4 },
    ];
    const plain = await runExperiment(config('plain'), { log: () => {} });
    const first = await runExperiment(config('augmented', augmentations), { log: () => {} });
    const second = await runExperiment(config('augmented-again', augmentations), { log: () => {} });
    expect(losses(second.runDirectory)).toEqual(losses(first.runDirectory));
    const train = (run: string) => losses(run).filter((line) => line.includes('/train:'));
    expect(train(first.runDirectory)).toHaveLength(4);
    expect(train(first.runDirectory)).not.toEqual(train(plain.runDirectory));
  });
});

describe('noise mixing from a noise corpus read by any reader', () => {
  const unscaled = { frames: { fit: 'minimum' }, scaling: null };
  const noise = (options: Record<string, unknown> = {}) => ({
    kind: 'noise-mixing',
    // the scenes corpus as background noise: another reader entry, extracted into the same cache
    corpus: { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(root, 'noise'), clipsPerSiteAndScene: 1 } },
    minimumSnr: 0,
    maximumSnr: 10,
    featureScale: 'decibels',
    ...options,
  });

  it('reads the corpus once per run, mixes it into the training batches, reproducibly', async () => {
    const lines: string[] = [];
    const plain = await runExperiment(config('noise-plain', undefined, unscaled), { log: () => {} });
    const first = await runExperiment(config('noisy', [noise()], unscaled), { log: (line) => lines.push(line) });
    const second = await runExperiment(config('noisy-again', [noise()], unscaled), { log: () => {} });
    expect(
      lines.some((line) => /^noise corpus synthetic-scenes \(training\.augmentations\.0\): \d+ items, features extracted/.test(line)),
    ).toBe(true);
    expect(losses(second.runDirectory)).toEqual(losses(first.runDirectory));
    const split = (run: string, name: string) => losses(run).filter((line) => line.includes(`/${name}:`));
    expect(split(first.runDirectory, 'train')).not.toEqual(split(plain.runDirectory, 'train'));
    // probability 0: no item gets noise, so training is the plain run's
    const silent = await runExperiment(config('noise-never', [noise({ probability: 0 })], unscaled), { log: () => {} });
    expect(losses(silent.runDirectory)).toEqual(losses(plain.runDirectory));
  });

  it('names the corpus entry when its reader or options are wrong', async () => {
    const wrongOption = noise({ corpus: { reader: 'synthetic', options: { directry: path.join(root, 'noise') } } });
    await expect(runExperiment(config('noise-option', [wrongOption], unscaled), { log: () => {} })).rejects.toThrow(
      /training\.augmentations\.0\.corpus\.options\.directry/,
    );
  });
});
