import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeEsc50Fixture } from '@polytask/dataset-esc50/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverride, parseExperimentConfig } from './experiment-config';
import { fixtureRunOverrides, fixtureVariantOverrides, runExperimentOnFixtures } from './testing';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-testing-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fixtureRunOverrides', () => {
  const config = {
    name: 'two-corpora',
    datasets: [
      { reader: 'esc50', options: { directory: 'data/ESC-50-master' } },
      { reader: 'ravdess', options: { directory: 'data/RAVDESS', channels: ['speech'] }, sampleLabels: { neutral: 10 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 22050 },
    split: { kind: 'k-fold', folds: 5 },
    training: { epochs: 50, batchSize: 32, lr: 0.01, sampling: 'balanced' },
    baselines: true,
  };

  it('points every dataset at its fixture folder and shrinks the epochs, leaving every other setting', () => {
    const overrides = fixtureRunOverrides({ directory: '/tmp/run "1"', datasetDirectories: ['/tmp/esc50', '/tmp/ravdess'] });
    const result = parseExperimentConfig(overrides.reduce<Record<string, unknown>>(applyOverride, config));
    expect(result.datasets).toEqual([
      { reader: 'esc50', options: { directory: '/tmp/esc50' } },
      { reader: 'ravdess', options: { directory: '/tmp/ravdess', channels: ['speech'] }, sampleLabels: { neutral: 10 } },
    ]);
    expect([result.cacheDirectory, result.runsDirectory]).toEqual(['/tmp/run "1"/cache', '/tmp/run "1"/runs']);
    expect(result.training).toMatchObject({ epochs: 1, batchSize: 32, lr: 0.01, sampling: 'balanced' });
    expect([result.split, result.baselines, result.extraction.name]).toEqual([{ kind: 'k-fold', folds: 5 }, true, 'log-mel']);
  });

  it('sets the epochs and the batch size when given', () => {
    expect(fixtureRunOverrides({ directory: '/tmp/run', datasetDirectories: [], epochs: 2, batchSize: 64 }).slice(-2)).toEqual([
      'training.epochs=2',
      'training.batchSize=64',
    ]);
  });
});

describe('runExperimentOnFixtures', () => {
  const file = path.join(root, 'experiment.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'fixture-run',
      datasets: [{ reader: 'esc50', options: { directory: 'data/ESC-50-master', esc10: true } }],
      extraction: { name: 'log-mel', sampleRate: 8000, params: { fftSize: 256, hopLength: 256, melBandCount: 16 } },
      preparation: { frames: { count: 8 }, scaling: 'per-feature' },
      model: { kind: 'dnn', hiddenUnits: [8] },
      training: { epochs: 40, batchSize: 8 },
    }),
  );
  const importReader = (packageName: string) => import(/* @vite-ignore */ packageName);

  it("runs the file's own settings on the fixture corpora, with the tasks the readers declare and the run's records", async () => {
    const { result, tasks, records } = await runExperimentOnFixtures({
      file,
      directory: path.join(root, 'run'),
      fixtures: { esc50: (directory) => writeEsc50Fixture({ directory, seconds: 0.1 }) },
      importReader,
    });
    expect(tasks).toEqual(['sound']);
    expect(result.summary.map((row) => [row.task, row.multiTask.length])).toEqual([['sound', 5]]);
    // one epoch (not 40) per fold, the esc10 option kept: two ESC-10 categories of the fixture, 4 test clips a fold
    expect(records.map((record) => [record.fold, record.epoch, record.split])).toEqual(
      [0, 1, 2, 3, 4].flatMap((fold) => [
        [fold, 1, 'train'],
        [fold, 1, 'test'],
      ]),
    );
    expect(records.filter((record) => record.split === 'test').map((record) => record.tasks[0]?.examples)).toEqual([4, 4, 4, 4, 4]);
  });

  it('runs every variant of a sweep, pointing variants that list their own datasets at the same fixtures', async () => {
    const sweepFile = path.join(root, 'sweep.json');
    const esc10 = { reader: 'esc50', options: { directory: 'data/ESC-50-master', esc10: true } };
    writeFileSync(
      sweepFile,
      JSON.stringify({
        name: 'fixture-sweep',
        datasets: [esc10, { ...esc10, tasks: { sound: 'again' } }],
        extraction: { name: 'log-mel', sampleRate: 8000, params: { fftSize: 256, hopLength: 256, melBandCount: 16 } },
        preparation: { frames: { count: 8 }, scaling: 'per-feature' },
        model: { kind: 'dnn', hiddenUnits: [8] },
        training: { epochs: 40, batchSize: 8 },
        sweep: {
          variants: [
            { name: 'alone', set: { datasets: [esc10] } },
            { name: 'both', set: {} },
          ],
        },
      }),
    );
    const { result, tasks, variantTasks, problems } = await runExperimentOnFixtures({
      file: sweepFile,
      directory: path.join(root, 'sweep'),
      fixtures: { esc50: (directory) => writeEsc50Fixture({ directory, seconds: 0.1 }) },
      importReader,
      overrides: ['baselines=false'],
    });
    expect(problems).toEqual([]);
    expect(tasks).toEqual(['sound', 'again']);
    expect(variantTasks).toEqual({ alone: ['sound'], both: ['sound', 'again'] });
    expect(result.variants.map((variant) => [variant.variant, variant.summary.map((row) => [row.task, row.multiTask.length])])).toEqual([
      ['alone', [['sound', 5]]],
      [
        'both',
        [
          ['sound', 5],
          ['again', 5],
        ],
      ],
    ]);
    expect(() =>
      fixtureVariantOverrides({ sweep: { variants: [{ set: { datasets: [{ options: { directory: 'elsewhere' } }] } }] } }, new Map()),
    ).toThrow(/sweep\.variants\.0\.set\.datasets\.0 reads elsewhere, which no dataset of the config reads/);
  });

  it('names a reader of the config that has no fixture writer', async () => {
    await expect(runExperimentOnFixtures({ file, directory: path.join(root, 'none'), fixtures: {}, importReader })).rejects.toThrow(
      /datasets\.0 reads "esc50", but fixtures has no writer for it; add one, e\.g\. from @polytask\/dataset-esc50\/testing/,
    );
  });
});
