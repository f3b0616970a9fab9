/**
 * Runs an experiment described by an {@link ExperimentConfig}: read every dataset through its
 * reader package (extracting into the cache when needed), split into leakage-free folds, train
 * the configured model on each fold with checkpoints, metrics and TensorBoard logs in a run
 * folder, optionally train single-task baselines, and summarise mean ± std over folds.
 * `resumeExperiment` continues an interrupted run from its last complete epoch.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, importOptional, ShapeMismatchError } from '@polytask/core';
import type { DataReader } from '@polytask/data-reading';
import { readDataset } from '@polytask/data-reading';
import { createMultiTaskCnn, createMultiTaskDnn, type HeadSpec } from '@polytask/models';
import {
  createRunStore,
  createRunStoreObserver,
  createTensorBoardObserver,
  createTensorBoardWriter,
  type EpochRecord,
  openRun,
  type TaskMetrics,
  type TrainingObserver,
} from '@polytask/results';
import type { TaskDataset } from '@polytask/task-dataset';
import { type EarlyStoppingSpec, evaluateModel, restoreCheckpoint, selectBackend, trainFold } from '@polytask/training';
import { createTrainingSets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { type ExperimentConfig, parseExperimentConfig } from './experiment-config';

/** One task's headline test metric per fold, multi-task and (with baselines) alone. */
export interface TaskSummary {
  readonly task: string;
  readonly metric: string;
  readonly multiTask: readonly number[];
  readonly singleTask: readonly number[];
}

/** What an experiment produced. */
export interface ExperimentResult {
  readonly runDirectory: string;
  readonly backend: string;
  readonly summary: readonly TaskSummary[];
}

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** Stops after the current batch; the run stays resumable. */
  readonly signal?: AbortSignal;
  /** Loads a reader package (tests). @default import from the application folder */
  readonly importReader?: (packageName: string) => Promise<unknown>;
  /** Continue this run folder instead of creating one. */
  readonly runDirectory?: string;
  /** Extra observers (progress displays, streamers) next to the run store and TensorBoard. */
  readonly observers?: readonly TrainingObserver[];
}

const headline = (metrics: TaskMetrics): [string, number] =>
  metrics.kind === 'multi-label' ? ['macro F1', metrics.macro.f1] : ['accuracy', metrics.accuracy ?? 0];
const mean = (values: readonly number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN);
const deviation = (values: readonly number[]) => Math.sqrt(mean(values.map((value) => (value - mean(values)) ** 2)));

/** Formats `mean% ± std` of fractions. */
export function formatMeanAndDeviation(values: readonly number[]): string {
  return values.length ? `${(100 * mean(values)).toFixed(1)}% ± ${(100 * deviation(values)).toFixed(1)}` : '-';
}

/** Loads the reader of a config entry from `@polytask/dataset-<reader>`. */
export async function loadReader(
  entry: ExperimentConfig['datasets'][number],
  importReader?: (name: string) => Promise<unknown>,
): Promise<DataReader> {
  const packageName = `@polytask/dataset-${entry.reader}`;
  const module = (await (importReader
    ? importReader(packageName)
    : importOptional(packageName, (name) => import(name), `reading the "${entry.reader}" dataset`))) as {
    createReader?: (options: Record<string, unknown>) => DataReader;
  };
  if (typeof module.createReader !== 'function') {
    throw new InvalidArgumentError({
      argument: 'datasets.reader',
      value: entry.reader,
      message: `${packageName} exports no createReader(options); is it a Polytask dataset reader package?`,
    });
  }
  return module.createReader(entry.options);
}

