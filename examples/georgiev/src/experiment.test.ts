import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAsvspoof2015Fixture } from '@polytask/dataset-asvspoof2015/testing';
import { writeDcase2017ScenesFixture } from '@polytask/dataset-dcase2017-scenes/testing';
import { writeRavdessFixture } from '@polytask/dataset-ravdess/testing';
import { loadExperimentConfig, planConfig, readExperimentDatasets } from 'polytask';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));
const importReader = (packageName: string) => import(/* @vite-ignore */ packageName);

const datasets = ['emotion', 'stress', 'asvspoof', 'scenes'];
/** Every non-empty subset of the four datasets, smallest first, each in the datasets' order. */
const subsets = [1, 2, 3, 4].flatMap((size) => {
  const pick = (start: number, left: number): string[][] =>
    left === 0 ? [[]] : datasets.slice(start).flatMap((name, offset) => pick(start + offset + 1, left - 1).map((rest) => [name, ...rest]));
  return pick(0, size).map((names) => names.join('-'));
});
/**
 * The real experiment.json, every variant, on fixture corpora in the real layouts (five actors and
 * plenty of recording locations, for five grouped folds), one epoch a unit; and its config as run.
 */
const fixtureRun = (async () => {
  const fixtures = {
    ravdess: (directory: string) => writeRavdessFixture({ directory, actorCount: 5, seconds: 0.5 }),
    asvspoof2015: (directory: string) => writeAsvspoof2015Fixture({ directory, seconds: 0.5 }),
    'dcase2017-scenes': (directory: string) => writeDcase2017ScenesFixture({ directory, seconds: 0.5 }),
  };
  const run = await runExperimentOnFixtures({ file, directory: root, fixtures, importReader });
  return { run, config: loadExperimentConfig(path.join(run.result.runDirectory, 'config.json')) };
})();

const tasksOf: Record<string, string[]> = {
  emotion: ['emotion'],
  stress: ['stress'],
  asvspoof: ['spoof', 'attack', 'gender'],
  scenes: ['scene'],
};

describe('experiment.json (the thesis Georgiev experiment)', () => {
  it('is the thesis set-up: its four corpora, 8 kHz logbank summaries with per-cell scaling, five folds, the 3 × 512 DNN with SGD', () => {
    const config = loadExperimentConfig(file);
    expect(config.datasets.map((entry) => [entry.reader, entry.options.mode ?? entry.options.officialFolds ?? null])).toEqual([
      ['ravdess', 'emotion'],
      ['ravdess', 'stress'],
      ['asvspoof2015', null],
      ['dcase2017-scenes', false],
    ]);
    expect(config.extraction).toEqual({
      name: 'logbank-summary',
      sampleRate: 8000,
      // the thesis's seven rows, in its order
      params: {
        windowDuration: 0.03,
        stepDuration: 0.01,
        filterCount: 24,
        fftSize: 256,
        statistics: ['minimum', 'maximum', 'standardDeviation', 'mean', 'median', 'percentile25', 'percentile75'],
      },
    });
    expect(config.split).toEqual({ kind: 'k-fold', folds: 5, grouped: true, seed: 1 });
    expect(config.preparation).toEqual({ scaling: 'per-cell' });
    expect(config.model).toEqual({ kind: 'dnn', hiddenUnits: [512, 512, 512] });
    expect(config.training).toMatchObject({ epochs: 200, batchSize: 64, lr: 0.001, optimizer: 'sgd', sampling: 'random' });
    expect(config.baselines).toBe(false);
  });

  it('plans every subset of the datasets as a variant, each with its tasks and label sets over five folds', async () => {
    const { config } = await fixtureRun;
    const plan = await planConfig(config, { importReader, log: () => {} });
    expect(plan.variants.map((variant) => variant.name)).toEqual(subsets);
    for (const variant of subsets) {
      expect(plan.tasks[variant]).toEqual(variant.split('-').flatMap((name) => tasksOf[name]));
      expect(plan.foldCounts[variant]).toBe(5);
    }
    const labels = Object.fromEntries(
      (plan.outlines?.['emotion-stress-asvspoof-scenes'] ?? []).flatMap((outline) => outline.tasks.map((task) => [task.name, task.labels])),
    );
    expect(labels).toMatchObject({
      emotion: ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'],
      stress: ['neutral', 'stressed'],
      spoof: ['genuine', 'spoof'],
      gender: ['female', 'male'],
    });
    expect(labels.scene).toHaveLength(15);
    // one extraction per corpus reading, shared by the variants
    expect(plan.extraction).toHaveLength(4);
    expect(plan.training).toHaveLength(15 * 5);
  });

  it('runs every variant on the fixture corpora: 7 × 24 summaries, the DNN of three 512-unit layers, every task in every fold', async () => {
    const { run, config } = await fixtureRun;
    const { result, tasks, problems } = run;
    expect(problems).toEqual([]);
    expect(tasks).toEqual(['emotion', 'stress', 'spoof', 'attack', 'gender', 'scene']);
    expect(result.variants.map((variant) => variant.variant)).toEqual(subsets);
    for (const variant of result.variants)
      expect(variant.summary.map((row) => [row.task, row.multiTask.length])).toEqual(
        variant.variant.split('-').flatMap((name) => (tasksOf[name] ?? []).map((task) => [task, 5])),
      );

    const read = await readExperimentDatasets(config, { importReader, log: () => {} });
    expect(read.map((dataset) => [dataset.name, dataset.shapeOf(0)])).toEqual([
      ['ravdess-emotion', [7, 24]],
      ['ravdess-stress', [7, 24]],
      ['asvspoof2015', [7, 24]],
      ['dcase2017-scenes', [7, 24]],
    ]);

    const model = JSON.parse(readFileSync(findFile(result.runDirectory, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string; config: { units?: number; name: string } }[] } };
    };
    const dense = model.modelTopology.config.layers.filter((layer) => layer.class_name === 'Dense').map((layer) => layer.config.units);
    expect(dense.slice(0, 3)).toEqual([512, 512, 512]);
  });
});

/** The first file of this name under a folder (depth first, sorted). */
function findFile(folder: string, name: string): string {
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(folder, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      try {
        return findFile(full, name);
      } catch {
        // not in this folder
      }
    }
  }
  throw new Error(`no ${name} under ${folder}`);
}
