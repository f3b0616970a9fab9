import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQuickstart } from './quickstart';

const workDirectory = mkdtempSync(path.join(tmpdir(), 'polytask-quickstart-'));
afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

describe('quick start', () => {
  it('trains one model over both synthetic corpora and compares it with each task alone', async () => {
    const lines: string[] = [];
    const result = await runQuickstart({
      workDirectory,
      folds: 2,
      epochs: 12,
      clipsPerSpeakerAndKeyword: 3,
      clipsPerSiteAndScene: 6,
      log: (line) => lines.push(line),
    });
    expect(lines[0]).toMatch(/^polytask: backend /);
    // both corpora read, the 22050 Hz scenes resampled into the same 16 kHz features
    expect(lines.some((line) => line.startsWith('synthetic: 144 examples'))).toBe(true);
    expect(lines.some((line) => line.startsWith('synthetic-scenes: 144 examples'))).toBe(true);
    expect(result.summary.map((row) => row.task)).toEqual(['keyword', 'pitch', 'noise', 'scene', 'events']);
    // every task of both corpora beats chance by a wide margin: keyword 4 classes (25%), pitch 2 classes (50%),
    // scene 3 classes (33%), noise and events macro F1 of tagging everything (about 57% with tags present 40% of the time)
    const floors: Record<string, number> = { keyword: 0.6, pitch: 0.75, noise: 0.65, scene: 0.7, events: 0.7 };
    for (const row of result.summary) {
      expect(row.multiTask, row.task).toHaveLength(2);
      for (const value of row.multiTask) expect(value, row.task).toBeGreaterThan(floors[row.task] ?? 1);
      // the single-task baselines: each task alone, on its own corpus, with the same model and budget
      expect(row.singleTask, row.task).toHaveLength(2);
    }
    expect(existsSync(path.join(result.runDirectory, 'metrics.csv'))).toBe(true);
    expect(readdirSync(path.join(result.runDirectory, 'fold-0', 'multi-task', 'checkpoints', 'fold-0')).length).toBeGreaterThan(0);
    expect(
      readdirSync(path.join(result.runDirectory, 'tensorboard', 'fold-0', 'test')).some((file) => file.startsWith('events.out.tfevents')),
    ).toBe(true);
    expect(lines.some((line) => line.startsWith('TensorBoard: '))).toBe(true);
    // the summary table: multi-task then single-task, mean ± std over folds, one row per task of either corpus
    for (const [task, metric] of [
      ['keyword', 'accuracy'],
      ['scene', 'accuracy'],
      ['events', 'macro F1'],
    ]) {
      expect(lines.join('\n')).toMatch(
        new RegExp(`^\\| ${task} \\| ${metric} \\| \\d+\\.\\d% ± \\d+\\.\\d \\| \\d+\\.\\d% ± \\d+\\.\\d \\|`, 'm'),
      );
    }
  });
});
