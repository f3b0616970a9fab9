/**
 * Runs an experiment described by an {@link ExperimentConfig}: read every dataset through its
 * reader package (extracting into the cache when needed), split into leakage-free folds, train
 * the configured model on each fold with checkpoints, metrics and TensorBoard logs in a run
 * folder, optionally train single-task baselines, and summarise mean ± std over folds.
 * `resumeExperiment` continues an interrupted run from its last complete epoch.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigError,
  type FeatureMatrix,
  InvalidArgumentError,
  importOptional,
  MissingDependencyError,
  MissingFileError,
  PolytaskError,
  ShapeMismatchError,
  type TaskDefinition,
} from '@polytask/core';
import type { DataReader, SkippedItem } from '@polytask/data-reading';
import { readDataset } from '@polytask/data-reading';
import { createDefaultExtractionRegistry, type ExtractionMethod, type ExtractionRegistry } from '@polytask/extraction';
import {
  createCgcDnn,
  createCrossStitchCnn,
  createCrossStitchDnn,
  createMmoeDnn,
  createMtanCnn,
  createMultiTaskCnn,
  createMultiTaskDnn,
  type HeadSpec,
} from '@polytask/models';
import {
  createRunStore,
  createRunStoreObserver,
  createTensorBoardObserver,
  createTensorBoardWriter,
  type EpochRecord,
  lockRun,
  openRun,
  RunInUseError,
  type TaskMetrics,
  type TrainingObserver,
  writeFileAtomically,
} from '@polytask/results';
import { renameTasks, type TaskDataset } from '@polytask/task-dataset';
import {
  type AugmentationSpec,
  type CheckpointRetention,
  checkEarlyStoppingSpec,
  createAugmentation,
  type EarlyStoppingSpec,
  evaluateModel,
  gradientCombinerKinds,
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
import {
  configFingerprint,
  type DatasetOutline,
  type ExperimentPlan,
  type ExperimentVariant,
  expandSweep,
  PlanMismatchError,
  planExperiment,
  planToJson,
  type TrainingUnit,
  unitFolderName,
} from './experiment-plan';
import { checkReaderOptions } from './internal/check-reader-options';
import { epochProgress } from './internal/epoch-progress';
import { findWorkspaceReader, installedReaderNames } from './internal/installed-readers';
import { type ExtensionImporter, type LoadedExtensions, loadExtensions } from './load-extensions';
import { multiTaskDelta } from './multi-task-delta';

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
  /** The summary of the first (without a sweep: the only) variant. */
  readonly summary: readonly TaskSummary[];
  /** Every variant's summary (empty when only some units ran). */
  readonly variants: readonly VariantSummary[];
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
  /** Only these training units of the plan (indices), without collecting; `runDirectory` defaults to the config's unit folder. */
  readonly units?: readonly number[];
  /** The config's plan when the caller has made it already (`planConfig`), so the readers' listings are not read twice. */
  readonly plan?: ExperimentPlan;
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

/** A summary row's four value cells (multi-task, single-task, and their macro F1), `|`-separated, as every summary table shows them. */
export function formatSummaryCells(row: Omit<TaskSummary, 'task'>): string {
  const percent = isFractionMetric(row.metric);
  return [
    formatMeanAndDeviation(row.multiTask, { percent }),
    formatMeanAndDeviation(row.singleTask, { percent }),
    formatMeanAndDeviation(row.multiTaskMacroF1 ?? []),
    formatMeanAndDeviation(row.singleTaskMacroF1 ?? []),
  ].join(' | ');
}

/** Δm over folds as `+1.23% ± 0.45` (signed percentages). */
export function formatDelta(values: readonly number[]): string {
  const average = mean(values);
  return `${average >= 0 ? '+' : ''}${average.toFixed(2)}% ± ${deviation(values).toFixed(2)}`;
}

/** Options of {@link loadReader}. */
export interface LoadReaderOptions extends Pick<RunExperimentOptions, 'log' | 'importReader'> {
  /** The entry's position in the config's `datasets`, for error paths. */
  readonly index: number;
  /** The entry's path in the config for error paths, when it is not in `datasets` (a noise corpus). @default `datasets.<index>` */
  readonly configPath?: string;
}

/**
 * Loads the reader of a config entry from `@polytask/dataset-<reader>`, after checking the entry's
 * options against the package's `readerOptionsSchema` (a package without one loads with a warning).
 * @throws ConfigError at `datasets.<index>.options.<option>` for an unknown, missing or mistyped option.
 */
export async function loadReader(
  entry: Pick<ExperimentConfig['datasets'][number], 'reader' | 'options'>,
  options: LoadReaderOptions,
): Promise<DataReader> {
  const packageName = `@polytask/dataset-${entry.reader}`;
  const entryPath = options.configPath ?? `datasets.${options.index}`;
  let module: { createReader?: (options: Record<string, unknown>) => DataReader; readerOptionsSchema?: unknown };
  try {
    module = (await (options.importReader
      ? options.importReader(packageName)
      : importOptional(packageName, (name) => import(name), `reading the "${entry.reader}" dataset`))) as typeof module;
  } catch (error) {
    if (!MissingDependencyError.isInstance(error)) throw error;
    // a reader package of the workspace this runs in (a contributor's new reader), once built
    const workspace = options.importReader ? undefined : findWorkspaceReader(entry.reader);
    if (workspace?.entry) return createFromModule((await import(pathToFileURL(workspace.entry).href)) as typeof module);
    if (workspace)
      throw new MissingDependencyError({
        packageName,
        message: `${packageName} is in this workspace (${workspace.directory}) but not built; build it with pnpm turbo run build --filter=${packageName}... and run again (${entryPath}.reader).`,
        cause: error,
      });
    const installed = installedReaderNames();
    throw new MissingDependencyError({
      packageName,
      message: `${error.message} The readers installed here (${process.cwd()}) are: ${installed.length ? installed.join(', ') : 'none'} (${entryPath}.reader).`,
      cause: error,
    });
  }
  return createFromModule(module);

  function createFromModule(readerPackage: typeof module): DataReader {
    if (typeof readerPackage.createReader !== 'function') {
      throw new InvalidArgumentError({
        argument: `${entryPath}.reader`,
        value: entry.reader,
        message: `${packageName} exports no createReader(options); is it a Polytask dataset reader package?`,
      });
    }
    const log = options.log ?? console.log;
    checkReaderOptions({ reader: entry.reader, options: entry.options, entryPath, readerPackage, log });
    return readerPackage.createReader(entry.options);
  }
}

