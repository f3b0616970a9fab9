import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAsvspoof2015Fixture } from '@polytask/dataset-asvspoof2015/testing';
import { writeDcase2017EventsFixture } from '@polytask/dataset-dcase2017-events/testing';
import { writeDcase2017ScenesFixture } from '@polytask/dataset-dcase2017-scenes/testing';
import { writeFsdKaggle2018Fixture } from '@polytask/dataset-fsdkaggle2018/testing';
import { writeRavdessFixture } from '@polytask/dataset-ravdess/testing';
import { writeSpeechCommandsFixture } from '@polytask/dataset-speech-commands/testing';
import { loadExperimentConfig, planConfig, readExperimentDatasets } from 'polytask';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));
const importReader = (packageName: string) => import(/* @vite-ignore */ packageName);

/** The smallest fixture corpora in the real layouts, with short clips (the CNN's cost grows with the examples). */
const fixtures = {
  asvspoof2015: (directory: string) =>
    writeAsvspoof2015Fixture({ directory, speakersPerList: 1, genuinePerSpeaker: 1, spoofsPerAttack: 1, seconds: 0.1 }),
  'dcase2017-scenes': (directory: string) =>
    writeDcase2017ScenesFixture({ directory, scenes: ['bus', 'park'], locationsPerSceneAndFold: 1, segmentsPerLocation: 1, seconds: 0.1 }),
  'dcase2017-events': (directory: string) => writeDcase2017EventsFixture({ directory, recordingsPerFold: 1, seconds: 1 }),
  fsdkaggle2018: (directory: string) =>
    writeFsdKaggle2018Fixture({ directory, labels: ['Bark', 'Cello'], trainClipsPerLabel: 2, testClipsPerLabel: 1, seconds: 0.1 }),
  ravdess: (directory: string) => writeRavdessFixture({ directory, actorCount: 2, seconds: 0.1 }),
  'speech-commands': (directory: string) =>
    writeSpeechCommandsFixture({ directory, words: ['yes', 'no', 'bed'], speakerCount: 3, seconds: 0.1, backgroundNoiseSeconds: 2 }),
};

/**
 * The real experiment.json, every variant, on the fixture corpora; to keep the test short, two folds
 * (a divisor of the DCASE corpora's four) and no single-task baselines, one epoch a unit. Also its config as run.
 */
const fixtureRun = (async () => {
  const run = await runExperimentOnFixtures({
    file,
    directory: root,
    fixtures,
    importReader,
    overrides: ['split.folds=2', 'baselines=false'],
  });
  return { run, config: loadExperimentConfig(path.join(run.result.runDirectory, 'config.json')) };
})();

const tasks = ['spoof', 'attack', 'gender', 'scene', 'events', 'sound', 'emotion', 'stress', 'keyword'];
const variants = ['log-mel,cnn', 'log-mel,dnn', 'mfcc,cnn', 'mfcc,dnn'];

describe('experiment.json (the thesis variation experiment)', () => {
  it('is the thesis set-up: its corpora, 32 kHz, two extractions times two models, four folds, each task also alone', () => {
    const config = loadExperimentConfig(file);
    expect(config.datasets.map((entry) => [entry.reader, entry.options.mode ?? entry.options.variant ?? null])).toEqual([
      ['asvspoof2015', null],
      ['dcase2017-scenes', null],
      ['dcase2017-events', null],
      ['fsdkaggle2018', null],
      ['ravdess', 'emotion'],
      ['ravdess', 'stress'],
      ['speech-commands', 12],
    ]);
    expect(config.split).toEqual({ kind: 'k-fold', folds: 4, seed: 123 });
    expect(config.preparation).toEqual({ windows: { length: 98, hop: 24 }, scaling: 'per-feature' });
    expect(config.training).toMatchObject({ epochs: 50, batchSize: 16, lr: 0.001, optimizer: 'adam', sampling: 'per-dataset' });
    expect(config.baselines).toBe(true);
    const sweep = config.sweep?.variants ?? [];
    expect(sweep.map((variant) => variant.name)).toEqual(variants);
    expect(
      sweep.map((variant) => [(variant.set.extraction as { name: string }).name, (variant.set.model as { kind: string }).kind]),
    ).toEqual([
      ['log-mel', 'cnn'],
      ['log-mel', 'dnn'],
      ['mfcc', 'cnn'],
      ['mfcc', 'dnn'],
    ]);
    expect(sweep[0]?.set.extraction).toMatchObject({ sampleRate: 32000, params: { fftSize: 2048, hopLength: 256, melBandCount: 128 } });
    expect(sweep[2]?.set.extraction).toMatchObject({ sampleRate: 32000, params: { melBandCount: 24, coefficientCount: 13 } });
    expect(sweep[0]?.set.model).toEqual({ kind: 'cnn', filters: [64, 64, 64, 64], kernelSize: [5, 5], batchNorm: true, denseUnits: 0 });
    expect(sweep[1]?.set.model).toEqual({ kind: 'dnn', hiddenUnits: [512, 512, 512, 512] });
  });

  it('plans every variant with every task over four folds, the multi-task model and each task alone', async () => {
    const { config } = await fixtureRun;
    // the config as configured (four folds, baselines) on the fixture corpora
    const plan = await planConfig(
      { ...config, split: { kind: 'k-fold', folds: 4, seed: 123 }, baselines: true },
      { importReader, log: () => {} },
    );
    expect(plan.variants.map((variant) => variant.name)).toEqual(variants);
    for (const variant of variants) {
      expect(plan.tasks[variant]).toEqual(tasks);
      expect(plan.foldCounts[variant]).toBe(4);
    }
    // per variant and fold: the multi-task model and the nine tasks alone
    expect(plan.training).toHaveLength(4 * 4 * (1 + tasks.length));
    // one extraction per corpus reading and extraction
    expect(plan.extraction).toHaveLength(7 * 2);
    expect(plan.outlines?.['log-mel,cnn']?.map((outline) => outline.tasks.map((task) => `${task.name}:${task.kind}`))).toEqual([
      ['spoof:binary', 'attack:multi-class', 'gender:binary'],
      ['scene:multi-class'],
      ['events:multi-label'],
      ['sound:multi-class'],
      ['emotion:multi-class'],
      ['stress:binary'],
      ['keyword:multi-class'],
    ]);
  });

  it('runs every variant on the fixture corpora, every task in every fold, with log-mel and MFCC windows of 98 frames', async () => {
    const { run, config } = await fixtureRun;
    expect(run.problems).toEqual([]);
    expect(run.tasks).toEqual(tasks);
    expect(run.result.variants.map((variant) => [variant.variant, variant.foldCount, variant.summary.length])).toEqual(
      variants.map((variant) => [variant, 2, tasks.length]),
    );
    const features = async (extraction: unknown) =>
      (
        await readExperimentDatasets({ ...config, extraction: extraction as typeof config.extraction }, { importReader, log: () => {} })
      ).map((dataset) => dataset.shapeOf(0).at(-1));
    const sweep = config.sweep?.variants ?? [];
    expect(await features(sweep[0]?.set.extraction)).toEqual(Array(7).fill(128));
    expect(await features(sweep[2]?.set.extraction)).toEqual(Array(7).fill(13));
  });
});
