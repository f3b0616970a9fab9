/**
 * The multi-task training loop for one fold. Per batch, each task's loss is computed only
 * over the items that carry it (the combined set's task mask) and only over its columns;
 * a loss combiner merges them; the optimizer steps (with optional gradient clipping and
 * AdamW decay). Every epoch: metrics on train, validation and test, loss-combiner and
 * learning-rate updates, early stopping, a checkpoint, and observer reports. Model selection
 * (early stopping, schedules, the best epoch) watches the validation part, or the training
 * metrics without one; the test part is only evaluated and reported. Regression targets are
 * standard-scaled with a scaler fitted on the training part (the losses see scaled targets; the
 * predictions are unscaled before metrics). A run resumed from its last checkpoint continues
 * exactly (model, optimizer, sampler, early-stopping, schedule state and target scaler).
 * Training batches (only) pass through the `augmentations`, seeded per (seed, epoch, batch).
 */
import { ConfigError, InvalidArgumentError } from '@polytask/core';
import { checkModelForTasks } from '@polytask/models';
import {
  type CheckpointContents,
  computeTaskMetrics,
  type EpochRecord,
  notifyObservers,
  type RunStore,
  type TaskMetrics,
  type TrainingObserver,
} from '@polytask/results';
import {
  type Batch,
  type BatchSamplerFactory,
  type CombinedSet,
  createBatchSampler,
  fitTargetScaler,
  iterateBatches,
  type SamplingStrategy,
  samplerFeedsEveryTask,
  scaleTargetRows,
  scaleTaskValues,
  type TargetScaler,
  unscaleTaskValues,
} from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { augmentBatch, type BatchAugmentation, checkAugmentations } from './batch-augmentation';
import { createCheckpoint, restoreCheckpoint } from './checkpoint';
import { appliedOutputs, compileInference } from './compile-inference';
import { checkEarlyStoppingSpec, createEarlyStopping, type EarlyStoppingSpec, type EarlyStoppingState } from './early-stopping';
import { compileTrainingStep } from './internal/compiled-training-step';
import { combinedHeadGradients, headLossForms, taskRows } from './internal/head-loss-gradient';
import { representationGradientStep, splitAtRepresentation } from './internal/representation-step';
import { createLossCombiner, type LossCombinerFactory, type LossCombinerSpec } from './loss-combiners';
import { createSchedule, createTrainingOptimizer, type LearningRateSchedule, type OptimizerSpec } from './optimizer';
import { resolveTaskLosses, type TaskLossSpec, type TensorLoss } from './task-losses';
import { explainMissingKernel, trainingKernelsFor } from './training-kernels';
import { assertKernelsRegistered, registerWasmTrainingKernels } from './wasm-training-kernels';

const epsilon = 1e-7;

/**
 * Each task's mean loss over the batch items that carry it, on the head's probabilities: the
 * task's tensor loss (`losses`; by default categorical cross-entropy for multi-class, binary
 * cross-entropy averaged over columns otherwise). Tasks no item carries are absent from the map.
 */
export function maskedTaskLosses(
  outputs: readonly tf.Tensor[],
  batch: Batch,
  set: CombinedSet,
  exclude: ReadonlySet<string> = new Set(),
  losses: ReadonlyMap<string, TensorLoss> = resolveTaskLosses({ set }),
): Map<string, tf.Scalar> {
  const size = batch.indices.length;
  const result = new Map<string, tf.Scalar>();
  set.tasks.forEach((entry, taskIndex) => {
    if (exclude.has(entry.task.name)) return;
    const rows = taskRows(batch, set, taskIndex);
    if (!rows) return;
    const { mask, carrying, targets, width } = rows;
    const taskLoss = losses.get(entry.task.name) as TensorLoss;
    // a mask, not a gather: gather's gradient (UnsortedSegmentSum) does not exist on wasm
    const loss = tf.tidy(() => {
      const perRow = taskLoss({
        probabilities: outputs[taskIndex] as tf.Tensor2D,
        targets: tf.tensor2d(targets, [size, width]),
        kind: entry.task.kind,
      });
      // every row carries the task: no mask to multiply by (the same values and gradients)
      return tf.div(tf.sum(carrying === size ? perRow : tf.mul(perRow, tf.tensor1d(mask))), carrying);
    });
    result.set(entry.task.name, loss as tf.Scalar);
  });
  return result;
}

/** The error for a combiner that needs every task in each batch, paired with a sampler that cannot give it. */
function starvedCombiner(combiner: string, sampler: string): ConfigError {
  return new ConfigError({
    configPath: 'training.sampling',
    value: sampler,
    message: `The ${combiner} loss combiner needs every task's gradient in each step, but the ${sampler} sampler gives batches that lack some tasks (the datasets carry different tasks). Use the every-dataset sampler (the default for ${combiner}) or another combiner.`,
  });
}

/** Names of the tasks at least one item of the batch carries. */
function carriedTasks(batch: Batch, set: CombinedSet): Set<string> {
  const carried = new Set<string>();
  const taskCount = set.tasks.length;
  set.tasks.forEach((entry, taskIndex) => {
    for (let row = 0; row < batch.indices.length; row++) {
      if (batch.masks[row * taskCount + taskIndex]) {
        carried.add(entry.task.name);
        return;
      }
    }
  });
  return carried;
}