/** The name under which a config's `extraction` runs a tfjs model of the user's (`@polytask/embeddings`). */
export const embeddingExtractionName = 'embedding';

const embeddingRegistries = new Map<string, Promise<ExtractionRegistry>>();

/**
 * The extraction registry an experiment needs beyond the built-in methods: for `extraction.name:
 * "embedding"`, one with `@polytask/embeddings`' method for the model in `extraction.params`
 * (`modelPath`, `format`, `framing`, `outputIndex`), loaded once per process; undefined otherwise.
 * @throws MissingDependencyError when @polytask/embeddings is not installed.
 */
export async function experimentExtractionRegistry(extraction: ExperimentConfig['extraction']): Promise<ExtractionRegistry | undefined> {
  if (extraction.name !== embeddingExtractionName) return undefined;
  const { modelPath, format, framing, outputIndex } = extraction.params as Record<string, unknown>;
  if (typeof modelPath !== 'string' || (format !== 'layers' && format !== 'graph') || framing === undefined)
    throw new ConfigError({
      configPath: 'extraction.params',
      value: extraction.params,
      message: `extraction "${embeddingExtractionName}" needs params { "modelPath": "<model.json>", "format": "layers" | "graph", "framing": "vggish" | "yamnet" | { ... } }; got ${JSON.stringify(extraction.params)}.`,
    });
  const key = JSON.stringify([path.resolve(modelPath), format, framing, outputIndex ?? 0]);
  let registry = embeddingRegistries.get(key);
  if (!registry) {
    registry = (async () => {
      const embeddings = (await importOptional('@polytask/embeddings', (name) => import(name), 'the "embedding" extraction')) as {
        createEmbeddingExtractionMethod(options: Record<string, unknown>): Promise<ExtractionMethod>;
      };
      const method = await embeddings.createEmbeddingExtractionMethod({
        name: embeddingExtractionName,
        modelPath,
        format,
        framing,
        ...(outputIndex !== undefined ? { outputIndex } : {}),
      });
      const created = createDefaultExtractionRegistry();
      created.register(method);
      return created;
    })();
    embeddingRegistries.set(key, registry);
    registry.catch(() => embeddingRegistries.delete(key));
  }
  return registry;
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
  const registry = await experimentExtractionRegistry(config.extraction);
  for (const entry of config.datasets) {
    const reader = await loadReader(entry, { ...options, index: config.datasets.indexOf(entry) });
    const result = await readDataset(reader, {
      // an embedding method is bound to its model and framing: the spec names it, the method's
      // resolved params (model hash included) enter the cache key
      extraction: registry ? { ...config.extraction, params: {} } : config.extraction,
      ...(registry ? { registry } : {}),
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

/**
 * Reads (extracting when needed, into the same cache) the noise corpus of each `noise-mixing`
 * augmentation, with the experiment's extraction.
 * @returns per augmentation index, the corpus's feature items.
 */
export async function readNoiseCorpora(
  config: ExperimentConfig,
  options: Pick<RunExperimentOptions, 'log' | 'importReader'> = {},
): Promise<ReadonlyMap<number, FeatureMatrix[]>> {
  const log = options.log ?? console.log;
  const corpora = new Map<number, FeatureMatrix[]>();
  const registry = await experimentExtractionRegistry(config.extraction);
  for (const [index, augmentation] of (config.training.augmentations ?? []).entries()) {
    if (augmentation.kind !== 'noise-mixing') continue;
    const configPath = `training.augmentations.${index}.corpus`;
    const reader = await loadReader(augmentation.corpus, { ...options, index, configPath });
    const result = await readDataset(reader, {
      extraction: registry ? { ...config.extraction, params: {} } : config.extraction,
      ...(registry ? { registry } : {}),
      cacheDirectory: config.cacheDirectory,
      indexMode: false,
      progress: 'auto',
      log,
      ...(augmentation.corpus.onError ? { onError: augmentation.corpus.onError } : {}),
    });
    if (result.dataset.size === 0)
      throw new ConfigError({
        configPath,
        value: augmentation.corpus,
        message: `${configPath}: the noise corpus of reader "${reader.name}" has no examples; point its options at a folder with audio.`,
      });
    log(
      `noise corpus ${reader.name} (training.augmentations.${index}): ${result.dataset.size} items, features ${result.fromCache ? 'from the cache' : `extracted (${result.extractedCount})`}`,
    );
    corpora.set(
      index,
      Array.from({ length: result.dataset.size }, (_, item) => result.dataset.featuresOf(item)),
    );
  }
  return corpora;
}

/** Lists the files skipped while reading the datasets in `<runDirectory>/skipped-files.json` (nothing when none was). */
export function writeSkippedFiles(runDirectory: string, datasets: Pick<ExperimentDatasets, 'skipped'>): void {
  if (datasets.skipped.length === 0) return;
  writeFileAtomically(path.join(runDirectory, 'skipped-files.json'), `${JSON.stringify(datasets.skipped, null, 1)}\n`);
}

/** One variant's comparison of multi-task and single-task models, as `summary.json` holds it. */
export interface VariantSummary {
  readonly variant: string;
  /** The config path → value pairs of the variant (empty without a sweep). */
  readonly values: Readonly<Record<string, unknown>>;
  /** `success` when every unit of the variant is complete, `failed` when one failed, else `incomplete` (`stopped` when its run was interrupted). */
  readonly status: 'success' | 'incomplete' | 'failed' | 'stopped';
  /** Folds whose every unit is complete (only they are summarised). */
  readonly folds: number;
  readonly foldCount: number;
  readonly summary: readonly TaskSummary[];
  /**
   * Δm per summarised fold, in percent (see {@link multiTaskDelta}): the mean over tasks of the
   * relative change of each task's headline metric from its single-task baseline; empty without baselines.
   */
  readonly deltaM: readonly number[];
}

/** What {@link collectExperiment} gathered, and what it still misses. */
export interface CollectResult {
  readonly runDirectory: string;
  readonly variants: readonly VariantSummary[];
  /** Training units with no result yet (never run, running, or interrupted). */
  readonly missing: readonly TrainingUnit[];
  /** Training units whose last attempt failed, with the error's message. */
  readonly failed: readonly { readonly unit: TrainingUnit; readonly message: string }[];
}

const resultFileName = 'result.json';
const failedFileName = 'failed.json';

/** What a training unit's `result.json` holds: the test metrics it reports (of the epoch model selection chose). */
interface UnitResult {
  readonly variant: string;
  readonly fold: number;
  readonly model: string;
  readonly epoch: number;
  readonly tasks: readonly TaskMetrics[];
}

/** The reader's listing of a config entry, outlined for planning: its tasks (renamed) and predefined split. */
async function outlineDataset(
  entry: ExperimentConfig['datasets'][number],
  index: number,
  options: Pick<RunExperimentOptions, 'log' | 'importReader'>,
): Promise<DatasetOutline> {
  const reader = await loadReader(entry, { ...options, log: () => {}, index });
  const items = await reader.listItems();
  const own = reader.tasks.map((task) => task.name);
  const unknown = Object.keys(entry.tasks ?? {}).find((name) => !own.includes(name));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: `datasets.${index}.tasks`,
      value: entry.tasks,
      message: `Dataset "${reader.name}" has no task "${unknown}" to rename; its tasks are ${own.join(', ')}.`,
    });
  const tasks = reader.tasks.map((task) => ({ ...task, name: entry.tasks?.[task.name] ?? task.name }));
  const folds = items.filter((item) => item.fold !== undefined).map((item) => item.fold as number);
  if (folds.length > 0) return { tasks, predefinedSplit: { kind: 'folds', foldCount: reader.foldCount ?? Math.max(...folds) + 1 } };
  if (items.some((item) => item.split !== undefined)) return { tasks, predefinedSplit: { kind: 'train-test' } };
  return { tasks, predefinedSplit: undefined };
}

/**
 * Plans a config's work units (see `experiment-plan.ts`), reading each reader's listing but no audio.
 * @example console.log(formatPlan(await planConfig(loadExperimentConfig('experiment.json'))))
 */
export function planConfig(
  config: ExperimentConfig,
  options: Pick<RunExperimentOptions, 'log' | 'importReader'> = {},
): Promise<ExperimentPlan> {
  return planExperiment(config, { outline: (entry, index) => outlineDataset(entry, index, options) });
}

/**
 * Creates a run folder for a config and its plan, or checks that an existing one holds the same
 * config and plan (units of one run started on several machines all prepare it).
 * @throws ConfigError when the folder holds another config; PlanMismatchError when its plan differs.
 */
export function prepareRunFolder(runDirectory: string, config: ExperimentConfig, plan: ExperimentPlan): void {
  const configFile = path.join(runDirectory, 'config.json');
  const planFile = path.join(runDirectory, 'plan.json');
  const planJson = planToJson(plan);
  if (existsSync(configFile)) {
    const stored = JSON.parse(readFileSync(configFile, 'utf8')) as unknown;
    if (JSON.stringify(stored) !== JSON.stringify(JSON.parse(JSON.stringify(config))))
      throw new ConfigError({
        configPath: '(root)',
        value: runDirectory,
        message: `${runDirectory} holds a run of another config (${configFile}); give another run folder (--run-dir) or use that config.`,
      });
    if (existsSync(planFile)) {
      const storedPlan = JSON.parse(readFileSync(planFile, 'utf8')) as ReturnType<typeof planToJson>;
      if (JSON.stringify(storedPlan.training) !== JSON.stringify(planJson.training))
        throw new PlanMismatchError({ what: 'training units', planned: storedPlan.training.length, actual: planJson.training.length });
      return;
    }
  } else {
    writeFileAtomically(configFile, JSON.stringify(config, null, 2));
  }
  writeFileAtomically(planFile, `${JSON.stringify(planJson, null, 1)}\n`);
}

/** The run folder a config's `--unit`/`--shard` runs share when none is given: `<runsDirectory>/<name>-<config fingerprint>`. */
export function defaultUnitRunDirectory(config: ExperimentConfig): string {
  return path.join(config.runsDirectory, `${config.name}-${configFingerprint(config)}`);
}

/** TensorBoard's log folder of a variant: the run's `tensorboard/` without a sweep, else `tensorboard/<variant>`. */
function variantTensorBoardDirectory(runDirectory: string, variant: ExperimentVariant): string {
  return variant.folder === '' ? path.join(runDirectory, 'tensorboard') : path.join(runDirectory, 'tensorboard', variant.name);
}

/** HParams values of a variant (its swept values by path, objects as JSON). */
function variantHparams(variant: ExperimentVariant, sweeping: boolean): Record<string, string | number | boolean> {
  if (!sweeping) return {};
  const values: Record<string, string | number | boolean> = { variant: variant.name };
  for (const [key, value] of Object.entries(variant.values))
    values[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
  return values;
}

/** The base hyperparameters of a variant's sessions. */
function baseHparams(config: ExperimentConfig) {
  return {
    model: config.model.kind === 'package' ? config.model.package : config.model.kind,
    lr: config.training.lr,
    optimizer: typeof config.training.optimizer === 'string' ? config.training.optimizer : config.training.optimizer.name,
    lossCombiner: combinerName(config),
    extraction: config.extraction.name,
    batchSize: config.training.batchSize,
  };
}

/** Waits while another live process holds a unit's lock (a whole run meets a unit run by `--unit` elsewhere). */
async function lockUnit(directory: string, options: { signal?: AbortSignal; wait: boolean; log: (line: string) => void }) {
  let said = false;
  for (;;) {
    mkdirSync(directory, { recursive: true });
    try {
      return lockRun(directory);
    } catch (error) {
      if (!options.wait || !RunInUseError.isInstance(error)) throw error;
      if (!said) options.log(`${directory}: ${(error as Error).message.split(';')[0]}; waiting for it`);
      said = true;
      if (options.signal?.aborted) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** What a unit's training needs of its variant and fold. */
interface UnitContext {
  readonly runDirectory: string;
  readonly variant: ExperimentVariant;
  readonly sweeping: boolean;
  readonly extensions: LoadedExtensions;
  /** The noise corpora's feature items, per augmentation index. */
  readonly noise: ReadonlyMap<number, FeatureMatrix[]>;
  readonly fold: FoldSetsOf;
  readonly foldCount: number;
  readonly options: RunExperimentOptions;
  readonly wait: boolean;
}

type FoldSetsOf = ReturnType<ReturnType<typeof createExperimentSets>['folds']> extends Iterable<infer Fold> ? Fold : never;

/**
 * Trains one unit into its folder (resuming from its last checkpoint), then writes its
 * `result.json`. A unit already complete is left as it is.
 * @returns `stopped` when the signal interrupted it (resumable), else `complete`.
 */
async function runTrainingUnit(unit: TrainingUnit, context: UnitContext): Promise<'complete' | 'stopped'> {
  const { runDirectory, variant, fold: sets, options } = context;
  const log = options.log ?? console.log;
  const directory = path.join(runDirectory, unit.folder);
  const label = `${context.sweeping ? `${variant.name} ` : ''}fold ${unit.fold + 1}/${context.foldCount} ${unit.model}`;
  if (existsSync(path.join(directory, resultFileName))) {
    log(`${label}: already complete`);
    return 'complete';
  }
  const lock = await lockUnit(directory, { wait: context.wait, log, ...(options.signal ? { signal: options.signal } : {}) });
  if (!lock) return 'stopped';
  try {
    // a process that held the lock may have completed it meanwhile
    if (existsSync(path.join(directory, resultFileName))) {
      log(`${label}: already complete`);
      return 'complete';
    }
    const store = createRunStore({ root: path.dirname(directory), name: path.basename(directory) });
    const previous = openRun(directory);
    const resume = previous.checkpointEpochs(unit.fold).length > 0 ? previous.loadCheckpoint(unit.fold) : undefined;
    store.removeTemporaries();
    store.discardUncommitted((fold) => (fold === unit.fold ? (resume?.epoch ?? 0) : 0));
    const { train, validation, test, preparations } = sets;
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
    const task = unit.model === 'multi-task' ? undefined : unit.model.slice('single:'.length);
    const taskNames = train.tasks.map(({ task: definition }) => definition.name);
    if (task !== undefined && !taskNames.includes(task))
      throw new PlanMismatchError({ what: 'the task', planned: task, actual: taskNames });
    const tensorboardRoot = variantTensorBoardDirectory(runDirectory, variant);
    const groupPrefix = context.sweeping ? `${variant.name}/` : '';
    const tensorboard = createTensorBoardObserver({
      directory:
        task === undefined ? tensorboardRoot : path.join(tensorboardRoot, `single-${path.basename(directory).slice('single-'.length)}`),
      writeExperiment: false,
      sessionGroup: `${groupPrefix}${task === undefined ? 'multi-task' : `single-${task}`}`,
    });
    // the caller's observers see every unit; a baseline's records say whose they are (`model: 'single:<task>'`)
    const observers: TrainingObserver[] = [
      tensorboard,
      createRunStoreObserver(store),
      epochProgress({ label, epochs: variant.config.training.epochs, log, describe: describeHeadline }),
      ...(options.observers ?? []).map((observer) => (task === undefined ? observer : withModelOnRecords(observer, unit.model))),
    ];
    const hparams = {
      ...baseHparams(variant.config),
      ...variantHparams(variant, context.sweeping),
      // 'all' for the multi-task sessions, a task's name for its single-task baseline sessions
      tasks: task ?? 'all',
    };
    await tensorboard.onRunStart?.({
      foldCount: context.foldCount,
      tasks: task === undefined ? taskNames : [task],
      hparams,
      config: variant.config,
    });
    for (const observer of observers) await observer.onFoldStart?.({ fold: unit.fold, preparations });
    const settings = {
      ...trainingSettings(variant.config, context.extensions, context.noise),
      seed: variant.config.training.seed + unit.fold,
      ...(validation ? { validation } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    log(`${label}: ${resume ? `resuming after epoch ${resume.epoch}` : 'training'}`);
    let result: Awaited<ReturnType<typeof trainFold>>;
    try {
      result = await withModel(buildModel(variant.config, train, unit.fold, context.extensions), (model) =>
        trainFold({
          ...settings,
          ...(task !== undefined && settings.earlyStopping ? { earlyStopping: baselineStopping(settings.earlyStopping, task) } : {}),
          model,
          train,
          test,
          fold: unit.fold,
          ...(task !== undefined ? { tasks: [task] } : {}),
          store,
          observers,
          ...(resume ? { resume } : {}),
        }),
      );
    } catch (error) {
      // the unit's event files are closed however its training ends
      await tensorboard.onRunEnd?.({ status: 'failure', error });
      throw error;
    }
    await tensorboard.onRunEnd?.({ status: result.interrupted ? 'stopped' : 'success' });
    if (result.interrupted) return 'stopped';
    const reported = reportedTest(variant.config, result, directory, unit.fold);
    const unitResult: UnitResult = {
      variant: unit.variant,
      fold: unit.fold,
      model: unit.model,
      epoch: reported?.epoch ?? result.epochsCompleted,
      tasks: reported?.tasks ?? [],
    };
    rmSync(path.join(directory, failedFileName), { force: true });
    writeFileAtomically(path.join(directory, resultFileName), JSON.stringify(unitResult));
    log(`${label}: ${unitResult.tasks.map(describeHeadline).join(', ')}`);
    return 'complete';
  } catch (error) {
    // collect lists the unit as failed until a later attempt completes it
    writeFileAtomically(
      path.join(directory, failedFileName),
      JSON.stringify({
        message: PolytaskError.isInstance(error) ? error.message : String((error as Error)?.stack ?? error),
        at: new Date().toISOString(),
        pid: process.pid,
      }),
    );
    throw error;
  } finally {
    lock.release();
  }
}

/**
 * Runs (or, with `runDirectory`, continues) an experiment: every work unit of its plan in order,
 * then {@link collectExperiment}. With `units`, only those training units run (no collect), in the
 * run folder `runDirectory` or the config's default unit folder, so units of one run can be spread
 * over processes and machines.
 * @example await runExperiment(loadExperimentConfig('experiments/georgiev.json'))
 */
export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions = {}): Promise<ExperimentResult> {
  const log = options.log ?? console.log;
  const backend = await selectBackend({ preference: config.backend, log });
  await import('@tensorflow/tfjs-layers');
  const plan = options.plan ?? (await planConfig(config, options));
  const selected = options.units;
  for (const index of selected ?? [])
    if (!plan.training[index])
      throw new ConfigError({
        configPath: '--unit',
        value: index,
        message: `--unit ${index}: the plan has training units 0 to ${plan.training.length - 1} (polytask plan lists them).`,
      });
  // the config's settings fit the datasets' tasks, checked before any folder or training
  for (const variant of plan.variants) checkConfigAgainstTasks(variant.config, plan.outlines?.[variant.name] ?? []);
  const runDirectory =
    options.runDirectory ??
    (selected
      ? defaultUnitRunDirectory(config)
      : path.join(config.runsDirectory, `${config.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  mkdirSync(runDirectory, { recursive: true });
  // a whole run has one writer; units lock only their own folders
  const lock = selected ? undefined : lockRun(runDirectory);
  let status: 'success' | 'stopped' = 'success';
  try {
    prepareRunFolder(runDirectory, config, plan);
    const units = selected ? selected.map((index) => plan.training[index] as TrainingUnit) : plan.training;
    const sweeping = config.sweep !== undefined;
    for (const observer of options.observers ?? [])
      await observer.onRunStart?.({
        foldCount: Math.max(...Object.values(plan.foldCounts)),
        tasks: [...new Set(Object.values(plan.tasks).flat())],
        config,
      });
    try {
      for (const variant of plan.variants) {
        const ofVariant = units.filter((unit) => unit.variant === variant.name);
        if (ofVariant.every((unit) => existsSync(path.join(runDirectory, unit.folder, resultFileName)))) {
          for (const unit of ofVariant) log(`${sweeping ? `${variant.name} ` : ''}fold ${unit.fold + 1} ${unit.model}: already complete`);
          continue;
        }
        const extensions = await loadExtensions(variant.config, options.importExtension);
        const datasets = await readExperimentDatasets(variant.config, options);
        const noise = await readNoiseCorpora(variant.config, options);
        checkConfigAgainstTasks(variant.config, datasets);
        const sets = createExperimentSets(variant.config, datasets);
        logStratification(variant.config, datasets, log);
        if (sets.foldCount !== plan.foldCounts[variant.name])
          throw new PlanMismatchError({ what: 'fold count', planned: plan.foldCounts[variant.name], actual: sets.foldCount });
        writeSkippedFiles(path.join(runDirectory, variant.folder), datasets);
        for (const fold of sets.folds()) {
          const ofFold = ofVariant.filter((unit) => unit.fold === fold.fold);
          for (const unit of ofFold) {
            const outcome = await runTrainingUnit(unit, {
              runDirectory,
              variant,
              sweeping,
              extensions,
              noise,
              fold,
              foldCount: sets.foldCount,
              options,
              wait: !selected,
            });
            if (outcome === 'stopped') {
              status = 'stopped';
              log(
                `interrupted in ${sweeping ? `${variant.name} ` : ''}fold ${unit.fold + 1} (${unit.model}); resume with: ${selected ? `polytask run <config> --run-dir ${runDirectory} --unit ${unit.index}` : `polytask resume ${runDirectory}`}`,
              );
              break;
            }
          }
          if (status === 'stopped') break;
        }
        if (status === 'stopped') break;
      }
    } catch (error) {
      for (const observer of options.observers ?? []) await observer.onRunEnd?.({ status: 'failure', error });
      throw error;
    }
    for (const observer of options.observers ?? []) await observer.onRunEnd?.({ status });
    if (selected) {
      log(`run folder: ${path.resolve(runDirectory)}; when every unit is done: polytask collect ${runDirectory}`);
      return { runDirectory, backend: backend.backend, summary: [], variants: [] };
    }
    const collected = collectLocked(runDirectory, { log, ...(status === 'stopped' ? { status } : {}) });
    return { runDirectory, backend: backend.backend, summary: collected.variants[0]?.summary ?? [], variants: collected.variants };
  } finally {
    lock?.release();
  }
}

/** Options of {@link collectExperiment}. */
export interface CollectExperimentOptions {
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** Marks incomplete variants as stopped (the run collecting them was interrupted). */
  readonly status?: 'stopped';
}

/** A variant's runs and their summaries, from its units' folders. */
function collectVariant(
  runDirectory: string,
  plan: ExperimentPlan,
  variant: ExperimentVariant,
  options: CollectExperimentOptions,
): { summary: VariantSummary; table: string; missing: TrainingUnit[]; failed: { unit: TrainingUnit; message: string }[] } {
  const units = plan.training.filter((unit) => unit.variant === variant.name);
  const foldCount = plan.foldCounts[variant.name] ?? 0;
  const results = new Map<number, UnitResult>();
  const missing: TrainingUnit[] = [];
  const failed: { unit: TrainingUnit; message: string }[] = [];
  const records: EpochRecord[] = [];
  for (const unit of units) {
    const directory = path.join(runDirectory, unit.folder);
    const resultFile = path.join(directory, resultFileName);
    const complete = existsSync(resultFile);
    if (complete) results.set(unit.index, JSON.parse(readFileSync(resultFile, 'utf8')) as UnitResult);
    else if (existsSync(path.join(directory, failedFileName)))
      failed.push({
        unit,
        message: (JSON.parse(readFileSync(path.join(directory, failedFileName), 'utf8')) as { message: string }).message,
      });
    else missing.push(unit);
    if (!existsSync(directory)) continue;
    const run = openRun(directory);
    // an unfinished unit's records count up to its last checkpoint (what its resume keeps)
    const committed = complete ? Number.POSITIVE_INFINITY : (run.checkpointEpochs(unit.fold).at(-1) ?? 0);
    for (const record of run.records)
      if (record.epoch <= committed) records.push(unit.model === 'multi-task' ? record : { ...record, model: unit.model });
  }
  const variantDirectory = path.join(runDirectory, variant.folder);
  createRunStore({ root: path.dirname(variantDirectory), name: path.basename(variantDirectory) }).replaceRecords(records);
  const summary = new Map<
    string,
    { metric: string; multiTask: number[]; singleTask: number[]; multiTaskMacroF1: number[]; singleTaskMacroF1: number[] }
  >();
  let completedFolds = 0;
  const deltaM: number[] = [];
  for (let fold = 0; fold < foldCount; fold++) {
    const ofFold = units.filter((unit) => unit.fold === fold);
    // a fold is summarised when its multi-task model and every baseline are complete
    if (!ofFold.every((unit) => results.has(unit.index))) continue;
    completedFolds++;
    const multi = results.get((ofFold.find((unit) => unit.model === 'multi-task') as TrainingUnit).index) as UnitResult;
    const headlines = { multiTask: {} as Record<string, number>, singleTask: {} as Record<string, number> };
    for (const metrics of multi.tasks) {
      const [metric, value] = headline(metrics);
      const entry = summary.get(metrics.task) ?? { metric, multiTask: [], singleTask: [], multiTaskMacroF1: [], singleTaskMacroF1: [] };
      entry.multiTask.push(value);
      // regression tasks have no macro F1: their columns stay empty
      if (metrics.macro) entry.multiTaskMacroF1.push(metrics.macro.f1);
      const baseline = ofFold.find((unit) => unit.model === `single:${metrics.task}`);
      const alone = baseline && results.get(baseline.index)?.tasks[0];
      headlines.multiTask[metrics.task] = value;
      if (alone) {
        headlines.singleTask[metrics.task] = headline(alone)[1];
        entry.singleTask.push(headline(alone)[1]);
        if (alone.macro) entry.singleTaskMacroF1.push(alone.macro.f1);
      }
      summary.set(metrics.task, entry);
    }
    // every headline (accuracy, macro F1, R²) is higher-is-better
    const delta = multiTaskDelta(headlines);
    if (Number.isFinite(delta)) deltaM.push(delta);
  }
  const rows = [...summary].map(([task, entry]) => ({ task, ...entry }));
  const complete = missing.length === 0 && failed.length === 0;
  const status = complete ? 'success' : failed.length > 0 ? 'failed' : (options.status ?? 'incomplete');
  // only complete folds are summarised; the header says how many
  const table = [
    `| task | metric | multi-task (mean ± std over ${completedFolds}${completedFolds === foldCount ? '' : ` of ${foldCount}`} folds) | single-task | multi-task macro F1 | single-task macro F1 |`,
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.task} | ${row.metric} | ${formatSummaryCells(row)} |`),
    ...(deltaM.length
      ? [
          '',
          `Δm (mean over tasks of the relative change of each task's headline metric from its single-task baseline; positive: multi-task better): ${formatDelta(deltaM)} over ${deltaM.length} folds`,
        ]
      : []),
  ].join('\n');
  const variantSummary: VariantSummary = {
    variant: variant.name,
    values: variant.values,
    status,
    folds: completedFolds,
    foldCount,
    summary: rows,
    deltaM,
  };
  writeFileAtomically(path.join(variantDirectory, 'summary.json'), JSON.stringify({ name: plan.name, ...variantSummary }, null, 1));
  writeFileAtomically(
    path.join(variantDirectory, 'summary.md'),
    `# ${plan.name}${variant.folder ? ` (${variant.name})` : ''}\n\n${table}\n`,
  );
  if (complete) writeTensorBoardSummary(variantDirectory, variantTensorBoardDirectory(runDirectory, variant), table, rows, deltaM);
  return { summary: variantSummary, table, missing, failed };
}

/**
 * Gathers a run's work units into its results: per variant the metrics files of every unit (the
 * multi-task model's records, then each baseline's with `model` set), `summary.json`/`summary.md`
 * (multi-task vs single-task, mean ± std over the folds whose units are all complete), the
 * TensorBoard summary; for a sweep `comparison.json`/`comparison.md` across variants; and the
 * HParams experiment covering every variant and fold. Safe to run at any time: what is missing or
 * failed is listed, and a later collect replaces everything it wrote.
 * @example const { missing, failed } = collectExperiment('.polytask/runs/study-3f2a9c01d4')
 */
export function collectExperiment(runDirectory: string, options: CollectExperimentOptions = {}): CollectResult {
  // one collector (or whole run) at a time; units running elsewhere are not disturbed
  const lock = lockRun(runDirectory);
  try {
    return collectLocked(runDirectory, options);
  } finally {
    lock.release();
  }
}

/** {@link collectExperiment} by the holder of the run folder's lock. */
function collectLocked(runDirectory: string, options: CollectExperimentOptions): CollectResult {
  const log = options.log ?? console.log;
  const run = openRun(runDirectory);
  const planFile = path.join(runDirectory, 'plan.json');
  if (!existsSync(planFile))
    throw new MissingFileError({
      path: planFile,
      message: `${planFile}: no such file; ${runDirectory} is not a run folder of this Polytask version (runs are planned in work units since 0.2).`,
    });
  const config = parseExperimentConfig(run.config, path.join(runDirectory, 'config.json'));
  const stored = JSON.parse(readFileSync(planFile, 'utf8')) as ReturnType<typeof planToJson>;
  const variants = expandSweep(config);
  const plan: ExperimentPlan = { ...stored, variants };
  // what collects killed midway left (the run's and each variant's own files; units clear their own)
  for (const folder of new Set(['', ...variants.map((variant) => variant.folder)]))
    createRunStore({
      root: path.dirname(path.join(runDirectory, folder)),
      name: path.basename(path.join(runDirectory, folder)),
    }).removeTemporaries();
  const collected = variants.map((variant) => collectVariant(runDirectory, plan, variant, options));
  const sweeping = config.sweep !== undefined;
  writeTensorBoardExperiment(runDirectory, plan, sweeping);
  if (sweeping)
    writeComparison(
      runDirectory,
      plan,
      collected.map((entry) => entry.summary),
    );
  const missing = collected.flatMap((entry) => entry.missing);
  const failed = collected.flatMap((entry) => entry.failed);
  for (const [index, entry] of collected.entries()) {
    log('');
    if (sweeping) log(`## ${variants[index]?.name}`);
    log(entry.table);
  }
  log('');
  if (sweeping) log(readFileSync(path.join(runDirectory, 'comparison.md'), 'utf8'));
  if (missing.length) log(`${missing.length} unit(s) not complete: ${missing.map((unit) => unit.index).join(', ')}`);
  for (const { unit, message } of failed) log(`unit ${unit.index} (${unit.folder}) failed: ${message}`);
  log(`run folder: ${path.resolve(runDirectory)}`);
  log(`TensorBoard: pip install tensorboard && tensorboard --logdir ${path.resolve(runDirectory, 'tensorboard')}`);
  return { runDirectory, variants: collected.map((entry) => entry.summary), missing, failed };
}

/** The sweep's comparison: one row per variant and task (multi-task and single-task, mean ± std over folds). */
function writeComparison(runDirectory: string, plan: ExperimentPlan, summaries: readonly VariantSummary[]): void {
  const rows = summaries.flatMap((summary) =>
    summary.summary.map((row) => ({
      variant: summary.variant,
      status: summary.status,
      folds: summary.folds,
      foldCount: summary.foldCount,
      ...row,
    })),
  );
  writeFileAtomically(path.join(runDirectory, 'comparison.json'), JSON.stringify({ name: plan.name, variants: summaries }, null, 1));
  const table = [
    '| variant | task | metric | multi-task | single-task | multi-task macro F1 | single-task macro F1 |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.variant}${row.status === 'success' ? '' : ` (${row.status}, ${row.folds} of ${row.foldCount} folds)`} | ${row.task} | ${row.metric} | ${formatSummaryCells(row)} |`,
    ),
  ].join('\n');
  const deltas = summaries.some((summary) => summary.deltaM.length)
    ? [
        '',
        '| variant | Δm (multi-task vs single-task, mean ± std over folds) |',
        '|---|---|',
        ...summaries.map((summary) => `| ${summary.variant} | ${summary.deltaM.length ? formatDelta(summary.deltaM) : '-'} |`),
      ].join('\n')
    : '';
  writeFileAtomically(
    path.join(runDirectory, 'comparison.md'),
    `# ${plan.name}: comparison of ${summaries.length} variants\n\n${table}\n${deltas ? `${deltas}\n` : ''}`,
  );
}

/**
 * The HParams experiment at the root of the run's TensorBoard folder: every hyperparameter the
 * sessions carry (variant values included) and each task's metrics. Written once, whole (through a
 * temporary folder), so units running at once never write it.
 */
function writeTensorBoardExperiment(runDirectory: string, plan: ExperimentPlan, sweeping: boolean): void {
  const directory = path.join(runDirectory, 'tensorboard');
  mkdirSync(directory, { recursive: true });
  if (readdirSync(directory).some((name) => name.includes('tfevents'))) return;
  const first = plan.variants[0] as ExperimentVariant;
  const hparams = { ...baseHparams(first.config), ...variantHparams(first, sweeping), tasks: 'all' };
  const tasks = [...new Set(Object.values(plan.tasks).flat())];
  const temporary = path.join(runDirectory, `tensorboard-experiment.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const writer = createTensorBoardWriter({ directory: temporary });
  writer.hparamsExperiment({ hparams, metrics: ['loss', ...tasks.flatMap((task) => [`${task}/macro_f1`, `${task}/loss`])] });
  writer.close();
  for (const name of readdirSync(temporary)) renameSync(path.join(temporary, name), path.join(directory, name));
  rmSync(temporary, { recursive: true, force: true });
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

/** An observer whose epoch records carry `model` (a baseline's own store writes them without it). */
function withModelOnRecords(observer: TrainingObserver, model: string): TrainingObserver {
  if (!observer.onEpochEnd) return observer;
  const onEpochEnd = observer.onEpochEnd.bind(observer);
  const tag = (record: EpochRecord): EpochRecord => ({ ...record, model });
  return Object.assign(Object.create(observer) as TrainingObserver, {
    onEpochEnd: (info: Parameters<typeof onEpochEnd>[0]) =>
      onEpochEnd({
        ...info,
        train: tag(info.train),
        ...(info.validation ? { validation: tag(info.validation) } : {}),
        ...(info.test ? { test: tag(info.test) } : {}),
      }),
  });
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
 * The comparison in TensorBoard too, once per completed variant: a text table and one scalar per
 * task and setting (step = fold count) in `<log folder>/summary`, written in a temporary folder and
 * renamed over an earlier one (a later collect replaces it).
 */
function writeTensorBoardSummary(
  variantDirectory: string,
  tensorboard: string,
  table: string,
  rows: readonly TaskSummary[],
  deltaM: readonly number[],
): void {
  const target = path.join(tensorboard, 'summary');
  // outside the log directory (TensorBoard would list it as a run); a killed write's folder goes with the run's temporaries
  const suffix = `tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const temporary = path.join(variantDirectory, `tensorboard-summary.${suffix}`);
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
  if (deltaM.length) writer.scalar('multi_task/delta_m', mean(deltaM), deltaM.length);
  writer.close();
  const replaced = path.join(variantDirectory, `tensorboard-summary-replaced.${suffix}`);
  if (existsSync(target)) renameSync(target, replaced);
  renameSync(temporary, target);
  rmSync(replaced, { recursive: true, force: true });
}

/**
 * The test record a fold reports: of the best epoch (chosen on validation) when early stopping
 * restores the best weights, else of the last epoch; from the run's records after a resume.
 */
function reportedTest(
  config: ExperimentConfig,
  result: { bestEpoch: number | undefined; epochsCompleted: number; history: readonly { train: EpochRecord; test?: EpochRecord }[] },
  unitDirectory: string,
  fold: number,
): EpochRecord | undefined {
  const stopping = config.training.earlyStopping;
  const epoch =
    stopping && (stopping.restoreBestWeights ?? true) && result.bestEpoch !== undefined ? result.bestEpoch : result.epochsCompleted;
  return result.history.find((entry) => entry.train.epoch === epoch)?.test ?? openRun(unitDirectory).metricsOf(fold, epoch, 'test');
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
function checkConfigAgainstTasks(config: ExperimentConfig, datasets: readonly { readonly tasks: readonly TaskDefinition[] }[]): void {
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
  // the sampler training will use: the gradient combiners (PCGrad, GradNorm, DB-MTL, IMTL, CAGrad, GradVac, GradDrop, MGDA, MGDA-UB, Aligned-MTL, Nash-MTL) default to every-dataset when the datasets carry different tasks
  const taskSets = datasets.map((dataset) => dataset.tasks.map((task) => task.name).join(','));
  const gradientCombiner = (gradientCombinerKinds as readonly string[]).includes(typeof combiner === 'string' ? combiner : combiner.kind);
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
function trainingSettings(config: ExperimentConfig, extensions: LoadedExtensions, noise: ReadonlyMap<number, FeatureMatrix[]>) {
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
    ...(training.augmentations?.length
      ? {
          augmentations: training.augmentations.map((spec, index) => {
            if (spec.kind !== 'noise-mixing') return createAugmentation(spec as AugmentationSpec);
            const { corpus: _corpus, ...mixing } = spec;
            return createAugmentation({ ...mixing, noise: noise.get(index) ?? [] } as AugmentationSpec);
          }),
        }
      : {}),
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
  const { kind, ...modelOptions } = config.model;
  // loadExtensions gives a package model its createModel
  if (kind === 'package' || extensions.createModel)
    return (extensions.createModel as NonNullable<LoadedExtensions['createModel']>)({ inputShape, tasks: heads, seed: fold });
  return modelBuilders[kind]({ ...modelOptions, inputShape, tasks: heads, seed: fold } as never);
}

/** The built-in model builders by config `model.kind`. */
const modelBuilders = {
  dnn: createMultiTaskDnn,
  cnn: createMultiTaskCnn,
  'cross-stitch': createCrossStitchDnn,
  'cross-stitch-cnn': createCrossStitchCnn,
  mmoe: createMmoeDnn,
  cgc: createCgcDnn,
  mtan: createMtanCnn,
} satisfies Record<Exclude<ExperimentConfig['model']['kind'], 'package'>, (options: never) => LayersModel>;

/**
 * Runs extraction units of a plan: reads each unit's dataset through its reader into the feature
 * cache (in index mode, so nothing stays in memory); a cache another process is filling is waited for.
 */
export async function runExtractionUnits(
  plan: ExperimentPlan,
  units: readonly number[],
  options: Pick<RunExperimentOptions, 'log' | 'importReader'> = {},
): Promise<void> {
  for (const index of units) {
    const unit = plan.extraction[index];
    if (!unit)
      throw new ConfigError({
        configPath: '--unit',
        value: index,
        message: `--unit ${index}: the plan has extraction units 0 to ${plan.extraction.length - 1} (polytask plan lists them).`,
      });
    const variant = plan.variants.find((candidate) => candidate.name === unit.variant) as ExperimentVariant;
    const entry = variant.config.datasets[unit.dataset] as ExperimentConfig['datasets'][number];
    await readExperimentDatasets({ ...variant.config, indexMode: true, datasets: [entry] }, options);
  }
}

/**
 * Evaluates the stored checkpoints of a run's multi-task models on each fold's test part (the
 * thesis's "blank model" evaluation): every checkpoint, or only the last one per fold; every variant of a sweep.
 * @returns one test record per variant, fold and evaluated epoch.
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
  const records: EpochRecord[] = [];
  for (const variant of expandSweep(config)) {
    const extensions = await loadExtensions(variant.config);
    const datasets = await readExperimentDatasets(variant.config, { log: () => {} });
    const sets = createExperimentSets(variant.config, datasets);
    for (const { fold, train, test } of sets.folds()) {
      const unit = openRun(path.join(runDirectory, variant.folder, unitFolderName(fold, 'multi-task')));
      const epochs = unit.checkpointEpochs(fold);
      for (const epoch of options.which === 'last' ? epochs.slice(-1) : epochs) {
        const model = buildModel(variant.config, train, fold, extensions);
        const checkpoint = unit.loadCheckpoint(fold, epoch);
        await restoreCheckpoint(model, tf.train.adam(), checkpoint);
        // regression heads predict scaled targets: the fold's scaler (in the checkpoint) unscales them
        const targetScaler = (checkpoint.state as { targetScaler?: TargetScaler } | undefined)?.targetScaler;
        const record = await evaluateModel({
          model,
          set: test,
          fold,
          epoch,
          batchSize: variant.config.training.batchSize,
          ...(targetScaler ? { targetScaler } : {}),
        });
        model.dispose();
        records.push(record);
        log(`${variant.folder ? `${variant.name} ` : ''}fold ${fold} epoch ${epoch}: ${record.tasks.map(describeHeadline).join(', ')}`);
      }
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
