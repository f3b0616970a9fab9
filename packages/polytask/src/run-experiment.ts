/**
 * Runs an experiment described by an {@link ExperimentConfig}: read every dataset through its
 * reader package (extracting into the cache when needed), split into leakage-free folds, train
 * the configured model on each fold with checkpoints, metrics and TensorBoard logs in a run
 * folder, optionally train single-task baselines, and summarise mean ± std over folds.
 * `resumeExperiment` continues an interrupted run from its last complete epoch.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, InvalidArgumentError, importOptional, ShapeMismatchError } from '@polytask/core';
import type { DataReader, SkippedItem } from '@polytask/data-reading';
import { readDataset } from '@polytask/data-reading';
import { createMultiTaskCnn, createMultiTaskDnn, type HeadSpec } from '@polytask/models';
import {
  createRunStore,
  createRunStoreObserver,
  createTensorBoardObserver,
  createTensorBoardWriter,
  type EpochRecord,
  lockRun,
  openRun,
  type TaskMetrics,
  type TrainingObserver,
  writeFileAtomically,
} from '@polytask/results';
import { renameTasks, type TaskDataset } from '@polytask/task-dataset';
import {
  type CheckpointRetention,
  checkEarlyStoppingSpec,
  type EarlyStoppingSpec,
  evaluateModel,
  type LearningRateSchedule,
  type LossCombinerSpec,
  type OptimizerSpec,
  regressionLossKinds,
  restoreCheckpoint,
  selectBackend,
  type TaskLossSpec,
  type TrainFoldOptions,
  trainFold,
} from '@polytask/training';
import { createTrainingSets, type TargetScaler, type ValidationPolicy } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ExperimentConfig, parseExperimentConfig } from './experiment-config';
import { checkReaderOptions } from './internal/check-reader-options';
import { type ExtensionImporter, type LoadedExtensions, loadExtensions } from './load-extensions';

/** One task's headline test metric (and macro F1) per fold, multi-task and (with baselines) alone. */
export interface TaskSummary {
  readonly task: string;
  readonly metric: string;
  readonly multiTask: readonly number[];
  readonly singleTask: readonly number[];
  /** Macro F1 per fold of the multi-task model (the headline hides a majority-class model on imbalanced tasks). */
  readonly multiTaskMacroF1: readonly number[];
  readonly singleTaskMacroF1: readonly number[];
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
  /** Loads the extension packages the config names (tests). @default import from the application folder */
  readonly importExtension?: ExtensionImporter;
  /** Continue this run folder instead of creating one. */
  readonly runDirectory?: string;
  /** Extra observers (progress displays, streamers) next to the run store and TensorBoard. */
  readonly observers?: readonly TrainingObserver[];
}

/** The headline metric of a task's kind: macro F1 (multi-label), R² (regression, higher is better) or accuracy. */
const headline = (metrics: TaskMetrics): [string, number] => {
  if (metrics.kind === 'regression') return ['R²', metrics.r2 ?? Number.NaN];
  return metrics.kind === 'multi-label' ? ['macro F1', metrics.macro?.f1 ?? 0] : ['accuracy', metrics.accuracy ?? 0];
};
/** `task metric value` for logs: fractions as percentages, R² as a number. */
const describeHeadline = (metrics: TaskMetrics): string => {
  const [metric, value] = headline(metrics);
  return `${metrics.task} ${metric} ${isFractionMetric(metric) ? `${(100 * value).toFixed(1)}%` : value.toFixed(3)}`;
};
const mean = (values: readonly number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN);
const deviation = (values: readonly number[]) => Math.sqrt(mean(values.map((value) => (value - mean(values)) ** 2)));

/** True for a summary metric shown as a percentage (accuracy, F1); false for R², shown as a number. */
export function isFractionMetric(metric: string): boolean {
  return metric !== 'R²';
}

/** Options of {@link formatMeanAndDeviation}. */
export interface FormatMeanAndDeviationOptions {
  /** Show the values as percentages (fractions such as accuracy); false for R². @default true */
  readonly percent?: boolean;
}