/** The batch as the losses see it: regression targets standard-scaled (classification columns unchanged). */
function scaledBatch(batch: Batch, set: CombinedSet, scaler: TargetScaler | undefined): Batch {
  if (!scaler || Object.keys(scaler.tasks).length === 0) return batch;
  return { ...batch, targets: scaleTargetRows({ scaler, set, targets: batch.targets, masks: batch.masks }) };
}

/** Collects, per task, the truth rows and probabilities (scaled predictions for regression) of the items that carry it. */
class Collector {
  private readonly truth = new Map<string, number[]>();
  private readonly scores = new Map<string, number[]>();
  private readonly lossSums = new Map<string, number>();
  private readonly lossCounts = new Map<string, number>();

  constructor(
    private readonly set: CombinedSet,
    private readonly scaler?: TargetScaler,
  ) {}

  private readonly slots = new Map<string, Map<string, number>>();
  private readonly counts = new Map<string, number[]>();
  private unique = 0;

  /**
   * Adds a batch. Rows with the same `keys` entry (windows of one recording) are merged: their
   * probabilities are averaged, so metrics are per recording.
   */
  add(batch: Batch, probabilities: readonly Float32Array[], keys?: readonly string[]): void {
    const size = batch.indices.length;
    this.set.tasks.forEach((entry, taskIndex) => {
      const [start, end] = entry.columns;
      const width = end - start;
      const output = probabilities[taskIndex] as Float32Array;
      const truth = this.truth.get(entry.task.name) ?? [];
      const scores = this.scores.get(entry.task.name) ?? [];
      const slots = this.slots.get(entry.task.name) ?? new Map<string, number>();
      const counts = this.counts.get(entry.task.name) ?? [];
      for (let row = 0; row < size; row++) {
        if (!batch.masks[row * this.set.tasks.length + taskIndex]) continue;
        const key = keys?.[row] ?? `#${this.unique++}`;
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = counts.length;
          slots.set(key, slot);
          counts.push(0);
          for (let column = 0; column < width; column++) {
            truth.push(batch.targets[row * this.set.columnCount + start + column] as number);
            scores.push(0);
          }
        }
        counts[slot] = (counts[slot] as number) + 1;
        for (let column = 0; column < width; column++)
          scores[slot * width + column] = (scores[slot * width + column] as number) + (output[row * width + column] as number);
      }
      this.truth.set(entry.task.name, truth);
      this.scores.set(entry.task.name, scores);
      this.slots.set(entry.task.name, slots);
      this.counts.set(entry.task.name, counts);
    });
  }

  addLoss(task: string, loss: number, rows = 1): void {
    this.lossSums.set(task, (this.lossSums.get(task) ?? 0) + loss * rows);
    this.lossCounts.set(task, (this.lossCounts.get(task) ?? 0) + rows);
  }

  meanLosses(): Record<string, number> {
    return Object.fromEntries([...this.lossSums].map(([task, sum]) => [task, sum / (this.lossCounts.get(task) as number)]));
  }

  /** Metrics of every task with examples; `lossFromScores` computes losses from probabilities (evaluation). */
  metrics(lossFromScores: boolean): TaskMetrics[] {
    const result: TaskMetrics[] = [];
    for (const entry of this.set.tasks) {
      const truthValues = this.truth.get(entry.task.name) ?? [];
      if (truthValues.length === 0) continue;
      const width = entry.columns[1] - entry.columns[0];
      const rows = truthValues.length / width;
      const counts = this.counts.get(entry.task.name) ?? [];
      const scores = Float32Array.from(
        this.scores.get(entry.task.name) ?? [],
        (value, index) => value / (counts[Math.floor(index / width)] ?? 1),
      );
      if (entry.task.kind === 'regression') {
        result.push(this.regressionMetrics(entry.task, Float32Array.from(truthValues), scores, lossFromScores));
        continue;
      }
      const truth = Uint8Array.from(truthValues);
      if (lossFromScores) {
        let total = 0;
        for (let index = 0; index < scores.length; index++) {
          const p = Math.min(1 - epsilon, Math.max(epsilon, scores[index] as number));
          total +=
            entry.task.kind === 'multi-class'
              ? -(truth[index] as number) * Math.log(p)
              : -((truth[index] as number) * Math.log(p) + (1 - (truth[index] as number)) * Math.log(1 - p));
        }
        this.addLoss(entry.task.name, entry.task.kind === 'multi-class' ? total / rows : total / scores.length, rows);
      }
      const loss = this.meanLosses()[entry.task.name];
      result.push(
        computeTaskMetrics({
          task: entry.task,
          truth,
          decisions: entry.task.decide(scores, rows),
          scores,
          ...(loss === undefined ? {} : { loss }),
        }),
      );
    }
    return result;
  }

  /** A regression task's metrics: the loss in the scaled space training uses, the metrics in the targets' units. */
  private regressionMetrics(
    task: CombinedSet['tasks'][number]['task'],
    truth: Float32Array,
    scaled: Float32Array,
    lossFromScores: boolean,
  ) {
    const scaling = this.scaler?.tasks[task.name] ? { scaler: this.scaler, taskName: task.name } : undefined;
    const rows = truth.length / task.outputSize;
    if (lossFromScores) {
      const scaledTruth = scaling ? scaleTaskValues({ ...scaling, values: truth }) : truth;
      this.addLoss(task.name, task.loss.compute(scaled, scaledTruth, rows), rows);
    }
    const loss = this.meanLosses()[task.name];
    return computeTaskMetrics({
      task,
      truth,
      predictions: scaling ? unscaleTaskValues({ ...scaling, values: scaled }) : scaled,
      ...(loss === undefined ? {} : { loss }),
    });
  }
}

