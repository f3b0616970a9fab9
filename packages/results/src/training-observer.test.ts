/**
 * The TensorBoard observer's logs of a fold interrupted or killed and resumed read back as those of
 * an uninterrupted fold: steps continue, what followed the last commit is gone, one session start and end.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineTask } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { computeTaskMetrics } from './metrics';
import { createRunStore, type EpochRecord } from './run-store';
import { readTensorBoardLog } from './testing';
import { createRunStoreObserver, createTensorBoardObserver, notifyObservers, type TrainingObserver } from './training-observer';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-observer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const keyword = defineTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no'] });
const hparams = { lr: 0.01, model: 'dnn' };

function record(fold: number, epoch: number, split: 'train' | 'test'): EpochRecord {
  const metrics = computeTaskMetrics({
    task: keyword,
    truth: Uint8Array.from([1, 0, 0, 1, 1, 0]),
    decisions: Uint8Array.from([1, 0, epoch % 2, 1 - (epoch % 2), 1, 0]),
    loss: 0.5 / epoch,
  });
  return { fold, epoch, split, loss: 1 / epoch, tasks: [metrics], ...(split === 'train' ? { lossWeights: { keyword: epoch / 4 } } : {}) };
}

/** What the training loop does with an observer: `batches` batches per epoch, a commit after each epoch. */
async function trainEpochs(
  observer: TrainingObserver,
  options: { fold: number; from: number; to: number; batches: number; commits: unknown[]; kill?: 'before-commit' },
): Promise<void> {
  const { fold } = options;
  for (let epoch = options.from + 1; epoch <= options.to; epoch++) {
    for (let batch = 1; batch <= options.batches; batch++)
      await notifyObservers([observer], 'onBatchEnd', { fold, epoch, batch, loss: epoch + batch / 10, taskLosses: {} });
    await notifyObservers([observer], 'onEpochEnd', {
      fold,
      epoch,
      train: record(fold, epoch, 'train'),
      test: record(fold, epoch, 'test'),
    });
    if (options.kill === 'before-commit' && epoch === options.to) return;
    // a checkpoint is JSON
    options.commits[epoch] = JSON.parse(JSON.stringify(observer.checkpointState?.({ fold, epoch })));
  }
}

async function start(directory: string, fold: number, epoch: number, state?: unknown): Promise<TrainingObserver> {
  const observer = createTensorBoardObserver({ directory });
  await notifyObservers([observer], 'onRunStart', { foldCount: 2, tasks: ['keyword'], hparams });
  await notifyObservers([observer], 'onFoldStart', { fold, preparations: null });
  await notifyObservers([observer], 'onTrainingStart', { fold, epoch, ...(state === undefined ? {} : { state }) });
  return observer;
}

async function end(observer: TrainingObserver, fold: number, status: 'success' | 'stopped') {
  await notifyObservers([observer], 'onTrainingEnd', { fold, status });
  await notifyObservers([observer], 'onRunEnd', { status });
}

/** An uninterrupted fold's logs: 3 epochs of 4 batches. */
async function straightLog(name: string) {
  const directory = path.join(root, name);
  const observer = await start(directory, 0, 0);
  await trainEpochs(observer, { fold: 0, from: 0, to: 3, batches: 4, commits: [] });
  await end(observer, 0, 'success');
  return readTensorBoardLog(directory);
}