/** Formats `mean% ± std` of fractions, or `mean ± std` with three decimals when `percent` is false. */
export function formatMeanAndDeviation(values: readonly number[], options: FormatMeanAndDeviationOptions = {}): string {
  if (!values.length) return '-';
  if (options.percent === false) return `${mean(values).toFixed(3)} ± ${deviation(values).toFixed(3)}`;
  return `${(100 * mean(values)).toFixed(1)}% ± ${(100 * deviation(values)).toFixed(1)}`;
}

/** Options of {@link loadReader}. */
export interface LoadReaderOptions extends Pick<RunExperimentOptions, 'log' | 'importReader'> {
  /** The entry's position in the config's `datasets`, for error paths. */
  readonly index: number;
}

/**
 * Loads the reader of a config entry from `@polytask/dataset-<reader>`, after checking the entry's
 * options against the package's `readerOptionsSchema` (a package without one loads with a warning).
 * @throws ConfigError at `datasets.<index>.options.<option>` for an unknown, missing or mistyped option.
 */
export async function loadReader(entry: ExperimentConfig['datasets'][number], options: LoadReaderOptions): Promise<DataReader> {
  const packageName = `@polytask/dataset-${entry.reader}`;
  const module = (await (options.importReader
    ? options.importReader(packageName)
    : importOptional(packageName, (name) => import(name), `reading the "${entry.reader}" dataset`))) as {
    createReader?: (options: Record<string, unknown>) => DataReader;
    readerOptionsSchema?: unknown;
  };
  if (typeof module.createReader !== 'function') {
    throw new InvalidArgumentError({
      argument: `datasets.${options.index}.reader`,
      value: entry.reader,
      message: `${packageName} exports no createReader(options); is it a Polytask dataset reader package?`,
    });
  }
  const log = options.log ?? console.log;
  checkReaderOptions({ reader: entry.reader, options: entry.options, index: options.index, readerPackage: module, log });
  return module.createReader(entry.options);
}

/** A file left out of an experiment's data because it failed and its dataset entry has `onError: 'skip'`. */
export interface ExperimentSkippedFile extends SkippedItem {
  /** The reader whose item it is. */
  readonly reader: string;
}

/** The datasets of an experiment, with the files skipped while reading them. */
export type ExperimentDatasets = TaskDataset[] & { readonly skipped: readonly ExperimentSkippedFile[] };

/**
 * Reads (extracting when needed) every dataset of the config.
 * @returns the datasets in config order; `skipped` lists the files left out (entries with `onError: 'skip'`).
 */