/** Options of {@link trainFold}. */
export interface TrainFoldOptions {
  readonly model: tfl.LayersModel;
  readonly train: CombinedSet;
  /**
   * Evaluated after every epoch; early stopping, schedules, restore-best and the best epoch
   * watch it (without it they watch the training metrics).
   */
  readonly validation?: CombinedSet;
  /** Evaluated and reported after every epoch; never used to choose anything. */
  readonly test?: CombinedSet;
  readonly epochs: number;
  /** @default 0 */
  readonly fold?: number;
  /** @default 32 */
  readonly batchSize?: number;
  /**
   * @default 'every-dataset' for combiners that need every task's gradient in each step (PCGrad, DB-MTL,
   * IMTL, GradNorm, CAGrad, GradVac, GradDrop, MGDA, MGDA-UB, Aligned-MTL, Nash-MTL) when the datasets carry different tasks, else 'per-dataset'
   */
  readonly sampling?: SamplingStrategy | BatchSamplerFactory;
  /** Dataset weights of the `balanced` and `every-dataset` samplers. @default equal */
  readonly samplingWeights?: readonly number[];
  /** Seed of the sampler. @default 0 */
  readonly seed?: number;
  /** @default { name: 'adam', learningRate: 0.001 } */
  readonly optimizer?: OptimizerSpec | tf.Optimizer;
  readonly schedule?: LearningRateSchedule;
  /** A built-in combiner's spec, or a factory of your own. @default { kind: 'sum' } */
  readonly lossCombiner?: LossCombinerSpec | LossCombinerFactory;
  /** Loss per task: cross-entropy with class weights (given or `balanced`) or focal loss. @default each task's own loss */
  readonly losses?: Readonly<Record<string, TaskLossSpec>>;
  /** Tensor losses per task, overriding `losses` and the tasks' own. */
  readonly taskLosses?: Readonly<Record<string, TensorLoss>>;
  /** Clip the gradients' global norm to this value. */
  readonly gradientClipNorm?: number;
  /**
   * Scaling of regression targets: `standard` (mean 0, standard deviation 1 per output, fitted on
   * `train` only; predictions are unscaled before metrics) or `none`. @default 'standard'
   */
  readonly targetScaling?: 'standard' | 'none';
  readonly earlyStopping?: EarlyStoppingSpec;
  /**
   * Hear of the fold's start, batches, epochs and end; what their `checkpointState` gives goes into
   * each checkpoint by position, so resume with the same observers in the same order.
   */
  readonly observers?: readonly TrainingObserver[];
  /** Where checkpoints go (one per epoch, then pruned by `checkpoints`). */
  readonly store?: RunStore;
  /** Which epochs' checkpoints stay in the store. @default the last and the best */
  readonly checkpoints?: CheckpointRetention;
  /** A checkpoint to continue from (its `state.epoch` is the last complete epoch). */
  readonly resume?: CheckpointContents;
  /** Stop after the current batch (the epoch is not checkpointed, so a resume repeats it). */
  readonly signal?: AbortSignal;
  /**
   * Train and report only these tasks (the others' losses are left out): with the same model and
   * budget, this is the single-task baseline of each task. @default every task
   */
  readonly tasks?: readonly string[];
  /**
   * Applied in order to each training batch before its step, never to validation, test or
   * evaluation data. Each draws from a generator of (seed, epoch, batch, position), so a resumed
   * run augments exactly as an uninterrupted one. Losses see the augmented targets; train metrics
   * keep the batch's own. @default none
   */
  readonly augmentations?: readonly BatchAugmentation[];
}

/**
 * Which epochs' checkpoints a fold keeps; the last one, from which a run resumes, always stays.
 * @example { best: true, every: 10 } keeps the last, the best and every tenth epoch's
 */
export interface CheckpointRetention {
  /** Keep the best epoch's (early stopping's best, or else the lowest validation loss, or train loss without validation). @default true */
  readonly best?: boolean;
  /** Also keep every `every`-th epoch's. */
  readonly every?: number;
  /** Keep every epoch's checkpoint. @default false */
  readonly all?: boolean;
}

/** What a fold's training did. */
export interface TrainFoldResult {
  readonly epochsCompleted: number;
  readonly stoppedEarly: boolean;
  readonly interrupted: boolean;
  readonly bestEpoch: number | undefined;
  /** The loss combiner's final weight per task. */
  readonly lossWeights: Readonly<Record<string, number>>;
  /** The scaler of the regression targets (fitted on the training part), for {@link evaluateModel}; absent without regression scaling. */
  readonly targetScaler?: TargetScaler;
  readonly history: readonly { readonly train: EpochRecord; readonly validation?: EpochRecord; readonly test?: EpochRecord }[];
}