/** Reads (extracting when needed) every dataset of the config. */
export async function readExperimentDatasets(
  config: ExperimentConfig,
  options: Pick<RunExperimentOptions, 'log' | 'importReader'> = {},
): Promise<TaskDataset[]> {
  const log = options.log ?? console.log;
  const datasets: TaskDataset[] = [];
  for (const entry of config.datasets) {
    const reader = await loadReader(entry, options.importReader);
    const result = await readDataset(reader, {
      extraction: config.extraction,
      cacheDirectory: config.cacheDirectory,
      indexMode: config.indexMode,
      progress: 'auto',
    });
    log(
      `${reader.name}: ${result.dataset.size} examples, features ${result.fromCache ? 'from the cache' : `extracted (${result.extractedCount})`} in ${result.cacheDirectory}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}`,
    );
    datasets.push(
      entry.sampleLabels ? result.dataset.sampleLabels({ limits: entry.sampleLabels, seed: config.training.seed }) : result.dataset,
    );
  }
  return datasets;
}

/**
 * Runs (or, with `runDirectory`, continues) an experiment.
 * @example await runExperiment(loadExperimentConfig('experiments/georgiev.json'))
 */
export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  const log = options.log ?? console.log;
  const backend = await selectBackend({ preference: config.backend, log });
  await import('@tensorflow/tfjs-layers');
  const datasets = await readExperimentDatasets(config, options);
  const sets = createExperimentSets(config, datasets);
  const store = options.runDirectory
    ? createRunStore({ root: path.dirname(options.runDirectory), name: path.basename(options.runDirectory) })
    : createRunStore({ root: config.runsDirectory, name: `${config.name}-${new Date().toISOString().replace(/[:.]/g, '-')}` });
  const tensorboard = path.join(store.directory, 'tensorboard');
  const observers: TrainingObserver[] = [
    createRunStoreObserver(store),
    createTensorBoardObserver({ directory: tensorboard }),
    ...(options.observers ?? []),
  ];
  const hparams = {
    model: config.model.kind,
    lr: config.training.lr,
    optimizer: config.training.optimizer,
    lossCombiner: config.training.lossCombiner,
    extraction: config.extraction.name,
    batchSize: config.training.batchSize,
    // 'all' for the multi-task sessions, a task's name for its single-task baseline sessions
    tasks: 'all',
  };
  const taskNames = [...new Set(datasets.flatMap((dataset) => dataset.tasks.map((task) => task.name)))];
  for (const observer of observers) await observer.onRunStart?.({ foldCount: sets.foldCount, tasks: taskNames, hparams, config });
  const previous = options.runDirectory ? openRun(store.directory) : undefined;
  const summary = new Map<string, { metric: string; multiTask: number[]; singleTask: number[] }>();
  let status: 'success' | 'stopped' = 'success';
  try {
    for (const { fold, train, test, preparations } of sets.folds()) {
      const doneFile = path.join(store.directory, `fold-${fold}.result.json`);
      let finalTasks: TaskMetrics[];
      let singleTasks: Record<string, number> = {};
      if (existsSync(doneFile)) {
        ({ finalTasks, singleTasks } = JSON.parse(readFileSync(doneFile, 'utf8')) as {
          finalTasks: TaskMetrics[];
          singleTasks: Record<string, number>;
        });
        log(`fold ${fold + 1}/${sets.foldCount}: already complete`);
      } else {
        for (const observer of observers) await observer.onFoldStart?.({ fold, preparations });
        const inputShape = train.shapeOf(0);
        for (let index = 1; index < train.size; index++) {
          if (train.shapeOf(index).join('x') !== inputShape.join('x')) {
            throw new ShapeMismatchError({
              expected: inputShape,
              actual: train.shapeOf(index),
              message: `Examples have different feature shapes ([${inputShape}] vs [${train.shapeOf(index)}]); set preparation.frames (e.g. { "fit": "median" }) so the model gets one shape.`,
            });
          }
        }
        const heads: HeadSpec[] = train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
        const build = () => buildModel(config, train, fold);
        const settings = {
          epochs: config.training.epochs,
          batchSize: config.training.batchSize,
          sampling: config.training.sampling,
          seed: config.training.seed + fold,
          optimizer: { name: config.training.optimizer, learningRate: config.training.lr },
          lossCombiner: { kind: config.training.lossCombiner },
          ...(config.training.gradientClipNorm ? { gradientClipNorm: config.training.gradientClipNorm } : {}),
          ...(config.training.earlyStopping ? { earlyStopping: config.training.earlyStopping as EarlyStoppingSpec } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        } as const;
        const resume = previous && previous.checkpointEpochs(fold).length > 0 ? previous.loadCheckpoint(fold) : undefined;
        const multi = await trainFold({ ...settings, model: build(), train, test, fold, store, observers, ...(resume ? { resume } : {}) });
        if (multi.interrupted) {
          status = 'stopped';
          log(`interrupted in fold ${fold + 1}; resume with: polytask resume ${store.directory}`);
          break;
        }
        finalTasks = [
          ...(multi.history.at(-1)?.test?.tasks ?? openRun(store.directory).metricsOf(fold, multi.epochsCompleted, 'test')?.tasks ?? []),
        ];
        if (config.baselines && heads.length > 1) {
          for (const head of heads) {
            // baseline sessions join the HParams experiment with `tasks` set to the task's name
            const baselineLog = createTensorBoardObserver({
              directory: path.join(tensorboard, `single-${head.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`),
              writeExperiment: false,
              sessionGroupPrefix: `single-${head.name}/`,
            });
            await baselineLog.onRunStart?.({ foldCount: sets.foldCount, tasks: [head.name], hparams: { ...hparams, tasks: head.name } });
            await baselineLog.onFoldStart?.({ fold, preparations });
            const alone = await trainFold({ ...settings, model: build(), train, test, fold, tasks: [head.name], observers: [baselineLog] });
            await baselineLog.onRunEnd?.({ status: alone.interrupted ? 'stopped' : 'success' });
            const metrics = alone.history.at(-1)?.test?.tasks[0];
            if (metrics) singleTasks[head.name] = headline(metrics)[1];
          }
        }
        writeFileAtomically(doneFile, JSON.stringify({ finalTasks, singleTasks }));
        log(
          `fold ${fold + 1}/${sets.foldCount}: ${finalTasks.map((task) => `${task.task} ${headline(task)[0]} ${(100 * headline(task)[1]).toFixed(1)}%`).join(', ')}`,
        );
      }
      for (const task of finalTasks) {
        const [metric, value] = headline(task);
        const entry = summary.get(task.task) ?? { metric, multiTask: [], singleTask: [] };
        entry.multiTask.push(value);
        if (singleTasks[task.task] !== undefined) entry.singleTask.push(singleTasks[task.task] as number);
        summary.set(task.task, entry);
      }
    }
  } catch (error) {
    for (const observer of observers) await observer.onRunEnd?.({ status: 'failure', error });
    throw error;
  }
  for (const observer of observers) await observer.onRunEnd?.({ status });
  const rows = [...summary].map(([task, entry]) => ({ task, ...entry }));
  const table = [
    `| task | metric | multi-task (mean ± std over ${sets.foldCount} folds) | single-task |`,
    '|---|---|---|---|',
    ...rows.map(
      (row) => `| ${row.task} | ${row.metric} | ${formatMeanAndDeviation(row.multiTask)} | ${formatMeanAndDeviation(row.singleTask)} |`,
    ),
  ].join('\n');
  writeFileAtomically(
    path.join(store.directory, 'summary.json'),
    JSON.stringify({ name: config.name, status, backend: backend.backend, summary: rows }, null, 1),
  );
  writeFileAtomically(path.join(store.directory, 'summary.md'), `# ${config.name}\n\n${table}\n`);
  // the comparison in TensorBoard too: a text table and one scalar per task and setting (step = fold count)
  const summaryWriter = createTensorBoardWriter({ directory: path.join(tensorboard, 'summary') });
  summaryWriter.text('summary', table, 0);
  for (const row of rows) {
    const tag = row.task.replace(/[^A-Za-z0-9_]/g, '_');
    if (row.multiTask.length)
      summaryWriter.scalar(`multi_task/${tag}_${row.metric.replace(/ /g, '_')}`, mean(row.multiTask), row.multiTask.length);
    if (row.singleTask.length)
      summaryWriter.scalar(`single_task/${tag}_${row.metric.replace(/ /g, '_')}`, mean(row.singleTask), row.singleTask.length);
  }
  summaryWriter.close();
  log('');
  log(table);
  log('');
  log(`run folder: ${path.resolve(store.directory)}`);
  log(`TensorBoard: pip install tensorboard && tensorboard --logdir ${path.resolve(tensorboard)}`);
  return { runDirectory: store.directory, backend: backend.backend, summary: rows };
}