export async function readExperimentDatasets(
  config: ExperimentConfig,
  options: Pick<RunExperimentOptions, 'log' | 'importReader'> = {},
): Promise<ExperimentDatasets> {
  const log = options.log ?? console.log;
  const datasets: TaskDataset[] = [];
  const skipped: ExperimentSkippedFile[] = [];
  for (const entry of config.datasets) {
    const reader = await loadReader(entry, { ...options, index: config.datasets.indexOf(entry) });
    const result = await readDataset(reader, {
      extraction: config.extraction,
      cacheDirectory: config.cacheDirectory,
      indexMode: config.indexMode,
      progress: 'auto',
      log,
      ...(entry.onError ? { onError: entry.onError } : {}),
    });
    skipped.push(...result.skipped.map((item) => ({ reader: reader.name, ...item })));
    log(
      `${reader.name}: ${result.dataset.size} examples, features ${result.fromCache ? 'from the cache' : `extracted (${result.extractedCount})`} in ${result.cacheDirectory}${result.rebuiltReason ? ` (rebuilt: ${result.rebuiltReason})` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped (listed in the run folder's skipped-files.json)` : ''}`,
    );
    const sampled = entry.sampleLabels
      ? result.dataset.sampleLabels({ limits: entry.sampleLabels, seed: config.training.seed })
      : result.dataset;
    datasets.push(entry.tasks ? renameTasks(sampled, entry.tasks) : sampled);
  }
  return Object.assign(datasets, { skipped });
}

/** Lists the files skipped while reading the datasets in `<runDirectory>/skipped-files.json` (nothing when none was). */
export function writeSkippedFiles(runDirectory: string, datasets: Pick<ExperimentDatasets, 'skipped'>): void {
  if (datasets.skipped.length === 0) return;
  writeFileAtomically(path.join(runDirectory, 'skipped-files.json'), `${JSON.stringify(datasets.skipped, null, 1)}\n`);
}

/**
 * Runs (or, with `runDirectory`, continues) an experiment.
 * @example await runExperiment(loadExperimentConfig('experiments/georgiev.json'))
 */
export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  const log = options.log ?? console.log;
  const backend = await selectBackend({ preference: config.backend, log });
  await import('@tensorflow/tfjs-layers');
  const extensions = await loadExtensions(config, options.importExtension);
  const datasets = await readExperimentDatasets(config, options);
  checkConfigAgainstTasks(config, datasets);
  const sets = createExperimentSets(config, datasets);
  logStratification(config, datasets, log);
  const store = options.runDirectory
    ? createRunStore({ root: path.dirname(options.runDirectory), name: path.basename(options.runDirectory) })
    : createRunStore({ root: config.runsDirectory, name: `${config.name}-${new Date().toISOString().replace(/[:.]/g, '-')}` });
  // one writer per run folder: a second run or resume of it is refused while this one lives
  const lock = lockRun(store.directory);
  writeSkippedFiles(store.directory, datasets);
  try {
    const tensorboard = path.join(store.directory, 'tensorboard');
    const observers: TrainingObserver[] = [
      createRunStoreObserver(store),
      createTensorBoardObserver({ directory: tensorboard }),
      ...(options.observers ?? []),
    ];
    const hparams = {
      model: config.model.kind === 'package' ? config.model.package : config.model.kind,
      lr: config.training.lr,
      optimizer: typeof config.training.optimizer === 'string' ? config.training.optimizer : config.training.optimizer.name,
      lossCombiner: combinerName(config),
      extraction: config.extraction.name,
      batchSize: config.training.batchSize,
      // 'all' for the multi-task sessions, a task's name for its single-task baseline sessions
      tasks: 'all',
    };
    const taskNames = [...new Set(datasets.flatMap((dataset) => dataset.tasks.map((task) => task.name)))];
    for (const observer of observers) await observer.onRunStart?.({ foldCount: sets.foldCount, tasks: taskNames, hparams, config });
    const previous = options.runDirectory ? openRun(store.directory) : undefined;
    if (previous) discardUncommittedRecords(store);
    const summary = new Map<
      string,
      { metric: string; multiTask: number[]; singleTask: number[]; multiTaskMacroF1: number[]; singleTaskMacroF1: number[] }
    >();
    let status: 'success' | 'stopped' = 'success';
    let completedFolds = 0;
    try {
      for (const { fold, train, validation, test, preparations } of sets.folds()) {
        const doneFile = path.join(store.directory, `fold-${fold}.result.json`);
        let finalTasks: TaskMetrics[];
        let singleTasks: Record<string, TaskMetrics> = {};
        if (existsSync(doneFile)) {
          ({ finalTasks, singleTasks } = JSON.parse(readFileSync(doneFile, 'utf8')) as {
            finalTasks: TaskMetrics[];
            singleTasks: Record<string, TaskMetrics>;
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
          const build = () => buildModel(config, train, fold, extensions);
          const settings = {
            ...trainingSettings(config, extensions),
            seed: config.training.seed + fold,
            ...(validation ? { validation } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          };
          const resume = previous && previous.checkpointEpochs(fold).length > 0 ? previous.loadCheckpoint(fold) : undefined;
          const multi = await withModel(build(), (model) =>
            trainFold({
              ...settings,
              model,
              train,
              test,
              fold,
              store,
              observers,
              ...(resume ? { resume } : {}),
            }),
          );
          if (multi.interrupted) {
            status = 'stopped';
            log(`interrupted in fold ${fold + 1}; resume with: polytask resume ${store.directory}`);
            break;
          }
          finalTasks = [...(reportedTest(config, multi, store.directory, fold)?.tasks ?? [])];
          if (config.baselines && heads.length > 1) {
            for (const head of heads) {
              // each baseline has its own checkpoints (and confusion matrices) and resumes like a fold
              const baselineFolder = baselineDirectory(store.directory, head.name);
              const baselineStore = createRunStore({ root: path.dirname(baselineFolder), name: path.basename(baselineFolder) });
              const model = `single:${head.name}`;
              // baseline sessions join the HParams experiment with `tasks` set to the task's name
              const baselineLog = createTensorBoardObserver({
                directory: path.join(tensorboard, `single-${path.basename(baselineFolder)}`),
                writeExperiment: false,
                sessionGroup: `single-${head.name}`,
              });
              const recordInRun: TrainingObserver = {
                onEpochEnd(info) {
                  for (const record of [info.train, info.validation, info.test]) if (record) store.recordEpoch({ ...record, model });
                },
              };
              const baselineObservers = [baselineLog, createRunStoreObserver(baselineStore), recordInRun];
              await baselineLog.onRunStart?.({ foldCount: sets.foldCount, tasks: [head.name], hparams: { ...hparams, tasks: head.name } });
              await baselineLog.onFoldStart?.({ fold, preparations });
              const baselineRun = openRun(baselineStore.directory);
              const baselineResume = baselineRun.checkpointEpochs(fold).length > 0 ? baselineRun.loadCheckpoint(fold) : undefined;
              let alone: Awaited<ReturnType<typeof trainFold>>;
              try {
                alone = await withModel(build(), (model) =>
                  trainFold({
                    ...settings,
                    ...(settings.earlyStopping ? { earlyStopping: baselineStopping(settings.earlyStopping, head.name) } : {}),
                    model,
                    train,
                    test,
                    fold,
                    tasks: [head.name],
                    store: baselineStore,
                    observers: baselineObservers,
                    ...(baselineResume ? { resume: baselineResume } : {}),
                  }),
                );
              } catch (error) {
                // the baseline's event files are closed however its training ends
                await baselineLog.onRunEnd?.({ status: 'failure', error });
                throw error;
              }
              await baselineLog.onRunEnd?.({ status: alone.interrupted ? 'stopped' : 'success' });
              if (alone.interrupted) {
                status = 'stopped';
                break;
              }
              const metrics = reportedTest(config, alone, store.directory, fold, model)?.tasks[0];
              if (metrics) singleTasks[head.name] = metrics;
            }
            if (status === 'stopped') {
              log(`interrupted in fold ${fold + 1}'s baselines; resume with: polytask resume ${store.directory}`);
              break;
            }
          }
          writeFileAtomically(doneFile, JSON.stringify({ finalTasks, singleTasks }));
          log(`fold ${fold + 1}/${sets.foldCount}: ${finalTasks.map(describeHeadline).join(', ')}`);
        }
        if (finalTasks.length > 0) completedFolds++;
        for (const task of finalTasks) {
          const [metric, value] = headline(task);
          const entry = summary.get(task.task) ?? { metric, multiTask: [], singleTask: [], multiTaskMacroF1: [], singleTaskMacroF1: [] };
          entry.multiTask.push(value);
          // regression tasks have no macro F1: their columns stay empty
          if (task.macro) entry.multiTaskMacroF1.push(task.macro.f1);
          const alone = singleTasks[task.task];
          if (alone !== undefined) {
            entry.singleTask.push(headline(alone)[1]);
            if (alone.macro) entry.singleTaskMacroF1.push(alone.macro.f1);
          }
          summary.set(task.task, entry);
        }
      }
    } catch (error) {
      for (const observer of observers) await observer.onRunEnd?.({ status: 'failure', error });
      throw error;
    }
    for (const observer of observers) await observer.onRunEnd?.({ status });
    const rows = [...summary].map(([task, entry]) => ({ task, ...entry }));
    // only complete folds are summarised; the header says how many
    const table = [
      `| task | metric | multi-task (mean ± std over ${completedFolds}${completedFolds === sets.foldCount ? '' : ` of ${sets.foldCount}`} folds) | single-task | multi-task macro F1 | single-task macro F1 |`,
      '|---|---|---|---|---|---|',
      ...rows.map(
        (row) =>
          `| ${row.task} | ${row.metric} | ${formatMeanAndDeviation(row.multiTask, { percent: isFractionMetric(row.metric) })} | ${formatMeanAndDeviation(row.singleTask, { percent: isFractionMetric(row.metric) })} | ${formatMeanAndDeviation(row.multiTaskMacroF1)} | ${formatMeanAndDeviation(row.singleTaskMacroF1)} |`,
      ),
    ].join('\n');
    writeFileAtomically(
      path.join(store.directory, 'summary.json'),
      JSON.stringify(
        { name: config.name, status, backend: backend.backend, folds: completedFolds, foldCount: sets.foldCount, summary: rows },
        null,
        1,
      ),
    );
    writeFileAtomically(path.join(store.directory, 'summary.md'), `# ${config.name}\n\n${table}\n`);
    if (status === 'success' && completedFolds === sets.foldCount) writeTensorBoardSummary(store.directory, table, rows);
    log('');
    log(table);
    log('');
    log(`run folder: ${path.resolve(store.directory)}`);
    log(`TensorBoard: pip install tensorboard && tensorboard --logdir ${path.resolve(tensorboard)}`);
    return { runDirectory: store.directory, backend: backend.backend, summary: rows };
  } finally {
    lock.release();
  }
}

