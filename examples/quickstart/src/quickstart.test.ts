import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQuickstart } from './quickstart';

const workDirectory = mkdtempSync(path.join(tmpdir(), 'polytask-quickstart-'));
afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

describe('quick start', () => {
  it('runs the whole pipeline on the synthetic corpus and compares multi-task with single-task', async () => {
    const lines: string[] = [];
    const result = await runQuickstart({
      workDirectory,
      folds: 2,
      epochs: 12,
      clipsPerSpeakerAndKeyword: 3,
      log: (line) => lines.push(line),
    });
    expect(lines[0]).toMatch(/^polytask: backend /);
    expect(result.summary.map((row) => row.task)).toEqual(['keyword', 'pitch', 'noise']);
    const keyword = result.summary.find((row) => row.task === 'keyword');
    expect(keyword?.multiTask).toHaveLength(2);
    expect(keyword?.singleTask).toHaveLength(2);
    // every task beats chance by a wide margin: keyword 4 classes (25%), pitch 2 classes (50%), noise macro F1 of random tags (about 45%)
    for (const value of keyword?.multiTask ?? []) expect(value).toBeGreaterThan(0.6);
    for (const value of result.summary.find((row) => row.task === 'pitch')?.multiTask ?? []) expect(value).toBeGreaterThan(0.75);
    for (const value of result.summary.find((row) => row.task === 'noise')?.multiTask ?? []) expect(value).toBeGreaterThan(0.6);
    expect(existsSync(path.join(result.runDirectory, 'metrics.csv'))).toBe(true);
    expect(readdirSync(path.join(result.runDirectory, 'checkpoints', 'fold-0')).length).toBeGreaterThan(0);
    expect(
      readdirSync(path.join(result.runDirectory, 'tensorboard', 'fold-0', 'test')).some((file) => file.startsWith('events.out.tfevents')),
    ).toBe(true);
    expect(lines.some((line) => line.startsWith('TensorBoard: '))).toBe(true);
    expect(lines.join('\n')).toMatch(/^\| keyword \| accuracy \| \d+\.\d% ± \d+\.\d \| \d+\.\d% ± \d+\.\d \|$/m);
  });
});
