import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDcase2017ScenesFixture } from '@polytask/dataset-dcase2017-scenes/testing';
import { writeFsdKaggle2018Fixture } from '@polytask/dataset-fsdkaggle2018/testing';
import { runExperimentOnFixtures } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));

describe('experiment.json', () => {
  it('runs as configured (readers, extraction, split, preparation, model, sampling, baselines) on fixture corpora in the real layouts', async () => {
    const { result, tasks, problems } = await runExperimentOnFixtures({
      file,
      directory: root,
      fixtures: {
        // short clips: the CNN's cost grows with the frames
        'dcase2017-scenes': (directory) => writeDcase2017ScenesFixture({ directory, seconds: 0.15 }),
        fsdkaggle2018: (directory) => writeFsdKaggle2018Fixture({ directory, seconds: 0.15 }),
      },
      importReader: (packageName) => import(/* @vite-ignore */ packageName),
    });
    // every task of every dataset, each with a metric in [0, 1] per fold, multi-task and alone, and finite losses
    expect(problems).toEqual([]);
    expect(result.summary.map((row) => row.task).sort()).toEqual([...tasks].sort());
  });
});
