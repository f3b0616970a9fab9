/**
 * Per-task tensor losses for training. A task's loss is chosen by its `loss.name` (the name
 * `createTask({ loss })` gives): the built-in `softmax-cross-entropy`, `sigmoid-cross-entropy`
 * and, for regression tasks, `mean-squared-error` (their default), `mean-absolute-error` and `huber`, a loss registered with {@link registerTensorLoss}, or one given to
 * `trainFold({ taskLosses })`. A {@link TaskLossSpec} adds class weights (given, or `balanced`
 * from the training part's label frequencies) or swaps in the focal loss for imbalanced tasks; for a
 * regression task it picks MSE, MAE or Huber. Regression losses see the standard-scaled targets.
 */
import { InvalidArgumentError, type TaskKind } from '@polytask/core';
import type { CombinedSet } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';

const epsilon = 1e-7;

/**
 * What a tensor loss receives: a head's outputs and the target rows, both `[rows, columns]`:
 * probabilities and 0/1 targets for classification, predictions and (scaled) real targets for regression.
 */
export interface TensorLossInput {
  /** The head's outputs: probabilities, or predictions for a regression task (linear head). */
  readonly probabilities: tf.Tensor2D;
  /** The target rows. */
  readonly targets: tf.Tensor2D;
  /** The task's kind. */
  readonly kind: TaskKind;
}

/** A differentiable loss of one task: the loss of each row (`[rows]`); training averages it over the rows that carry the task. */
export type TensorLoss = (input: TensorLossInput) => tf.Tensor1D;

/** Class weights: one per output column (binary: [negative, positive]), or `balanced` from training-part frequencies. */
export type ClassWeights = 'balanced' | readonly number[];

/** How a task's loss is configured. */
export type TaskLossSpec =
  | {
      /** Cross-entropy (categorical for multi-class, binary per column otherwise). */
      readonly kind: 'cross-entropy';
      readonly classWeights?: ClassWeights;
    }
  | {
      /** Focal loss (Lin et al. 2017): cross-entropy scaled by (1 − p_t)^γ, so easy examples count less. */
      readonly kind: 'focal';
      /** @default 2 */
      readonly gamma?: number;
      readonly classWeights?: ClassWeights;
    }
  | {
      /** A regression loss: mean squared error (the default), mean absolute error, or Huber (squared below `delta`, linear above). */
      readonly kind: 'mean-squared-error' | 'mean-absolute-error' | 'huber';
      /** Huber's δ, in units of the scaled targets (standard deviations). @default 1 */
      readonly delta?: number;
    };

/** The regression loss kinds of a {@link TaskLossSpec}. */
export const regressionLossKinds = Object.freeze(['mean-squared-error', 'mean-absolute-error', 'huber'] as const);

/**
 * A regression loss per row, averaged over the columns: squared error, absolute error, or Huber
 * (½e² for |e| ≤ δ, δ(|e| − ½δ) above; Keras' `Huber`).
 * @example regressionLoss({ kind: 'huber', delta: 2 })
 */
export function regressionLoss(options: { kind: (typeof regressionLossKinds)[number]; delta?: number }): TensorLoss {
  const delta = options.delta ?? 1;
  if (!(delta > 0))
    throw new InvalidArgumentError({ argument: 'delta', value: delta, message: `Huber's delta must be positive, got ${delta}.` });
  const loss: TensorLoss = ({ probabilities: predictions, targets }) =>
    tf.tidy(() => {
      const error = tf.sub(predictions, targets);
      if (options.kind === 'mean-squared-error') return tf.mean(tf.square(error), 1) as tf.Tensor1D;
      const absolute = tf.abs(error);
      if (options.kind === 'mean-absolute-error') return tf.mean(absolute, 1) as tf.Tensor1D;
      const quadratic = tf.minimum(absolute, delta);
      const linear = tf.sub(absolute, quadratic);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)), 1) as tf.Tensor1D;
    });
  if (options.kind === 'mean-squared-error') forms.set(loss, { kind: 'mean-squared-error' });
  return loss;
}

const registry = new Map<string, TensorLoss>();

/** The closed form of a built-in loss (internal: training's compiled step computes its gradient without the tape). */
export type LossForm = { readonly kind: 'cross-entropy'; readonly weights?: readonly number[] } | { readonly kind: 'mean-squared-error' };

const forms = new WeakMap<TensorLoss, LossForm>();

