/**
 * A regression task end to end through the experiment runner: the generated voices corpus
 * (multi-class, binary and multi-label tasks) and the tones corpus (a regression task with two
 * outputs, pitch and level, and no classification task, so its folds are plain grouped k-fold)
 * in one experiment with the default training settings (and a narrower default DNN). The regression task learns
 * (R² above 0), the classification tasks beat chance, the results files carry the regression
 * metrics, and a run interrupted midway and resumed ends as the uninterrupted one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runFingerprint } from './__fixtures__/run-fingerprint';
import { main } from './cli';
import { parseExperimentConfig } from './experiment-config';
import { resumeExperiment, runExperiment } from './run-experiment';
import { tensorBoardContents } from './test-support';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-regression-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two corpora, two grouped folds; the default DNN made narrow (for speed), default training. */
const config = (name: string) =>
  parseExperimentConfig({
    name,
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 2 } },
      { reader: 'synthetic', options: { corpus: 'tones', directory: path.join(root, 'tones'), clipsPerSession: 16 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    model: { kind: 'dnn', hiddenUnits: [64, 64] },
    backend: 'cpu',
  });

describe('an experiment with a regression task next to classification tasks', () => {
  let straight: Awaited<ReturnType<typeof runExperiment>>;
  const lines: string[] = [];

  it('learns the regression task (R² above 0) and the classification tasks (above chance) with the default settings', async () => {
    straight = await runExperiment(config('straight'), { log: (line) => lines.push(line) });
    const row = (task: string) => straight.summary.find((entry) => entry.task === task);
    expect(row('tone')?.metric).toBe('R²');
    expect(row('tone')?.multiTask).toHaveLength(2);
    // pitch and level are plain in a log-mel spectrogram: well above 0 (the mean's score), about 0.8 here
    for (const value of row('tone')?.multiTask ?? []) expect(value).toBeGreaterThan(0.5);
    // regression has no macro F1
    expect(row('tone')?.multiTaskMacroF1).toEqual([]);
    // keyword: four classes (chance 25%); pitch: two (chance 50%)
    for (const value of row('keyword')?.multiTask ?? []) expect(value).toBeGreaterThan(0.25);
    for (const value of row('pitch')?.multiTask ?? []) expect(value).toBeGreaterThan(0.5);
    expect(row('noise')?.metric).toBe('macro F1');
    // the runner says how the regression-only corpus is split
    expect(lines).toContain('synthetic-tones: regression tasks only, so its folds are k-fold (grouped when it has groups), not stratified');
    expect(lines.some((line) => /tone R² 0\.\d{3}/.test(line))).toBe(true);
  });

  it('records MSE, RMSE, MAE and R² of the regression task in the metrics files and TensorBoard, and no confusion matrix', () => {
    const [header, ...rows] = readFileSync(path.join(straight.runDirectory, 'metrics.csv'), 'utf8').trim().split('\n');
    const columns = header?.split(',') ?? [];
    const toneRows = rows.map((line) => line.split(',')).filter((cells) => cells[columns.indexOf('task')] === 'tone');
    expect(toneRows.length).toBeGreaterThan(0);
    for (const cells of toneRows)
      for (const name of ['mean_squared_error', 'root_mean_squared_error', 'mean_absolute_error', 'r2'])
        expect(Number.isFinite(Number(cells[columns.indexOf(name)])), name).toBe(true);
    const record = JSON.parse(readFileSync(path.join(straight.runDirectory, 'metrics.jsonl'), 'utf8').split('\n')[0] as string);
    const tone = record.tasks.find((task: { task: string }) => task.task === 'tone');
    expect(tone.labels).toEqual(['pitch', 'level']);
    expect(tone.perOutput).toHaveLength(2);
    expect(existsSync(path.join(straight.runDirectory, 'fold-0', 'multi-task', 'confusion', 'fold-0', 'test', 'tone'))).toBe(false);
    expect(existsSync(path.join(straight.runDirectory, 'fold-0', 'multi-task', 'confusion', 'fold-0', 'test', 'keyword'))).toBe(true);
    const logs = tensorBoardContents(straight.runDirectory);
    const scalars = Object.keys(logs['fold-0/test']?.scalars ?? {});
    expect(Object.keys(logs.summary?.scalars ?? {})).toEqual(expect.arrayContaining(['multi_task/tone_R2', 'multi_task/keyword_accuracy']));
    expect(scalars).toEqual(
      expect.arrayContaining(['tone/r2', 'tone/mean_squared_error', 'tone/root_mean_squared_error', 'tone/mean_absolute_error']),
    );
    const state = JSON.parse(
      readFileSync(path.join(straight.runDirectory, 'fold-0', 'multi-task', 'checkpoints', 'fold-0', `epoch-${20}`, 'state.json'), 'utf8'),
    ) as { targetScaler?: { tasks: Record<string, { mean: number[]; scale: number[] }> } };
    expect(state.targetScaler?.tasks.tone?.mean).toHaveLength(2);
  });

  it('shows R² as a number in the summary and in polytask compare and evaluate', async () => {
    const summary = readFileSync(path.join(straight.runDirectory, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| tone \| R² \| 0\.\d{3} ± 0\.\d{3} \| - \| - \| - \|/);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['compare', straight.runDirectory])).toBe(0);
      expect(await main(['evaluate', straight.runDirectory])).toBe(0);
      const printed = log.mock.calls.map((call) => String(call[0])).join('\n');
      expect(printed).toMatch(/\| tone \| R² \| 0\.\d{3} ± 0\.\d{3} \|/);
      expect(printed).toMatch(/tone R² -?\d\.\d{3}, RMSE \d/);
    } finally {
      log.mockRestore();
    }
  });

  it('interrupted in the second fold and resumed, it ends as the uninterrupted run', async () => {
    const controller = new AbortController();
    const first = await runExperiment(config('interrupted'), {
      log: () => {},
      signal: controller.signal,
      observers: [{ onBatchEnd: (info) => void (info.fold === 1 && info.epoch === 7 && info.batch === 2 && controller.abort()) }],
    });
    expect(controller.signal.aborted).toBe(true);
    const resumed = await resumeExperiment(first.runDirectory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
    const { summary: _summary, summaryMarkdown: _markdown, ...fingerprint } = runFingerprint(resumed.runDirectory);
    const { summary: _other, summaryMarkdown: _otherMarkdown, ...reference } = runFingerprint(straight.runDirectory);
    expect(fingerprint).toEqual(reference);
  });
});
