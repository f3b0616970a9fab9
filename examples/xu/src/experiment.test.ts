import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dcase2017Events } from '@polytask/dataset-dcase2017-events';
import { writeDcase2017EventsFixture } from '@polytask/dataset-dcase2017-events/testing';
import { dcase2017Scenes } from '@polytask/dataset-dcase2017-scenes';
import { writeDcase2017ScenesFixture } from '@polytask/dataset-dcase2017-scenes/testing';
import { loadExperimentConfig, planConfig, readExperimentDatasets } from 'polytask';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));
const importReader = (packageName: string) => import(/* @vite-ignore */ packageName);

/**
 * The real experiment.json on fixture corpora in the real layouts, one epoch a fold, and its config
 * as run. Few and short clips: the CNN's cost grows with the examples and the frames.
 */
const fixtureRun = (async () => {
  const run = await runExperimentOnFixtures({
    file,
    directory: root,
    fixtures: {
      'dcase2017-scenes': (directory) =>
        writeDcase2017ScenesFixture({
          directory,
          scenes: ['bus', 'park'],
          locationsPerSceneAndFold: 1,
          segmentsPerLocation: 1,
          seconds: 0.15,
        }),
      // one-second segments, as in the thesis: one per recording
      'dcase2017-events': (directory) => writeDcase2017EventsFixture({ directory, recordingsPerFold: 1, seconds: 1 }),
    },
    importReader,
  });
  return { run, config: loadExperimentConfig(path.join(run.result.runDirectory, 'config.json')) };
})();

describe('experiment.json (the thesis Xu experiment)', () => {
  it('is the thesis set-up: DCASE 2017 scenes and events, 44.1 kHz log-mel, one-second frame windows, the 4 × 64 CNN with Adam', () => {
    const config = loadExperimentConfig(file);
    expect(config.datasets.map((entry) => entry.reader)).toEqual(['dcase2017-scenes', 'dcase2017-events']);
    expect(config.extraction).toEqual({
      name: 'log-mel',
      sampleRate: 44100,
      channelPolicy: 'mean',
      params: { fftSize: 2048, hopLength: 512, melBandCount: 128, compression: { kind: 'decibels', reference: 'max', topDecibels: 80 } },
    });
    expect(config.split).toEqual({ kind: 'k-fold', folds: 4 });
    expect(config.preparation).toEqual({ windows: { length: 87 }, scaling: 'per-feature' });
    expect(config.model).toEqual({ kind: 'cnn', filters: [64, 64, 64, 64], kernelSize: [5, 5], batchNorm: true, denseUnits: 0 });
    expect(config.training).toMatchObject({ epochs: 200, batchSize: 32, lr: 0.001, optimizer: 'adam', sampling: 'per-dataset' });
  });

  it('has a multi-class scene task and a multi-label event task over the official four folds', async () => {
    const { config } = await fixtureRun;
    const plan = await planConfig(config, { importReader, log: () => {} });
    expect(plan.foldCounts).toEqual({ default: 4 });
    expect(plan.outlines?.default?.flatMap((outline) => outline.tasks)).toEqual([
      { name: 'scene', kind: 'multi-class', labels: dcase2017Scenes },
      { name: 'events', kind: 'multi-label', labels: dcase2017Events },
    ]);
    expect(plan.outlines?.default?.map((outline) => outline.predefinedSplit)).toEqual([
      { kind: 'folds', foldCount: 4 },
      { kind: 'folds', foldCount: 4 },
    ]);
  });

  it('runs on the fixture corpora: 128-band log-mel frames, 87-frame windows into the CNN, both tasks in every fold', async () => {
    const { run, config } = await fixtureRun;
    expect(run.problems).toEqual([]);
    expect(run.tasks).toEqual(['scene', 'events']);
    expect(run.result.summary.map((row) => [row.task, row.metric, row.multiTask.length])).toEqual([
      ['scene', 'accuracy', 4],
      ['events', 'macro F1', 4],
    ]);
    const read = await readExperimentDatasets(config, { importReader, log: () => {} });
    // a 0.15 s scene clip is 13 frames (a 10 s one 862); a one-second event segment 87
    expect(read.map((dataset) => [dataset.name, dataset.shapeOf(0)])).toEqual([
      ['dcase2017-scenes', [13, 128]],
      ['dcase2017-events', [87, 128]],
    ]);
    const model = JSON.parse(readFileSync(findFile(run.result.runDirectory, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    };
    const layers = model.modelTopology.config.layers;
    expect(layers[0]?.config.batch_input_shape).toEqual([null, 87, 128]);
    expect(
      layers.filter((layer) => layer.class_name === 'Conv2D').map((layer) => [layer.config.filters, layer.config.kernel_size]),
    ).toEqual([
      [64, [5, 5]],
      [64, [5, 5]],
      [64, [5, 5]],
      [64, [5, 5]],
    ]);
    expect(layers.filter((layer) => layer.class_name === 'BatchNormalization')).toHaveLength(4);
    expect(layers.filter((layer) => layer.class_name === 'Dense').map((layer) => layer.config.units)).toEqual([15, 6]);
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
