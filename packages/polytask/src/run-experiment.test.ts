/**
 * The core case end to end: two generated corpora with different tasks, task kinds, label counts
 * and sample rates in one experiment, with a validation part, early stopping and single-task
 * baselines; interrupted at random moments and resumed, it ends where the uninterrupted run ends.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockRun } from '@polytask/results';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import { parseExperimentConfig } from './experiment-config';
import { resumeExperiment, runExperiment } from './run-experiment';
import { tensorBoardContents } from './test-support';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-multi-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (name: string) =>
  parseExperimentConfig({
    name,
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
      { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(root, 'scenes'), clipsPerSiteAndScene: 2 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
    model: { kind: 'dnn', hiddenUnits: [16] },
    training: {
      epochs: 3,
      batchSize: 16,
      lr: 0.01,
      optimizer: { name: 'adamw', weightDecay: 0.01 },
      lossCombiner: 'uncertainty',
      earlyStopping: { patience: 2 },
      losses: { keyword: { kind: 'focal', classWeights: 'balanced' } },
      seed: 3,
    },
    baselines: true,
    backend: 'cpu',
  });

const csvLines = (run: string) => readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n');
const csvRows = (run: string) => csvLines(run).slice(1);
/** The model column of each row, found by name: later metric columns follow it at the end of the header. */
const modelOf = (run: string) => {
  const column = csvLines(run)[0]?.split(',').indexOf('model') as number;
  return (row: string) => row.split(',')[column];
};