/** The closed form of `loss` when it is a built-in one with one (plain or weighted cross-entropy, squared error). */
export function lossForm(loss: TensorLoss): LossForm | undefined {
  return forms.get(loss);
}

/**
 * Makes `loss` the tensor form of tasks whose `loss.name` is `name`.
 * @example registerTensorLoss('squared-error', ({ probabilities, targets }) => tf.mean(tf.squaredDifference(probabilities, targets), 1));
 */
export function registerTensorLoss(name: string, loss: TensorLoss): void {
  registry.set(name, loss);
}

/**
 * Weighted, optionally focal, cross-entropy on probabilities. Multi-class: −Σ_c w_c (1 − p_c)^γ y_c log p_c.
 * Binary and multi-label, per column: −[w⁺ y (1 − p)^γ log p + w⁻ (1 − y) p^γ log(1 − p)], averaged over
 * columns; binary weights are [w⁻, w⁺], multi-label weights are each label's w⁺ (w⁻ = 1).
 */
export function crossEntropyLoss(options: { gamma?: number; weights?: readonly number[] } = {}): TensorLoss {
  const gamma = options.gamma ?? 0;
  const weights = options.weights;
  const loss: TensorLoss = ({ probabilities, targets, kind }) =>
    tf.tidy(() => {
      const p = tf.clipByValue(probabilities, epsilon, 1 - epsilon);
      // plain cross-entropy skips the factor of ones (the same values and gradients, fewer kernels per step)
      const focused = (terms: tf.Tensor, q: tf.Tensor) => (gamma === 0 ? terms : tf.mul(terms, tf.pow(tf.sub(1, q), gamma)));
      if (kind === 'multi-class') {
        let terms = focused(tf.mul(targets, tf.log(p)), p);
        if (weights) terms = tf.mul(terms, tf.tensor1d([...weights]));
        return tf.neg(tf.sum(terms, 1)) as tf.Tensor1D;
      }
      let positive = focused(tf.mul(targets, tf.log(p)), p);
      let negative = focused(tf.mul(tf.sub(1, targets), tf.log(tf.sub(1, p))), tf.sub(1, p));
      if (weights && kind === 'binary') {
        negative = tf.mul(negative, weights[0] as number);
        positive = tf.mul(positive, weights[1] as number);
      } else if (weights) positive = tf.mul(positive, tf.tensor1d([...weights]));
      return tf.neg(tf.mean(tf.add(positive, negative), 1)) as tf.Tensor1D;
    });
  if (gamma === 0) forms.set(loss, { kind: 'cross-entropy', ...(weights ? { weights: [...weights] } : {}) });
  return loss;
}

/** The bounds cross-entropy clips probabilities to, as float32 (what the clip kernel and its gradient compare with). */
export const probabilityBounds = Object.freeze([Math.fround(epsilon), Math.fround(1 - epsilon)] as const);

/** Columns of a task in a combined set, counted over the items that carry it: positives per column and carrying rows. */
function columnCounts(set: CombinedSet, taskName: string): { positives: Float64Array; rows: number } {
  const taskIndex = set.tasks.findIndex((entry) => entry.task.name === taskName);
  const entry = set.tasks[taskIndex] as CombinedSet['tasks'][number];
  const [start, end] = entry.columns;
  const positives = new Float64Array(end - start);
  const row = new Float32Array(set.columnCount);
  let rows = 0;
  for (let index = 0; index < set.size; index++) {
    if (!set.taskMask(set.datasetOf(index))[taskIndex]) continue;
    set.writeTargetRow(index, row, 0);
    rows++;
    for (let column = start; column < end; column++)
      positives[column - start] = (positives[column - start] as number) + (row[column] as number);
  }
  return { positives, rows };
}

/**
 * Class weights from a training part, as scikit-learn's `compute_class_weight('balanced')`:
 * n / (classes · count_c) for multi-class and binary ([w⁻, w⁺]); multi-label: each label's
 * negatives / positives (PyTorch's `pos_weight`). A class without examples gets weight 1.
 */
export function balancedClassWeights(set: CombinedSet, taskName: string): number[] {
  const entry = set.tasks.find((candidate) => candidate.task.name === taskName);
  if (!entry) throw new InvalidArgumentError({ argument: 'task', value: taskName, message: `The training set has no task "${taskName}".` });
  const { positives, rows } = columnCounts(set, taskName);
  const positive = positives[0] as number;
  if (entry.task.kind === 'binary') {
    const counts = [rows - positive, positive];
    return counts.map((count) => (count > 0 ? rows / (2 * count) : 1));
  }
  if (entry.task.kind === 'multi-class') return Array.from(positives, (count) => (count > 0 ? rows / (positives.length * count) : 1));
  return Array.from(positives, (count) => (count > 0 && count < rows ? (rows - count) / count : 1));
}

