import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEsc50Fixture } from '@polytask/dataset-esc50/testing';
import { writeUrbanSound8kFixture } from '@polytask/dataset-urbansound8k/testing';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));

describe('experiment.json', () => {
  // ESC-50's 5 predefined folds and UrbanSound8K's 10 meet at 5: UrbanSound8K's folds j and j + 5 test together
  it('runs as configured (readers, extraction, split, preparation, model, sampling, baselines) on fixture corpora in the real layouts', async () => {
    const { result, tasks, problems } = await runExperimentOnFixtures({
      file,
      directory: root,
      fixtures: {
        esc50: (directory) => writeEsc50Fixture({ directory, seconds: 0.5 }),
        urbansound8k: (directory) => writeUrbanSound8kFixture({ directory, seconds: 0.5 }),
      },
      importReader: (packageName) => import(/* @vite-ignore */ packageName),
    });
    // every task of every dataset, each with a metric in [0, 1] per fold, multi-task and alone, and finite losses
    expect(problems).toEqual([]);
    expect(result.summary.map((row) => row.task).sort()).toEqual([...tasks].sort());
  });
});