describe('a multi-dataset experiment', () => {
  let straight: Awaited<ReturnType<typeof runExperiment>>;

  it('trains both corpora into one model with baselines, validation and early stopping, and records everything', async () => {
    straight = await runExperiment(config('straight'), { log: () => {} });
    const tasks = straight.summary.map((row) => row.task);
    expect(tasks).toEqual(expect.arrayContaining(['keyword', 'pitch', 'noise']));
    expect(tasks.length).toBeGreaterThan(4);
    for (const row of straight.summary) {
      expect(row.multiTask).toHaveLength(2);
      expect(row.singleTask).toHaveLength(2);
      expect(row.multiTaskMacroF1).toHaveLength(2);
      for (const value of [...row.multiTask, ...row.singleTask]) expect(Number.isFinite(value)).toBe(true);
    }
    const rows = csvRows(straight.runDirectory);
    // validation records of the multi-task model and of every baseline, in the run's own metrics files
    const model = modelOf(straight.runDirectory);
    expect(rows.some((row) => row.split(',')[2] === 'validation' && model(row) === 'multi-task')).toBe(true);
    for (const task of tasks) expect(rows.some((row) => model(row) === `single:${task}`)).toBe(true);
    // baselines keep checkpoints like folds
    for (const task of tasks)
      expect(readdirSync(path.join(straight.runDirectory, 'fold-1', `single-${task}`, 'checkpoints', 'fold-1')).length).toBeGreaterThan(0);
    const summary = readFileSync(path.join(straight.runDirectory, 'summary.md'), 'utf8');
    expect(summary).toContain('multi-task macro F1');
    // TensorBoard: one HParams experiment; one session per fold and setting, grouped by setting, each started and ended once
    const logs = tensorBoardContents(straight.runDirectory);
    expect(logs['.']?.experiments).toBe(1);
    for (const fold of [0, 1]) {
      const sessions: [string, string][] = [
        [`fold-${fold}/test`, 'multi-task'],
        ...tasks.map((task): [string, string] => [`single-${task}/fold-${fold}/test`, `single-${task}`]),
      ];
      for (const [run, group] of sessions) {
        expect(
          logs[run]?.sessionStarts.map((start) => start.group),
          run,
        ).toEqual([group]);
        expect(logs[run]?.sessionEnds, run).toEqual(['success']);
      }
      const steps = logs[`fold-${fold}/train`]?.scalars['batch/loss']?.map(([step]) => step) ?? [];
      expect(steps).toEqual(steps.map((_, index) => index + 1));
      expect(Object.keys(logs[`fold-${fold}/test`]?.scalars ?? {})).toEqual(
        expect.arrayContaining(['keyword/macro_precision', 'keyword/macro_recall', 'noise/mean_average_precision']),
      );
    }
    expect(logs.summary?.steps).toEqual({ summary: [0] });
    // each task's headline, multi-task and single-task, and Δm
    expect(Object.keys(logs.summary?.scalars ?? {}).length).toBe(2 * tasks.length + 1);
    expect(logs.summary?.scalars['multi_task/delta_m']).toHaveLength(1);
    // `polytask evaluate` picks the best epoch on validation, never on test
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['evaluate', straight.runDirectory])).toBe(0);
      expect(log.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/fold 0 best \(lowest validation loss\), epoch \d/);
    } finally {
      log.mockRestore();
    }
  });

  it.each([
    // (the signal reaches the baselines too: aborted after the multi-task model's last epoch, the first baseline stops)
    [
      'in the first fold',
      { onBatchEnd: (info: { fold: number; epoch: number; batch: number }) => info.fold === 0 && info.epoch === 2 && info.batch === 2 },
    ],
    ['in a baseline', { onEpochEnd: (info: { fold: number; epoch: number }) => info.fold === 0 && info.epoch === 3 }],
    [
      'in the second fold',
      { onBatchEnd: (info: { fold: number; epoch: number; batch: number }) => info.fold === 1 && info.epoch === 1 && info.batch === 3 },
    ],
  ])('interrupted %s and resumed, it ends where the uninterrupted run ends', async (where, when) => {
    const controller = new AbortController();
    const stopper = Object.fromEntries(
      Object.entries(when).map(([hook, test]) => [
        hook,
        (info: never) => void ((test as (value: never) => boolean)(info) && controller.abort()),
      ]),
    );
    const first = await runExperiment(config(`interrupted-${where.replace(/ /g, '-')}`), {
      log: () => {},
      signal: controller.signal,
      observers: [stopper],
    });
    expect(controller.signal.aborted, where).toBe(true);
    expect(
      [0, 1].filter((fold) => existsSync(path.join(first.runDirectory, `fold-${fold}`, 'multi-task', 'result.json'))).length,
    ).toBeLessThan(2);
    // no TensorBoard summary of partial results
    expect(existsSync(path.join(first.runDirectory, 'tensorboard', 'summary'))).toBe(false);
    const resumed = await resumeExperiment(first.runDirectory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
    // TensorBoard reads the same logs: steps continue, nothing of the interrupted epoch, one session start and end
    expect(tensorBoardContents(resumed.runDirectory)).toEqual(tensorBoardContents(straight.runDirectory));
  });

  it('compare lists stopped runs, partial runs and runs without a summary, marked', async () => {
    const stopped = path.join(root, 'compare-stopped');
    const unsummarised = path.join(root, 'compare-unsummarised');
    mkdirSync(stopped, { recursive: true });
    mkdirSync(unsummarised, { recursive: true });
    writeFileSync(path.join(stopped, 'summary.json'), JSON.stringify({ status: 'stopped', folds: 0, foldCount: 2, summary: [] }));
    writeFileSync(path.join(unsummarised, 'config.json'), '{}');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['compare', straight.runDirectory, stopped, unsummarised])).toBe(0);
      const printed = log.mock.calls.map((call) => String(call[0])).join('\n');
      expect(printed).toContain('| compare-stopped (stopped, 0 of 2 folds) | - |');
      expect(printed).toContain('| compare-unsummarised (no summary yet) | - |');
      expect(printed).toMatch(new RegExp(`\\| ${path.basename(straight.runDirectory)} \\| keyword \\|`));
    } finally {
      log.mockRestore();
    }
  });

  it('refuses to resume a run another live process is writing', async () => {
    const lock = lockRun(straight.runDirectory);
    try {
      await expect(resumeExperiment(straight.runDirectory, { log: () => {} })).rejects.toThrow(/is being written by process \d+/);
    } finally {
      lock.release();
    }
  });

  it("dies between an epoch's records and its checkpoint; resumed, the records are written once and the result is the same", async () => {
    const crash = new Error('simulated kill');
    const first = runExperiment(config('torn'), {
      log: () => {},
      // runs after the run store recorded epoch 2 of fold 1, before its checkpoint commits it
      observers: [
        {
          onEpochEnd: (info) => {
            if (info.fold === 1 && info.epoch === 2) throw crash;
          },
        },
      ],
    });
    await expect(first).rejects.toBe(crash);
    const run = readdirSync(path.join(root, 'runs')).find((name) => name.startsWith('torn-')) as string;
    const directory = path.join(root, 'runs', run);
    const resumed = await resumeExperiment(directory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
    const model = modelOf(directory);
    const keys = csvRows(directory).map((row) => {
      const [fold, epoch, split, task] = row.split(',');
      return [fold, epoch, split, task, model(row)].join(',');
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(csvRows(directory).length).toBe(csvRows(straight.runDirectory).length);
    expect(tensorBoardContents(directory)).toEqual(tensorBoardContents(straight.runDirectory));
  });

  it("is killed (SIGKILL) between an epoch's records and its checkpoint; resumed, TensorBoard reads what the uninterrupted run logged", async () => {
    // the built package in a process of its own, killed by an observer after fold 1's epoch 2 was logged
    const polytask = new URL('../dist/index.js', import.meta.url).href;
    const synthetic = new URL('../../datasets/synthetic/dist/index.js', import.meta.url).href;
    const script = path.join(root, 'killed.mjs');
    writeFileSync(
      script,
      `import { parseExperimentConfig, runExperiment } from ${JSON.stringify(polytask)};
await runExperiment(parseExperimentConfig(JSON.parse(process.argv[2])), {
  log: () => {},
  importReader: () => import(${JSON.stringify(synthetic)}),
  observers: [{ onEpochEnd: (info) => { if (info.fold === 1 && info.epoch === 2) process.kill(process.pid, 'SIGKILL'); } }],
});
`,
    );
    const child = spawnSync(process.execPath, [script, JSON.stringify(config('killed'))], { encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const run = readdirSync(path.join(root, 'runs')).find((name) => name.startsWith('killed-')) as string;
    const directory = path.join(root, 'runs', run);
    // the kill left fold 1's second epoch in the event files and no summary
    expect(existsSync(path.join(directory, 'tensorboard', 'summary'))).toBe(false);
    expect(tensorBoardContents(directory)['fold-1/test']?.scalars.loss?.map(([step]) => step)).toEqual([1, 2]);
    const resumed = await resumeExperiment(directory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
    expect(tensorBoardContents(directory)).toEqual(tensorBoardContents(straight.runDirectory));
  });

  it('reaches every training option from the config: renamed tasks, weights, sampler and its weights, schedule, validation folds', async () => {
    const base = config('options') as unknown as Record<string, unknown> & { datasets: Record<string, unknown>[] };
    const options = parseExperimentConfig({
      ...base,
      datasets: [{ ...base.datasets[0], tasks: { pitch: 'speaker_pitch' } }, base.datasets[1]],
      baselines: false,
      validation: { folds: 4 },
      training: {
        epochs: 3,
        batchSize: 12,
        lr: 0.02,
        optimizer: { name: 'sgd', momentum: 0.9, nesterov: true },
        lossCombiner: { kind: 'weighted', weights: { scene: 2, speaker_pitch: 0.5 } },
        sampling: 'every-dataset',
        samplingWeights: [1, 2],
        schedule: { kind: 'step', everyEpochs: 1, factor: 0.5 },
        gradientClipNorm: 1,
        earlyStopping: { mode: 'per-task', metric: 'loss', patience: 5, restoreBestWeights: false },
        seed: 1,
      },
    });
    const result = await runExperiment(options, { log: () => {} });
    const tasks = result.summary.map((row) => row.task);
    expect(tasks).toContain('speaker_pitch');
    expect(tasks).not.toContain('pitch');
    const records = readFileSync(path.join(result.runDirectory, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { fold: number; epoch: number; split: string; learningRate?: number });
    // the step schedule halves the rate every epoch
    expect(records.filter((record) => record.fold === 0 && record.split === 'train').map((record) => record.learningRate)).toEqual([
      0.02, 0.01, 0.005,
    ]);
    expect(records.some((record) => record.split === 'validation')).toBe(true);
    // a weight or a rename naming no task is an error naming the tasks
    const wrongWeight = parseExperimentConfig({
      ...options,
      training: { ...options.training, lossCombiner: { kind: 'weighted', weights: { pitch: 2 } } },
    });
    const runsBefore = readdirSync(path.join(root, 'runs')).length;
    await expect(runExperiment(wrongWeight, { log: () => {} })).rejects.toThrow(
      /training\.lossCombiner\.weights\.pitch: "pitch" is not a task of the datasets; the tasks are keyword, speaker_pitch, noise/,
    );
    // early stopping on a metric a baseline's task lacks (accuracy of the multi-label noise tags) fails before anything trains
    const wrongMetric = parseExperimentConfig({
      ...options,
      baselines: true,
      training: { ...options.training, earlyStopping: { metric: 'accuracy', patience: 2 } },
    });
    await expect(runExperiment(wrongMetric, { log: () => {} })).rejects.toThrow(
      /training\.earlyStopping: Task "noise" has no numeric metric "accuracy"/,
    );
    const ignoredWeights = parseExperimentConfig({ ...options, training: { ...options.training, sampling: 'per-dataset' } });
    await expect(runExperiment(ignoredWeights, { log: () => {} })).rejects.toThrow(
      /training\.samplingWeights: only the balanced and every-dataset samplers weigh datasets; the sampler is per-dataset/,
    );
    expect(readdirSync(path.join(root, 'runs'))).toHaveLength(runsBefore);
    // resume keeps the run's own config
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['resume', result.runDirectory, '--set', 'training.epochs=9'])).toBe(1);
      expect(String(error.mock.calls[0]?.[0])).toMatch(/--set is not accepted/);
    } finally {
      error.mockRestore();
    }
    const wrongRename = parseExperimentConfig({
      ...options,
      datasets: [{ ...base.datasets[0], tasks: { speaker: 'x' } }, base.datasets[1]],
    });
    await expect(runExperiment(wrongRename, { log: () => {} })).rejects.toThrow(/has no task "speaker" to rename/);
    // PCGrad with a sampler that cannot feed it
    const starved = parseExperimentConfig({
      ...options,
      training: { ...options.training, lossCombiner: 'pcgrad', sampling: 'per-dataset', samplingWeights: undefined },
    });
    await expect(runExperiment(starved, { log: () => {} })).rejects.toThrow(/pcgrad loss combiner .* per-dataset sampler/);
  });
});