/**
 * The tensor loss of each task of `set`: `taskLosses` first, then `specs`, then the registered or
 * built-in loss of the task's `loss.name`.
 * @throws InvalidArgumentError for a task whose loss has no tensor form, or class weights of the wrong length.
 */
export function resolveTaskLosses(options: {
  set: CombinedSet;
  taskLosses?: Readonly<Record<string, TensorLoss>>;
  specs?: Readonly<Record<string, TaskLossSpec>>;
}): Map<string, TensorLoss> {
  const { set } = options;
  const names = set.tasks.map((entry) => entry.task.name);
  for (const name of [...Object.keys(options.taskLosses ?? {}), ...Object.keys(options.specs ?? {})]) {
    if (!names.includes(name))
      throw new InvalidArgumentError({
        argument: 'losses',
        value: name,
        message: `A loss is given for "${name}", which is not a task; the tasks are ${names.join(', ')}.`,
      });
  }
  const losses = new Map<string, TensorLoss>();
  for (const { task } of set.tasks) {
    const given = options.taskLosses?.[task.name];
    const spec = options.specs?.[task.name];
    const regressionSpec = spec && (regressionLossKinds as readonly string[]).includes(spec.kind);
    if (spec && regressionSpec !== (task.kind === 'regression'))
      throw new InvalidArgumentError({
        argument: 'losses',
        value: spec.kind,
        message:
          task.kind === 'regression'
            ? `Task "${task.name}" is a regression task: give it a regression loss (${regressionLossKinds.join(', ')}), not ${spec.kind}.`
            : `Task "${task.name}" is ${task.kind}: ${spec.kind} is a regression loss; use cross-entropy or focal.`,
      });
    if (given) losses.set(task.name, given);
    else if (spec && regressionSpec) {
      const { kind, delta } = spec as { kind: (typeof regressionLossKinds)[number]; delta?: number };
      losses.set(task.name, regressionLoss({ kind, ...(delta === undefined ? {} : { delta }) }));
    } else if (spec && !regressionSpec) {
      const crossEntropy = spec as Extract<TaskLossSpec, { kind: 'cross-entropy' | 'focal' }>;
      const weights = crossEntropy.classWeights === 'balanced' ? balancedClassWeights(set, task.name) : crossEntropy.classWeights;
      const expected = task.kind === 'binary' ? 2 : task.outputSize;
      if (weights && (weights.length !== expected || weights.some((weight) => !(weight >= 0)))) {
        throw new InvalidArgumentError({
          argument: 'classWeights',
          value: weights,
          message: `Task "${task.name}" needs ${expected} non-negative class weights (${task.kind === 'binary' ? '[negative, positive]' : 'one per label'}), got ${JSON.stringify(weights)}.`,
        });
      }
      losses.set(
        task.name,
        crossEntropyLoss({ gamma: crossEntropy.kind === 'focal' ? (crossEntropy.gamma ?? 2) : 0, ...(weights ? { weights } : {}) }),
      );
    } else {
      const name = task.loss?.name;
      const registered = name === undefined ? undefined : registry.get(name);
      if (registered) losses.set(task.name, registered);
      else if (name !== undefined && (regressionLossKinds as readonly string[]).includes(name))
        losses.set(task.name, regressionLoss({ kind: name as (typeof regressionLossKinds)[number] }));
      else if (task.kind === 'regression')
        throw new InvalidArgumentError({
          argument: 'loss',
          value: name,
          message: `Regression task "${task.name}" uses the loss "${name}", which training has no tensor form of: registerTensorLoss('${name}', loss), pass trainFold({ taskLosses }) or use ${regressionLossKinds.join(', ')}.`,
        });
      else if (name === undefined || name === 'softmax-cross-entropy' || name === 'sigmoid-cross-entropy')
        losses.set(task.name, crossEntropyLoss());
      else
        throw new InvalidArgumentError({
          argument: 'loss',
          value: name,
          message: `Task "${task.name}" uses the loss "${name}", which training has no tensor form of: registerTensorLoss('${name}', loss) or pass trainFold({ taskLosses: { '${task.name}': loss } }).`,
        });
    }
  }
  return losses;
}