/**
 * Evaluates a model on a combined set: every task's metrics and loss over the items that carry it.
 * @example const record = await evaluateModel({ model, set: test, fold: 0, epoch: 3 })
 */
export function evaluateModel(options: {
  model: tfl.LayersModel;
  set: CombinedSet;
  fold?: number;
  epoch?: number;
  batchSize?: number;
  /** The scaler the model's regression heads were trained with (a fold's checkpoint state holds it); without it, outputs are taken as they are. */
  targetScaler?: TargetScaler;
}): Promise<EpochRecord> {
  return evaluate(options.model, options.set, {
    fold: options.fold ?? 0,
    epoch: options.epoch ?? 0,
    batchSize: options.batchSize ?? 32,
    ...(options.targetScaler ? { scaler: options.targetScaler } : {}),
  });
}

async function evaluate(
  model: tfl.LayersModel,
  set: CombinedSet,
  options: { fold: number; epoch: number; batchSize: number; split?: 'validation' | 'test'; scaler?: TargetScaler },
): Promise<EpochRecord> {
  const { fold, epoch, batchSize } = options;
  const split = options.split ?? 'test';
  const collector = new Collector(set, options.scaler);
  const sampler = createBatchSampler({ set, batchSize, strategy: 'per-dataset', seed: 0 });
  // dense models skip the engine's per-operation bookkeeping; same kernels, same outputs
  const compiled = compileInference(model);
  try {
    for await (const batch of iterateBatches({ set, sampler })) {
      const probabilities = tf.tidy(() => {
        const features = tf.tensor(batch.features, [...batch.featureShape]);
        return compiled ? compiled.run(features) : appliedOutputs(model, features);
      });
      // windows of one recording (metadata.sourceId) are evaluated together: mean of their probabilities
      const keys = Array.from(batch.indices, (index) => {
        const place = set.locate(index);
        const sourceId = (set.datasets[place.dataset] as (typeof set.datasets)[number]).metadataOf(place.index).sourceId;
        return sourceId === undefined ? `${place.dataset}:#${place.index}` : `${place.dataset}:${sourceId}`;
      });
      collector.add(batch, probabilities as unknown as Float32Array[], keys);
    }
  } finally {
    compiled?.dispose();
  }
  const tasks = collector.metrics(true);
  return { fold, epoch, split, loss: tasks.reduce((sum, task) => sum + (task.loss ?? 0), 0), tasks };
}

/**
 * Trains one fold.
 * @example await trainFold({ model, train, test, epochs: 30, earlyStopping: { metric: 'macro.f1', patience: 5 }, store, observers })
 */
export async function trainFold(options: TrainFoldOptions): Promise<TrainFoldResult> {
  // what the fold creates (optimizer state, combiner variables, best weights) is freed however it ends
  const owned: { dispose(): void }[] = [];
  const progress = { started: false };
  try {
    return await trainFoldChecked(options, owned, progress);
  } catch (error) {
    const explained = explainMissingKernel(error);
    // observers hear of the failure once training started (a hook failing here must not hide the error)
    if (progress.started)
      await notifyObservers(options.observers ?? [], 'onTrainingEnd', {
        fold: options.fold ?? 0,
        status: 'failure',
        error: explained,
      }).catch(() => {});
    throw explained;
  } finally {
    for (const resource of owned) resource.dispose();
  }
}