/** Writes a file through a temporary name, so a crash never leaves it half-written. */
function writeFileAtomically(file: string, contents: string): void {
  writeFileSync(`${file}.tmp`, contents);
  renameSync(`${file}.tmp`, file);
}

/** The config's split and preparation applied to the datasets: the experiment's folds. */
function createExperimentSets(config: ExperimentConfig, datasets: readonly TaskDataset[]) {
  return createTrainingSets({
    datasets,
    split: config.split as NonNullable<Parameters<typeof createTrainingSets>[0]['split']>,
    preparation: { ...config.preparation, scaling: config.preparation.scaling ?? null } as Parameters<
      typeof createTrainingSets
    >[0]['preparation'] &
      object,
  });
}

/** Builds the config's model for a fold's combined training set. */
function buildModel(
  config: ExperimentConfig,
  train: { tasks: readonly { task: HeadSpec }[]; shapeOf(index: number): readonly number[] },
  fold: number,
) {
  const heads: HeadSpec[] = train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const inputShape = train.shapeOf(0);
  const { kind, ...modelOptions } = config.model;
  return kind === 'cnn'
    ? createMultiTaskCnn({ ...modelOptions, inputShape, tasks: heads, seed: fold } as never)
    : createMultiTaskDnn({ ...modelOptions, inputShape, tasks: heads, seed: fold } as never);
}