describe('the TensorBoard observer', () => {
  it("logs the loss combiner's weight per task as weights/<task> on the train split", async () => {
    const log = await straightLog('weights');
    expect(log['fold-0/train']?.scalars['weights/keyword']).toEqual([
      [1, 0.25],
      [2, 0.5],
      [3, 0.75],
    ]);
    expect(log['fold-0/test']?.scalars['weights/keyword']).toBeUndefined();
  });

  it("logs a gradient combiner's overhead as overhead/seconds_per_step and overhead/peak_extra_bytes, only when a record has it", async () => {
    const directory = path.join(root, 'overhead');
    const observer = await start(directory, 0, 0);
    const gradientOverhead = { secondsPerStep: 0.125, peakExtraBytes: 4096 };
    await notifyObservers([observer], 'onEpochEnd', { fold: 0, epoch: 1, train: { ...record(0, 1, 'train'), gradientOverhead } });
    await notifyObservers([observer], 'onEpochEnd', { fold: 0, epoch: 2, train: record(0, 2, 'train') });
    await end(observer, 0, 'success');
    const log = readTensorBoardLog(directory);
    expect(log['fold-0/train']?.scalars['overhead/seconds_per_step']).toEqual([[1, 0.125]]);
    expect(log['fold-0/train']?.scalars['overhead/peak_extra_bytes']).toEqual([[1, 4096]]);
    expect(log['fold-0/train']?.scalars['weights/keyword']).toHaveLength(2);
  });

  it('resumed after a kill between the records and the commit, logs what an uninterrupted fold logs', async () => {
    const expected = await straightLog('straight');
    expect(expected['fold-0/train']?.scalars['batch/loss']?.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const directory = path.join(root, 'killed');
    const commits: unknown[] = [];
    // the killed process: epoch 2's records are written, its checkpoint never lands, nothing is closed
    await trainEpochs(await start(directory, 0, 0), { fold: 0, from: 0, to: 2, batches: 4, commits, kill: 'before-commit' });
    const resumed = await start(directory, 0, 1, commits[1]);
    await trainEpochs(resumed, { fold: 0, from: 1, to: 3, batches: 4, commits });
    await end(resumed, 0, 'success');
    const log = readTensorBoardLog(directory);
    expect(Object.keys(log).sort()).toEqual(Object.keys(expected).sort());
    for (const [run, expectedRun] of Object.entries(expected)) {
      expect(log[run]?.scalars, run).toEqual(expectedRun.scalars);
      expect(log[run]?.steps, run).toEqual(expectedRun.steps);
      expect(log[run]?.sessionStarts.length, run).toBe(expectedRun.sessionStarts.length);
      expect(log[run]?.sessionEnds, run).toEqual(expectedRun.sessionEnds);
      expect(log[run]?.experiments, run).toBe(expectedRun.experiments);
      expect(log[run]?.damaged, run).toBe(false);
    }
    expect(log['fold-0/test']?.sessionStarts).toHaveLength(1);
    expect(log['fold-0/test']?.sessionEnds).toEqual(['success']);
    expect(log['.']?.experiments).toBe(1);
    // the resumed process continued the committed files
    expect(log['fold-0/train']?.files).toHaveLength(1);
  });

  it('writes no session end for an interrupted fold, and the real end once when it ends after a resume', async () => {
    const directory = path.join(root, 'stopped');
    const commits: unknown[] = [];
    const first = await start(directory, 0, 0);
    await trainEpochs(first, { fold: 0, from: 0, to: 1, batches: 2, commits });
    // interrupted in epoch 2: a batch is reported, the epoch never ends
    await notifyObservers([first], 'onBatchEnd', { fold: 0, epoch: 2, batch: 1, loss: 9, taskLosses: {} });
    await end(first, 0, 'stopped');
    expect(readTensorBoardLog(directory)['fold-0/test']?.sessionEnds).toEqual([]);
    const second = await start(directory, 0, 1, commits[1]);
    await trainEpochs(second, { fold: 0, from: 1, to: 2, batches: 2, commits });
    await end(second, 0, 'success');
    const log = readTensorBoardLog(directory);
    expect(log['fold-0/train']?.scalars['batch/loss']).toEqual([
      [1, 1.100000023841858],
      [2, 1.2000000476837158],
      [3, 2.0999999046325684],
      [4, 2.200000047683716],
    ]);
    expect(log['fold-0/test']?.sessionStarts).toEqual([{ group: 'multi-task', hparams: { ...hparams, fold: 0 } }]);
    expect(log['fold-0/test']?.sessionEnds).toEqual(['success']);
    // a fold resumed after it ended (a later baseline was interrupted) ends once again, not twice
    const third = await start(directory, 0, 2, commits[2]);
    await end(third, 0, 'success');
    expect(readTensorBoardLog(directory)['fold-0/test']?.sessionEnds).toEqual(['success']);
  });

  it('starts a fold from scratch without what an earlier process wrote before its first commit', async () => {
    const directory = path.join(root, 'scratch');
    await trainEpochs(await start(directory, 1, 0), { fold: 1, from: 0, to: 1, batches: 3, commits: [], kill: 'before-commit' });
    const again = await start(directory, 1, 0);
    await trainEpochs(again, { fold: 1, from: 0, to: 1, batches: 3, commits: [] });
    await end(again, 1, 'success');
    const log = readTensorBoardLog(directory);
    expect(log['fold-1/test']?.sessionStarts).toHaveLength(1);
    expect(log['fold-1/train']?.scalars['batch/loss']?.map(([step]) => step)).toEqual([1, 2, 3]);
    expect(log['fold-1/train']?.files).toHaveLength(1);
  });

  it('groups sessions by setting, not by fold; a failed fold ends as a failure', async () => {
    const directory = path.join(root, 'groups');
    const observer = createTensorBoardObserver({ directory, writeExperiment: false, sessionGroup: 'single-keyword' });
    await notifyObservers([observer], 'onRunStart', { foldCount: 2, tasks: ['keyword'], hparams });
    for (const fold of [0, 1]) {
      await notifyObservers([observer], 'onFoldStart', { fold, preparations: null });
      await notifyObservers([observer], 'onTrainingStart', { fold, epoch: 0 });
      await trainEpochs(observer, { fold, from: 0, to: 1, batches: 1, commits: [] });
      await notifyObservers([observer], 'onTrainingEnd', { fold, status: fold === 0 ? 'success' : 'failure' });
    }
    await notifyObservers([observer], 'onRunEnd', { status: 'failure' });
    const log = readTensorBoardLog(directory);
    expect(log['.']).toBeUndefined();
    expect(log['fold-0/test']?.sessionStarts.map((session) => session.group)).toEqual(['single-keyword']);
    expect(log['fold-1/test']?.sessionStarts.map((session) => session.group)).toEqual(['single-keyword']);
    expect(log['fold-0/test']?.sessionEnds).toEqual(['success']);
    expect(log['fold-1/test']?.sessionEnds).toEqual(['failure']);
  });

  it("logs each task's metrics under the metrics CSV's column names, macro precision and recall included", async () => {
    const log = await straightLog('names');
    const store = createRunStore({ root, name: 'names-csv' });
    store.recordEpoch(record(0, 1, 'test'));
    const header = readFileSync(path.join(store.directory, 'metrics.csv'), 'utf8').split('\n')[0]?.split(',') ?? [];
    // the first metric columns sit between task and examples, the later ones after model
    const columns = [...header.slice(header.indexOf('task') + 1, header.indexOf('examples')), ...header.slice(header.indexOf('model') + 1)];
    const tags = Object.keys(log['fold-0/test']?.scalars ?? {})
      .filter((tag) => tag.startsWith('keyword/'))
      .map((tag) => tag.slice('keyword/'.length));
    expect(columns).toEqual(expect.arrayContaining(['macro_precision', 'macro_recall', 'balanced_accuracy', 'equal_error_rate']));
    // the two-label multi-class task without scores has every column but the multi-label and score-based ones
    const absent = [
      'subset_accuracy',
      'hamming_loss',
      'mean_average_precision',
      'top_5_accuracy',
      'equal_error_rate',
      'min_detection_cost',
      'mean_squared_error',
      'root_mean_squared_error',
      'mean_absolute_error',
      'r2',
    ];
    expect(tags.sort()).toEqual(columns.filter((name) => !absent.includes(name)).sort());
    expect(readdirSync(path.join(root, 'names', 'fold-0', 'test')).length).toBe(1);
  });

  it('logs the error metrics and R² of a regression task as scalars, with no confusion matrix anywhere', async () => {
    const level = defineTask({ name: 'level', kind: 'regression', outputs: ['rise', 'fall'] });
    const metrics = computeTaskMetrics({
      task: level,
      truth: Float32Array.of(3, -0.5, -0.5, 2, 2, 7),
      predictions: Float32Array.of(2.5, 0, 0, 2, 2, 8),
      loss: 0.25,
    });
    const regressionRecord: EpochRecord = { fold: 0, epoch: 1, split: 'test', loss: 0.25, tasks: [metrics] };
    const directory = path.join(root, 'regression');
    const observer = await start(directory, 0, 0);
    await notifyObservers([observer], 'onEpochEnd', {
      fold: 0,
      epoch: 1,
      train: { ...regressionRecord, split: 'train' },
      test: regressionRecord,
    });
    await end(observer, 0, 'success');
    const log = readTensorBoardLog(directory)['fold-0/test'];
    const tags = Object.keys(log?.scalars ?? {}).filter((tag) => tag.startsWith('level/'));
    expect(tags.sort()).toEqual([
      'level/loss',
      'level/mean_absolute_error',
      'level/mean_squared_error',
      'level/r2',
      'level/root_mean_squared_error',
    ]);
    expect(Object.keys(log?.steps ?? {}).filter((tag) => tag.startsWith('level/'))).toEqual([]);
    const store = createRunStore({ root, name: 'regression-csv' });
    const storeObserver = createRunStoreObserver(store);
    await notifyObservers([storeObserver], 'onEpochEnd', {
      fold: 0,
      epoch: 1,
      train: { ...regressionRecord, split: 'train' },
      test: regressionRecord,
    });
    const [header, row] = readFileSync(path.join(store.directory, 'metrics.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    expect(Number(row?.[header?.indexOf('r2') as number])).toBeCloseTo(metrics.r2 as number, 12);
    expect(row?.[header?.indexOf('macro_f1') as number]).toBe('');
    expect(existsSync(path.join(store.directory, 'confusion'))).toBe(false);
  });
});
