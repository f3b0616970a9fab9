import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupedLabels } from '@polytask/dataset-audioset';
import { writeAudiosetFixture } from '@polytask/dataset-audioset/testing';
import { loadExperimentConfig } from 'polytask';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));

describe('experiment.json (Park et al. as the thesis ran it)', () => {
  it('is AudioSet embeddings, the ten grouped labels as one multi-label task, 4 grouped folds, the dense classifier', () => {
    const config = loadExperimentConfig(file);
    expect(config.datasets).toHaveLength(1);
    expect(config.datasets[0]).toMatchObject({
      reader: 'audioset',
      options: { labelMode: 'park', parts: ['bal_train'] },
      sampleLabels: { others: 500 },
    });
    expect(config.extraction.name).toBe('precomputed');
    expect(config.split).toMatchObject({ kind: 'k-fold', folds: 4, grouped: true });
    expect(config.model).toMatchObject({ kind: 'dnn', hiddenUnits: [128, 128, 128, 128], dropout: 0.2, batchNorm: true });
    expect(config.training).toMatchObject({ batchSize: 256, lr: 0.001, optimizer: 'adam' });
  });

  it('runs as configured on a fixture release in the real layout (TFRecords of SequenceExamples, segment CSVs)', async () => {
    const { result, tasks, records, problems } = await runExperimentOnFixtures({
      file,
      directory: root,
      fixtures: { audioset: (directory) => writeAudiosetFixture({ directory, parts: ['bal_train'], segmentsPerPart: 48 }) },
      importReader: (packageName) => import(/* @vite-ignore */ packageName),
    });
    expect(problems).toEqual([]);
    expect(tasks).toEqual(['park_audioset']);
    expect(result.summary.map((row) => row.task)).toEqual(['park_audioset']);
    // 4 folds, per recording (the per-second windows of a segment are merged), multi-label metrics
    const test = records.filter((record) => record.split === 'test');
    expect(new Set(test.map((record) => record.fold)).size).toBe(4);
    const metrics = test[0]?.tasks[0];
    expect(metrics?.kind).toBe('multi-label');
    // the thesis's ten groups: crowd, applause, laughter, typing/clicking, door, silence, television, walk, speech, others
    expect(metrics?.labels).toEqual([...groupedLabels('park')]);
    expect(metrics?.labels).toHaveLength(10);
  });
});