/**
 * Evaluates the stored checkpoints of a run on each fold's test part (the thesis's "blank model"
 * evaluation): every checkpoint, or only the last one per fold.
 * @returns one test record per fold and evaluated epoch.
 */
export async function evaluateRunCheckpoints(
  runDirectory: string,
  options: { which?: 'all' | 'last'; log?: (line: string) => void } = {},
): Promise<EpochRecord[]> {
  const log = options.log ?? console.log;
  const run = openRun(runDirectory);
  const config = parseExperimentConfig(run.config, path.join(runDirectory, 'config.json'));
  await selectBackend({ preference: config.backend, log: () => {} });
  await import('@tensorflow/tfjs-layers');
  const datasets = await readExperimentDatasets(config, { log: () => {} });
  const sets = createExperimentSets(config, datasets);
  const records: EpochRecord[] = [];
  for (const { fold, train, test } of sets.folds()) {
    const epochs = run.checkpointEpochs(fold);
    for (const epoch of options.which === 'last' ? epochs.slice(-1) : epochs) {
      const model = buildModel(config, train, fold);
      await restoreCheckpoint(model, tf.train.adam(), run.loadCheckpoint(fold, epoch));
      const record = await evaluateModel({ model, set: test, fold, epoch, batchSize: config.training.batchSize });
      model.dispose();
      records.push(record);
      log(
        `fold ${fold} epoch ${epoch}: ${record.tasks.map((task) => `${task.task} ${headline(task)[0]} ${(100 * headline(task)[1]).toFixed(1)}%`).join(', ')}`,
      );
    }
  }
  return records;
}

/** Continues an interrupted run from its folder (its `config.json`, folds done, last checkpoints). */
export async function resumeExperiment(
  runDirectory: string,
  options: Omit<RunExperimentOptions, 'runDirectory'> = {},
): Promise<ExperimentResult> {
  const run = openRun(runDirectory);
  return runExperiment(parseExperimentConfig(run.config, path.join(runDirectory, 'config.json')), { ...options, runDirectory });
}
