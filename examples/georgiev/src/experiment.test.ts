import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAsvspoof2015Fixture } from '@polytask/dataset-asvspoof2015/testing';
import { writeDcase2017ScenesFixture } from '@polytask/dataset-dcase2017-scenes/testing';
import { writeRavdessFixture } from '@polytask/dataset-ravdess/testing';
import { writeSpeechCommandsFixture } from '@polytask/dataset-speech-commands/testing';
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
        'speech-commands': (directory) => writeSpeechCommandsFixture({ directory, seconds: 0.5 }),
        ravdess: (directory) => writeRavdessFixture({ directory, seconds: 0.5 }),
        asvspoof2015: (directory) => writeAsvspoof2015Fixture({ directory, seconds: 0.5 }),
        'dcase2017-scenes': (directory) => writeDcase2017ScenesFixture({ directory, seconds: 0.5 }),
      },
      importReader: (packageName) => import(/* @vite-ignore */ packageName),
    });
    // every task of every dataset, each with a metric in [0, 1] per fold, multi-task and alone, and finite losses
    expect(problems).toEqual([]);
    expect(result.summary.map((row) => row.task).sort()).toEqual([...tasks].sort());
  });
});