/**
 * Says how datasets with regression tasks are split: by their first classification task, or, with
 * regression tasks only, by (grouped) k-fold without stratification (real values have no classes).
 */
function logStratification(config: ExperimentConfig, datasets: readonly TaskDataset[], log: (line: string) => void): void {
  const stratified = config.split.kind === 'ratio' || config.split.stratify !== false;
  for (const dataset of datasets) {
    if (!stratified || dataset.predefinedSplit || dataset.tasks[0]?.kind !== 'regression') continue;
    const classification = dataset.tasks.find((task) => task.kind !== 'regression');
    log(
      classification
        ? `${dataset.name}: main task "${dataset.tasks[0].name}" is a regression task; folds are stratified by "${classification.name}"`
        : `${dataset.name}: regression tasks only, so its folds are ${config.split.kind === 'ratio' ? 'a shuffled split' : 'k-fold'} (grouped when it has groups), not stratified`,
    );
  }
}

/** Runs `use` with a model built for one training and frees the model's weights however it ends. */
async function withModel<Result>(model: LayersModel, use: (model: LayersModel) => Promise<Result>): Promise<Result> {
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

/**
 * The comparison in TensorBoard too, once per completed experiment: a text table and one scalar per
 * task and setting (step = fold count) in `tensorboard/summary`, written in a temporary folder and
 * renamed over an earlier one (a resume of a completed run replaces it).
 */
function writeTensorBoardSummary(runDirectory: string, table: string, rows: readonly TaskSummary[]): void {
  const target = path.join(runDirectory, 'tensorboard', 'summary');
  // outside the log directory (TensorBoard would list it as a run); a killed write's folder goes with the run's temporaries
  const suffix = `tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const temporary = path.join(runDirectory, `tensorboard-summary.${suffix}`);
  mkdirSync(path.dirname(target), { recursive: true });
  const writer = createTensorBoardWriter({ directory: temporary });
  writer.text('summary', table, 0);
  for (const row of rows) {
    const tag = row.task.replace(/[^A-Za-z0-9_]/g, '_');
    // `accuracy`, `macro_F1`, `R2`: tags stay ASCII
    const metric = row.metric.replace('²', '2').replace(/[^A-Za-z0-9_]/g, '_');
    if (row.multiTask.length) writer.scalar(`multi_task/${tag}_${metric}`, mean(row.multiTask), row.multiTask.length);
    if (row.singleTask.length) writer.scalar(`single_task/${tag}_${metric}`, mean(row.singleTask), row.singleTask.length);
  }
  writer.close();
  const replaced = path.join(runDirectory, `tensorboard-summary-replaced.${suffix}`);
  if (existsSync(target)) renameSync(target, replaced);
  renameSync(temporary, target);
  rmSync(replaced, { recursive: true, force: true });
}

/** Where a task's single-task baseline keeps its own run files: `<run>/baselines/<task, file-safe>`. */
function baselineDirectory(runDirectory: string, task: string): string {
  return path.join(runDirectory, 'baselines', task.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

/**
 * Before a resume: drops the metrics records (of the multi-task model and of each baseline) that
 * no checkpoint committed, from the run's and each baseline's own metrics files.
 */
function discardUncommittedRecords(store: ReturnType<typeof createRunStore>): void {
  store.removeTemporaries();
  const lastCommitted = (directory: string, fold: number) => {
    if (!existsSync(directory)) return 0;
    return openRun(directory).checkpointEpochs(fold).at(-1) ?? 0;
  };
  store.discardUncommitted((fold, model) =>
    lastCommitted(model === undefined ? store.directory : baselineDirectory(store.directory, model.slice('single:'.length)), fold),
  );
  const baselines = path.join(store.directory, 'baselines');
  if (!existsSync(baselines)) return;
  for (const name of readdirSync(baselines)) {
    const baselineStore = createRunStore({ root: baselines, name });
    baselineStore.removeTemporaries();
    baselineStore.discardUncommitted((fold) => lastCommitted(baselineStore.directory, fold));
  }
}

/**
 * The test record a fold reports: of the best epoch (chosen on validation) when early stopping
 * restores the best weights, else of the last epoch; from the run's records after a resume.
 */
function reportedTest(
  config: ExperimentConfig,
  result: { bestEpoch: number | undefined; epochsCompleted: number; history: readonly { train: EpochRecord; test?: EpochRecord }[] },
  runDirectory: string,
  fold: number,
  model?: string,
): EpochRecord | undefined {
  const stopping = config.training.earlyStopping;
  const epoch =
    stopping && (stopping.restoreBestWeights ?? true) && result.bestEpoch !== undefined ? result.bestEpoch : result.epochsCompleted;
  return result.history.find((entry) => entry.train.epoch === epoch)?.test ?? openRun(runDirectory).metricsOf(fold, epoch, 'test', model);
}

/** Early stopping of a task's baseline: it watches that task (a `task` set for the multi-task model names another). */
function baselineStopping(spec: EarlyStoppingSpec, task: string): EarlyStoppingSpec {
  return spec.task === undefined ? spec : { ...spec, task };
}

/**
 * Checks, before any run folder or training, that what the config says of tasks fits the tasks the
 * datasets have: loss and combiner weights name tasks, and early stopping fits the model and every baseline.
 * @throws ConfigError at the setting's path.
 */
function checkConfigAgainstTasks(config: ExperimentConfig, datasets: readonly TaskDataset[]): void {
  const tasks = [...new Map(datasets.flatMap((dataset) => dataset.tasks.map((task) => [task.name, task] as const))).values()];
  const names = tasks.map((task) => task.name);
  const unknown = (configPath: string, keys: readonly string[]) => {
    const wrong = keys.find((key) => !names.includes(key));
    if (wrong !== undefined)
      throw new ConfigError({
        configPath: `${configPath}.${wrong}`,
        value: wrong,
        message: `${configPath}.${wrong}: "${wrong}" is not a task of the datasets; the tasks are ${names.join(', ')}.`,
      });
  };
  unknown('training.losses', Object.keys(config.training.losses ?? {}));
  const combiner = config.training.lossCombiner;
  if (typeof combiner === 'object' && combiner.kind === 'weighted') {
    unknown('training.lossCombiner.weights', Object.keys(combiner.weights));
    if (!Object.values(combiner.weights).some((weight) => weight > 0) && Object.keys(combiner.weights).length >= names.length)
      throw new ConfigError({
        configPath: 'training.lossCombiner.weights',
        value: combiner.weights,
        message: 'training.lossCombiner.weights: every weight is 0, so nothing would be trained; give at least one task a positive weight.',
      });
  }
  const { samplingWeights } = config.training;
  // the sampler training will use: PCGrad and GradNorm default to every-dataset when the datasets carry different tasks
  const taskSets = datasets.map((dataset) => dataset.tasks.map((task) => task.name).join(','));
  const gradientCombiner = ['pcgrad', 'gradnorm'].includes(typeof combiner === 'string' ? combiner : combiner.kind);
  const sampling = config.training.sampling ?? (gradientCombiner && new Set(taskSets).size > 1 ? 'every-dataset' : undefined);
  if (samplingWeights && sampling !== 'balanced' && sampling !== 'every-dataset')
    throw new ConfigError({
      configPath: 'training.samplingWeights',
      value: samplingWeights,
      message: `training.samplingWeights: only the balanced and every-dataset samplers weigh datasets; the sampler is ${typeof sampling === 'string' ? sampling : sampling ? sampling.package : 'per-dataset (the default)'}. Set training.sampling or remove the weights.`,
    });
  if (samplingWeights && samplingWeights.length !== datasets.length)
    throw new ConfigError({
      configPath: 'training.samplingWeights',
      value: samplingWeights,
      message: `training.samplingWeights: give one weight per dataset (${datasets.length}), in the order of datasets; got ${samplingWeights.length}.`,
    });
  if (samplingWeights && sampling === 'every-dataset' && samplingWeights.some((weight) => !(weight > 0)))
    throw new ConfigError({
      configPath: 'training.samplingWeights',
      value: samplingWeights,
      message: 'training.samplingWeights: the every-dataset sampler puts every dataset in each batch, so every weight must be positive.',
    });
  for (const [task, spec] of Object.entries(config.training.losses ?? {})) {
    const definition = tasks.find((candidate) => candidate.name === task);
    const regressionLoss = (regressionLossKinds as readonly string[]).includes(spec.kind);
    if (regressionLoss !== (definition?.kind === 'regression'))
      throw new ConfigError({
        configPath: `training.losses.${task}.kind`,
        value: spec.kind,
        message: regressionLoss
          ? `training.losses.${task}.kind: "${task}" is ${definition?.kind}; ${spec.kind} is a regression loss. Use cross-entropy or focal.`
          : `training.losses.${task}.kind: "${task}" is a regression task; use ${regressionLossKinds.join(', ')}.`,
      });
    const weights = 'classWeights' in spec ? spec.classWeights : undefined;
    const expected = definition?.kind === 'binary' ? 2 : definition?.labels.length;
    if (Array.isArray(weights) && weights.length !== expected)
      throw new ConfigError({
        configPath: `training.losses.${task}.classWeights`,
        value: weights,
        message: `training.losses.${task}.classWeights: "${task}" needs ${expected} weights (${definition?.kind === 'binary' ? '[negative, positive]' : `one per label: ${definition?.labels.join(', ')}`}), got ${weights.length}.`,
      });
    if (Array.isArray(weights) && !weights.some((weight) => weight > 0))
      throw new ConfigError({
        configPath: `training.losses.${task}.classWeights`,
        value: weights,
        message: `training.losses.${task}.classWeights: every weight is 0, so "${task}" would never be trained; give at least one class a positive weight.`,
      });
  }
  const stopping = config.training.earlyStopping as EarlyStoppingSpec | undefined;
  if (!stopping) return;
  try {
    checkEarlyStoppingSpec(stopping, tasks);
    if (config.baselines && tasks.length > 1)
      for (const task of tasks) checkEarlyStoppingSpec(baselineStopping(stopping, task.name), [task]);
  } catch (cause) {
    throw new ConfigError({
      configPath: 'training.earlyStopping',
      value: stopping,
      message: `training.earlyStopping: ${(cause as Error).message}${config.baselines ? ' (baselines watch their own task with the same metric)' : ''}`,
      cause,
    });
  }
}

/** The combiner's name for HParams: its kind, or its package. */
function combinerName(config: ExperimentConfig): string {
  const combiner = config.training.lossCombiner;
  if (typeof combiner === 'string') return combiner;
  return combiner.kind === 'package' ? combiner.package : combiner.kind;
}

/** The config's training settings as trainFold options (everything but the data, model and run). */
function trainingSettings(config: ExperimentConfig, extensions: LoadedExtensions) {
  const { training } = config;
  const optimizer = (typeof training.optimizer === 'string' ? { name: training.optimizer } : training.optimizer) as OptimizerSpec;
  const lossCombiner =
    extensions.lossCombiner ??
    ((typeof training.lossCombiner === 'string' ? { kind: training.lossCombiner } : training.lossCombiner) as LossCombinerSpec);
  const sampling = extensions.sampling ?? (typeof training.sampling === 'string' ? training.sampling : undefined);
  return {
    epochs: training.epochs,
    batchSize: training.batchSize,
    optimizer: { ...optimizer, learningRate: training.lr },
    lossCombiner,
    ...(sampling ? { sampling } : {}),
    ...(training.samplingWeights ? { samplingWeights: training.samplingWeights } : {}),
    ...(training.schedule ? { schedule: training.schedule as LearningRateSchedule } : {}),
    ...(training.losses ? { losses: training.losses as Record<string, TaskLossSpec> } : {}),
    ...(training.gradientClipNorm ? { gradientClipNorm: training.gradientClipNorm } : {}),
    ...(training.earlyStopping ? { earlyStopping: training.earlyStopping as EarlyStoppingSpec } : {}),
    ...(training.checkpoints ? { checkpoints: training.checkpoints as CheckpointRetention } : {}),
    ...(training.targetScaling ? { targetScaling: training.targetScaling } : {}),
  } satisfies Partial<TrainFoldOptions>;
}

/**
 * The validation policy: the config's, or 15% of each training part when early stopping or a
 * reduce-on-plateau schedule watches it; `false` turns it off (they then watch the training metrics).
 */
function validationPolicy(config: ExperimentConfig): ValidationPolicy | undefined {
  if (config.validation === false) return undefined;
  if (config.validation) return config.validation as ValidationPolicy;
  const watched = config.training.earlyStopping !== undefined || config.training.schedule?.kind === 'reduce-on-plateau';
  return watched ? { fraction: 0.15 } : undefined;
}

/** The config's split and preparation applied to the datasets: the experiment's folds. */
function createExperimentSets(config: ExperimentConfig, datasets: readonly TaskDataset[]) {
  const validation = validationPolicy(config);
  return createTrainingSets({
    datasets,
    ...(validation ? { validation: { ...validation, seed: validation.seed ?? config.training.seed } } : {}),
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
  extensions: LoadedExtensions,
) {
  const heads: HeadSpec[] = train.tasks.map(({ task }) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const inputShape = train.shapeOf(0);
  if (extensions.createModel) return extensions.createModel({ inputShape, tasks: heads, seed: fold });
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
  const extensions = await loadExtensions(config);
  const datasets = await readExperimentDatasets(config, { log: () => {} });
  const sets = createExperimentSets(config, datasets);
  const records: EpochRecord[] = [];
  for (const { fold, train, test } of sets.folds()) {
    const epochs = run.checkpointEpochs(fold);
    for (const epoch of options.which === 'last' ? epochs.slice(-1) : epochs) {
      const model = buildModel(config, train, fold, extensions);
      const checkpoint = run.loadCheckpoint(fold, epoch);
      await restoreCheckpoint(model, tf.train.adam(), checkpoint);
      // regression heads predict scaled targets: the fold's scaler (in the checkpoint) unscales them
      const targetScaler = (checkpoint.state as { targetScaler?: TargetScaler } | undefined)?.targetScaler;
      const record = await evaluateModel({
        model,
        set: test,
        fold,
        epoch,
        batchSize: config.training.batchSize,
        ...(targetScaler ? { targetScaler } : {}),
      });
      model.dispose();
      records.push(record);
      log(`fold ${fold} epoch ${epoch}: ${record.tasks.map(describeHeadline).join(', ')}`);
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