async function trainFoldChecked(
  options: TrainFoldOptions,
  owned: { dispose(): void }[],
  progress: { started: boolean },
): Promise<TrainFoldResult> {
  const { model, train, test, epochs } = options;
  const fold = options.fold ?? 0;
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new InvalidArgumentError({ argument: 'epochs', value: epochs, message: `epochs must be a positive integer, got ${epochs}.` });
  const inputShape = train.shapeOf(0);
  checkModelForTasks(model, {
    inputShape,
    tasks: train.tasks.map((entry) => ({ name: entry.task.name, kind: entry.task.kind, outputSize: entry.task.outputSize })),
  });
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
  assertKernelsRegistered(trainingKernelsFor(model));
  const trainer = createTrainingOptimizer(options.optimizer ?? { name: 'adam' });
  // an optimizer passed in as an instance stays the caller's
  if (!(options.optimizer && options.optimizer instanceof tf.Optimizer)) owned.push(trainer.optimizer);
  const taskNames = train.tasks.map((entry) => entry.task.name);
  const combinerSpec = options.lossCombiner ?? { kind: 'sum' };
  const regressionTasks = train.tasks.filter((entry) => entry.task.kind === 'regression').map((entry) => entry.task.name);
  const combiner =
    typeof combinerSpec === 'function' ? combinerSpec(taskNames) : createLossCombiner(combinerSpec, taskNames, { regressionTasks });
  owned.push({ dispose: () => tf.dispose([...combiner.variables]) });
  const needsEveryTask = combiner.perTaskGradients !== undefined || combiner.representationGradients !== undefined;
  const chosen = options.sampling ?? (needsEveryTask && !samplerFeedsEveryTask(train, 'per-dataset') ? 'every-dataset' : 'per-dataset');
  if (typeof chosen === 'string' && needsEveryTask && !samplerFeedsEveryTask(train, chosen)) throw starvedCombiner(combiner.kind, chosen);
  const seed = options.seed ?? 0;
  const augmentations = options.augmentations ?? [];
  // layers that draw per step (StepDropout) learn each step's position before it
  const stepLayers = trainingStepLayers(model);
  checkAugmentations(augmentations);
  const taskColumns = train.tasks.map((entry) => ({ name: entry.task.name, kind: entry.task.kind, columns: entry.columns }));
  const sampler =
    typeof chosen === 'function'
      ? chosen({ set: train, batchSize, seed })
      : createBatchSampler({
          set: train,
          batchSize,
          strategy: chosen,
          seed,
          ...(options.samplingWeights ? { weights: options.samplingWeights } : {}),
        });
  const taskLosses = resolveTaskLosses({
    set: train,
    ...(options.taskLosses ? { taskLosses: options.taskLosses } : {}),
    ...(options.losses ? { specs: options.losses } : {}),
  });
  const resumeState = options.resume?.state as
    | {
        epoch?: number;
        earlyStopping?: EarlyStoppingState;
        schedule?: { best: number | null; wait: number; current: number };
        combinerVariables?: number[];
        combinerState?: unknown;
        bestEpoch?: number;
        stoppedEarly?: boolean;
        lowestLoss?: { epoch: number; loss: number };
        observers?: unknown[];
        targetScaler?: TargetScaler;
      }
    | undefined;
  // fitted on the training part only; a resumed fold uses the checkpoint's, so it continues exactly
  const targetScaler = (options.targetScaling ?? 'standard') === 'none' ? undefined : (resumeState?.targetScaler ?? fitTargetScaler(train));
  for (const name of options.tasks ?? []) {
    if (!taskNames.includes(name))
      throw new InvalidArgumentError({
        argument: 'tasks',
        value: name,
        message: `No task "${name}" to train; the tasks are ${taskNames.join(', ')}.`,
      });
  }
  const leftOut = new Set(options.tasks ? taskNames.filter((name) => !options.tasks?.includes(name)) : []);
  if (options.earlyStopping)
    checkEarlyStoppingSpec(
      options.earlyStopping,
      train.tasks.map((entry) => entry.task).filter((task) => !leftOut.has(task.name)),
    );
  const earlyStopping = options.earlyStopping ? createEarlyStopping(options.earlyStopping, resumeState?.earlyStopping) : undefined;
  const schedule = createSchedule(options.schedule ?? { kind: 'constant' }, trainer, resumeState?.schedule);
  const trainable = [...model.trainableWeights.map((weight) => weight.read() as tf.Variable), ...combiner.variables];
  const compiledStep = compileTrainingStep(model);
  const headForms = compiledStep && headLossForms(compiledStep, train, taskLosses);
  // GradNorm watches the last shared layer's weights
  const sharedWeights = model.trainableWeights.filter((weight) => weight.originalName.startsWith('shared_'));
  const lastShared = sharedWeights.at(-1)?.originalName.split('/')[0];
  const sharedNames = sharedWeights
    .filter((weight) => weight.originalName.split('/')[0] === lastShared)
    .map((weight) => (weight.read() as tf.Variable).name);
  const allSharedNames = sharedWeights.map((weight) => (weight.read() as tf.Variable).name);
  // representation combiners (MGDA-UB): the model cut where its heads start
  const split = combiner.representationGradients ? splitAtRepresentation(model, combiner.kind) : undefined;
  const trunkVariables = new Set(split?.trunk.trainableWeights.map((weight) => weight.read() as tf.Variable) ?? []);
  const representationParts = split && {
    ...split,
    sharedVariables: [...trunkVariables],
    headVariables: trainable.filter((variable) => !trunkVariables.has(variable)),
    // batch norm's moving statistics, which the step's second forward pass of the trunk must leave as the first left them
    keep: split.trunk.nonTrainableWeights,
    // and those of layers in the heads (a model of the user's), which every task's pass runs again
    keepHeads: split.heads.flat().flatMap((layer) => layer.nonTrainableWeights),
  };
  let startEpoch = 0;
  if (options.resume) {
    await restoreCheckpoint(model, trainer.optimizer, options.resume);
    startEpoch = resumeState?.epoch ?? 0;
    for (const [index, value] of (resumeState?.combinerVariables ?? []).entries()) combiner.variables[index]?.assign(tf.scalar(value));
    if (resumeState?.combinerState !== undefined) combiner.restore?.(resumeState.combinerState);
  }
  let bestEpoch = resumeState?.bestEpoch;
  // the best epoch by monitored loss, for checkpoint retention when no early stopping chooses one
  let lowestLoss = resumeState?.lowestLoss;
  const retention = options.checkpoints ?? {};
  if (retention.every !== undefined && !(Number.isInteger(retention.every) && retention.every > 0))
    throw new InvalidArgumentError({
      argument: 'checkpoints.every',
      value: retention.every,
      message: `checkpoints.every must be a positive integer (keep every k-th epoch's checkpoint), got ${retention.every}.`,
    });
  let bestWeights: tf.Tensor[] | undefined;
  owned.push({ dispose: () => tf.dispose(bestWeights ?? []) });
  const history: { train: EpochRecord; validation?: EpochRecord; test?: EpochRecord }[] = [];
  let interrupted = false;
  // a run that had stopped early stays stopped when resumed
  let stoppedEarly = resumeState?.stoppedEarly === true;
  let epochsCompleted = startEpoch;
  const observers = options.observers ?? [];
  // observers that write files drop what they wrote after the last commit (or, from scratch, everything of the fold)
  progress.started = true;
  for (const [index, observer] of observers.entries())
    await observer.onTrainingStart?.({
      fold,
      epoch: startEpoch,
      ...(options.resume ? { state: resumeState?.observers?.[index] ?? undefined } : {}),
    });
  const keep = (record: EpochRecord): EpochRecord => {
    if (leftOut.size === 0) return record;
    const tasks = record.tasks.filter((task) => !leftOut.has(task.task));
    return { ...record, tasks, ...(record.split !== 'train' ? { loss: tasks.reduce((sum, task) => sum + (task.loss ?? 0), 0) } : {}) };
  };

  for (let epoch = startEpoch + 1; epoch <= epochs && !stoppedEarly; epoch++) {
    sampler.restore({ epoch: epoch - 1, batch: 0 });
    const collector = new Collector(train, targetScaler);
    const frozen = new Set([...(earlyStopping?.frozen() ?? []), ...leftOut]);
    const started = performance.now();
    let batchNumber = 0;
    let steppedBatches = 0;
    let lossSum = 0;
    // gradient combiners: the per-task gradient path's seconds and memory rise over the epoch's steps
    const overhead = { seconds: 0, steps: 0, peakExtraBytes: 0 };
    for await (const batch of iterateBatches({ set: train, sampler })) {
      const carried = carriedTasks(batch, train);
      // a batch with none of the trained tasks (a baseline's batch from another dataset) is skipped
      if (leftOut.size > 0 && ![...carried].some((task) => !leftOut.has(task))) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        continue;
      }
      // tasks frozen by early stopping still get their train metrics, but no step trains them
      const stepping = [...carried].some((task) => !frozen.has(task));
      // a sampler of your own is checked batch by batch: a gradient combiner needs every trained task
      if (needsEveryTask && taskNames.some((task) => !frozen.has(task) && !carried.has(task)))
        throw starvedCombiner(combiner.kind, sampler.strategy);
      for (const layer of stepLayers) layer.setTrainingStep({ epoch, step: batch.samplerState.batch });
      // augmented copies for the step; the metrics below keep the batch's own targets
      const augmented =
        augmentations.length === 0
          ? batch
          : {
              ...batch,
              ...augmentBatch({
                augmentations,
                features: batch.features,
                shape: batch.featureShape,
                targets: batch.targets,
                masks: batch.masks,
                datasetIds: batch.datasetIds,
                taskColumns,
                seed,
                epoch,
                step: batch.samplerState.batch,
              }),
            };
      const lossBatch = scaledBatch(augmented, train, targetScaler);
      const x = tf.tensor(augmented.features, [...batch.featureShape]);
      const probabilities: Float32Array[] = [];
      const taskLossValues = new Map<string, number>();
      const compute = (only?: string, given?: tf.Tensor[]) => {
        const outputs = given ?? (model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
        const list = Array.isArray(outputs) ? outputs : [outputs];
        if (probabilities.length === 0) for (const output of list) probabilities.push(output.dataSync() as Float32Array);
        const losses = maskedTaskLosses(list, lossBatch, train, frozen, taskLosses);
        for (const [task, loss] of losses) if (!taskLossValues.has(task)) taskLossValues.set(task, loss.dataSync()[0] as number);
        if (only !== undefined) return losses.get(only) ?? tf.scalar(0);
        return combiner.combine(losses);
      };
      let gradients: tf.NamedTensorMap = {};
      let combinedLoss: number;
      if (!stepping) {
        tf.tidy(() => void compute()); // records probabilities for the metrics; nothing to train (the loss is freed too)
        combinedLoss = 0;
      } else if (combiner.representationGradients && representationParts) {
        const pathStarted = performance.now();
        const bytesBefore = tf.memory().numBytes;
        const { trunk, heads } = representationParts;
        const merge = combiner.representationGradients.merge.bind(combiner.representationGradients);
        const step = representationGradientStep({
          representation: () => trunk.apply(x, { training: true }) as tf.Tensor,
          losses: (representation) => {
            const list = heads.map((chain) =>
              chain.reduce((tensor, layer) => layer.apply(tensor, { training: true }) as tf.Tensor, representation),
            );
            if (probabilities.length === 0) for (const output of list) probabilities.push(output.dataSync() as Float32Array);
            return maskedTaskLosses(list, lossBatch, train, frozen, taskLosses);
          },
          sharedVariables: representationParts.sharedVariables,
          headVariables: representationParts.headVariables,
          merge: (perTask, losses) => {
            const merged = merge(perTask, losses);
            overhead.peakExtraBytes = Math.max(overhead.peakExtraBytes, tf.memory().numBytes - bytesBefore);
            return merged;
          },
          keep: representationParts.keep,
          keepHeads: representationParts.keepHeads,
        });
        gradients = step.gradients;
        for (const [task, value] of step.losses) taskLossValues.set(task, value);
        overhead.seconds += (performance.now() - pathStarted) / 1000;
        overhead.steps++;
        combinedLoss = [...taskLossValues.values()].reduce((sum, value) => sum + value, 0);
      } else if (combiner.perTaskGradients) {
        const present = new Map<string, tf.NamedTensorMap>();
        tf.tidy(() => void compute()); // records probabilities and losses (the loss is freed too)
        // the overhead: the per-task gradients and the merge (memory sampled as the merge starts and returns)
        const pathStarted = performance.now();
        const bytesBefore = tf.memory().numBytes;
        for (const task of taskLossValues.keys()) {
          const { value, grads } = tf.variableGrads(() => compute(task) as tf.Scalar, trainable);
          value.dispose();
          present.set(task, grads);
        }
        const bytesAtMerge = tf.memory().numBytes;
        gradients = combiner.perTaskGradients.merge(present, taskLossValues, sharedNames, allSharedNames);
        const bytesAfterMerge = tf.memory().numBytes;
        for (const map of present.values()) tf.dispose(Object.values(map));
        overhead.seconds += (performance.now() - pathStarted) / 1000;
        overhead.steps++;
        overhead.peakExtraBytes = Math.max(overhead.peakExtraBytes, bytesAtMerge - bytesBefore, bytesAfterMerge - bytesBefore);
        combinedLoss = [...taskLossValues.values()].reduce((sum, value) => sum + value, 0);
      } else if (compiledStep && headForms) {
        // dense models on wasm with built-in losses: the compiled step takes the heads' gradients from
        // their closed forms, without a tape (the tape's gradients, up to rounding)
        let combinerGradients: tf.NamedTensorMap = {};
        let combined = 0;
        const modelGradients = compiledStep.gradientsFromHeads({
          features: x,
          variables: trainable,
          headGradients: (outputs) => {
            probabilities.push(...outputs);
            const heads = combinedHeadGradients({ outputs, batch: lossBatch, set: train, exclude: frozen, forms: headForms, combiner });
            for (const [task, loss] of heads.taskLosses) taskLossValues.set(task, loss);
            combinerGradients = heads.combinerGradients;
            combined = heads.value;
            return heads.logitGradients;
          },
        });
        if (modelGradients) {
          gradients = { ...modelGradients, ...combinerGradients };
          combinedLoss = combined;
        } else {
          tf.dispose(Object.values(combinerGradients));
          probabilities.length = 0;
          taskLossValues.clear();
          const { value, grads } = tf.variableGrads(() => compute() as tf.Scalar, trainable);
          combinedLoss = value.dataSync()[0] as number;
          value.dispose();
          gradients = grads;
        }
      } else {
        // dense models on wasm: the compiled step (the same gradients, bit for bit, without the tape's bookkeeping)
        const { value, grads } =
          compiledStep?.gradients({ features: x, loss: (outputs) => compute(undefined, outputs) as tf.Scalar, variables: trainable }) ??
          tf.variableGrads(() => compute() as tf.Scalar, trainable);
        combinedLoss = value.dataSync()[0] as number;
        value.dispose();
        gradients = grads;
      }
      if (options.gradientClipNorm) {
        const clip = options.gradientClipNorm;
        const norm = tf.tidy(() =>
          Math.sqrt(Object.values(gradients).reduce((sum, gradient) => sum + (tf.sum(tf.square(gradient)).dataSync()[0] as number), 0)),
        );
        if (norm > clip) {
          const scaled = Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [name, tf.mul(gradient, clip / norm)]));
          tf.dispose(Object.values(gradients));
          gradients = scaled;
        }
      }
      if (stepping) trainer.applyGradients(gradients, trainable);
      tf.dispose(Object.values(gradients));
      // FAMO learns from the same batch's losses after the step (an extra forward pass, as LibMTL's trainer does)
      if (stepping && combiner.afterStep) {
        const after = new Map<string, number>();
        tf.tidy(() => {
          const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
          const losses = maskedTaskLosses(Array.isArray(outputs) ? outputs : [outputs], lossBatch, train, frozen, taskLosses);
          for (const [task, loss] of losses) after.set(task, loss.dataSync()[0] as number);
        });
        combiner.afterStep(after);
      }
      x.dispose();
      collector.add(batch, probabilities);
      const rowsPerTask = train.tasks.map((_, taskIndex) => {
        let count = 0;
        for (let row = 0; row < batch.indices.length; row++) count += batch.masks[row * train.tasks.length + taskIndex] as number;
        return count;
      });
      train.tasks.forEach((entry, taskIndex) => {
        const value = taskLossValues.get(entry.task.name);
        if (value !== undefined) collector.addLoss(entry.task.name, value, rowsPerTask[taskIndex]);
      });
      lossSum += combinedLoss;
      if (stepping) steppedBatches++;
      batchNumber++;
      await notifyObservers(observers, 'onBatchEnd', {
        fold,
        epoch,
        batch: batchNumber,
        loss: combinedLoss,
        taskLosses: Object.fromEntries(taskLossValues),
      });
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    const trainTasks = collector.metrics(false);
    const trainRecord = keep({
      fold,
      epoch,
      split: 'train',
      loss: lossSum / Math.max(steppedBatches, 1),
      tasks: trainTasks,
      seconds: (performance.now() - started) / 1000,
      learningRate: trainer.learningRate(),
      // the weights the epoch trained with (DWA's change at the epoch's end shows in the next record)
      lossWeights: Object.fromEntries(Object.entries(combiner.weights()).filter(([task]) => !leftOut.has(task))),
      ...(overhead.steps > 0
        ? { gradientOverhead: { secondsPerStep: overhead.seconds / overhead.steps, peakExtraBytes: overhead.peakExtraBytes } }
        : {}),
    });
    const validationRecord = options.validation
      ? keep(
          await evaluate(model, options.validation, {
            fold,
            epoch,
            batchSize,
            split: 'validation',
            ...(targetScaler ? { scaler: targetScaler } : {}),
          }),
        )
      : undefined;
    const testRecord = test
      ? keep(await evaluate(model, test, { fold, epoch, batchSize, split: 'test', ...(targetScaler ? { scaler: targetScaler } : {}) }))
      : undefined;
    combiner.onEpochEnd?.(collector.meanLosses());
    // model selection never looks at the test part
    const monitored = validationRecord ?? trainRecord;
    const decision = earlyStopping?.check(monitored);
    if (decision?.improved) {
      bestEpoch = epoch;
      if (earlyStopping?.spec.restoreBestWeights) {
        tf.dispose(bestWeights ?? []);
        bestWeights = model.weights.map((weight) => weight.read().clone());
      }
    }
    schedule.update({ epoch, monitored: monitored.loss });
    if (Number.isFinite(monitored.loss) && (lowestLoss === undefined || monitored.loss < lowestLoss.loss))
      lowestLoss = { epoch, loss: monitored.loss };
    epochsCompleted = epoch;
    const reports = {
      train: trainRecord,
      ...(validationRecord ? { validation: validationRecord } : {}),
      ...(testRecord ? { test: testRecord } : {}),
    };
    history.push(reports);
    // the epoch's records first, then its checkpoint: the checkpoint commits the epoch (a resume drops records after it)
    await notifyObservers(observers, 'onEpochEnd', { fold, epoch, ...reports });
    if (options.store) {
      const state = {
        epoch,
        sampler: { epoch, batch: 0 },
        schedule: schedule.toJSON(),
        ...(earlyStopping ? { earlyStopping: earlyStopping.toJSON() } : {}),
        combinerVariables: combiner.variables.map((variable) => variable.dataSync()[0] as number),
        combinerWeights: combiner.weights(),
        ...(combiner.state ? { combinerState: combiner.state() } : {}),
        ...(bestEpoch === undefined ? {} : { bestEpoch }),
        ...(decision?.stop ? { stoppedEarly: true } : {}),
        ...(lowestLoss ? { lowestLoss } : {}),
        ...(targetScaler ? { targetScaler } : {}),
        // each observer's part of the commit, by its position in the observers list
        observers: await Promise.all(observers.map((observer) => observer.checkpointState?.({ fold, epoch }) ?? null)),
      };
      options.store.saveCheckpoint(fold, epoch, await createCheckpoint(model, trainer.optimizer, state));
      // after the commit: an older checkpoint removed by a kill midway is only one fewer kept
      if (!retention.all) {
        const best = earlyStopping ? bestEpoch : lowestLoss?.epoch;
        options.store.pruneCheckpoints(
          fold,
          (kept) => ((retention.best ?? true) && kept === best) || (retention.every !== undefined && kept % retention.every === 0),
        );
      }
    }
    if (decision?.stop) {
      stoppedEarly = true;
      break;
    }
  }
  if (bestWeights && earlyStopping?.spec.restoreBestWeights) {
    for (const [index, weight] of model.weights.entries()) weight.write(bestWeights?.[index] as tf.Tensor);
  }
  await notifyObservers(observers, 'onTrainingEnd', { fold, status: interrupted ? 'stopped' : 'success' });
  progress.started = false;
  return {
    epochsCompleted,
    stoppedEarly,
    interrupted,
    bestEpoch,
    lossWeights: combiner.weights(),
    history,
    ...(targetScaler ? { targetScaler } : {}),
  };
}

/**
 * A layer whose randomness must change from training step to training step and repeat when a run
 * resumes (`StepDropout` from @polytask/models): trainFold calls `setTrainingStep` on every such layer
 * of the model (nested models included) before each step, with the epoch and the batch's position.
 */
export interface TrainingStepLayer {
  setTrainingStep(position: { readonly epoch: number; readonly step: number }): void;
}

/** The model's layers (and those of nested models) that take the training step. */
function trainingStepLayers(model: tfl.LayersModel): TrainingStepLayer[] {
  const found: TrainingStepLayer[] = [];
  const visit = (layers: readonly unknown[]) => {
    for (const layer of layers) {
      if (typeof (layer as Partial<TrainingStepLayer>).setTrainingStep === 'function') found.push(layer as TrainingStepLayer);
      const nested = (layer as { layers?: unknown }).layers;
      if (Array.isArray(nested)) visit(nested);
    }
  };
  visit(model.layers);
  return found;
}
