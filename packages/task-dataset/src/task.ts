/**
 * Tasks with behaviour by kind: how a target row becomes a loss target, how model outputs
 * become decisions, and the default loss (mean squared error and a linear head for regression). Behaviour is plain data and functions: supply
 * your own loss or decision function in the options, nothing to subclass.
 */
import { defineTask, InvalidArgumentError, ShapeMismatchError, type TaskDefinition, type TaskKind, taskOutputSize } from '@polytask/core';

/** A loss over a batch of raw outputs (logits, or predictions for regression, `[rows, columns]` row-major) and loss targets; returns the mean over rows. */
export interface TaskLoss {
  /**
   * Name training uses to pick the matching tensor loss (`softmax-cross-entropy`, `sigmoid-cross-entropy`,
   * `mean-squared-error`, `mean-absolute-error`, `huber`, or your own).
   */
  readonly name: string;
  /** Mean loss over `rows` examples. */
  compute(logits: Float32Array, targets: LossTargets, rows: number): number;
}

/** Loss targets of a batch: class indices (multi-class), 0/1 values `[rows, columns]` (binary, multi-label) or real values (regression). */
export type LossTargets = Int32Array | Float32Array;

/** Turns a batch of activated outputs (probabilities, `[rows, columns]`) into decision rows of 0/1. */
export type DecisionFunction = (probabilities: Float32Array, rows: number, task: TaskDefinition) => Uint8Array;

/** A task definition plus its behaviour. */
export interface Task extends TaskDefinition {
  /** Output columns: 1 for binary, one per label (or regression output) otherwise. */
  readonly outputSize: number;
  /** Activation applied to the head's outputs: softmax (multi-class), sigmoid (binary, multi-label) or linear (none; regression). */
  readonly activation: 'softmax' | 'sigmoid' | 'linear';
  /** Decision threshold per output column (binary, multi-label); empty for multi-class and regression. */
  readonly thresholds: readonly number[];
  /** Target rows `[rows, outputSize]` → loss targets: class indices for multi-class, floats otherwise. */
  toLossTargets(rows: Uint8Array | Float32Array, rowCount: number): LossTargets;
  /**
   * Probabilities → decision rows (argmax one-hot for multi-class, threshold otherwise, unless replaced).
   * @throws InvalidArgumentError for a regression task, whose predictions are its outputs (nothing to decide).
   */
  decide(probabilities: Float32Array, rowCount: number): Uint8Array;
  /** The loss (softmax or sigmoid cross-entropy, or mean squared error for regression, unless replaced). */
  readonly loss: TaskLoss;
}

/** Options of {@link createTask}. */
export interface CreateTaskOptions {
  /** Unique name of the task. */
  readonly name: string;
  /** The task kind. */
  readonly kind: TaskKind;
  /** Ordered label names (classification; for regression, an alias of `outputs`). */
  readonly labels?: readonly string[];
  /** Regression only: ordered output names. @default [name] */
  readonly outputs?: readonly string[];
  /** Decision threshold, one for all columns or one per column (binary, multi-label). @default 0.5 */
  readonly threshold?: number | readonly number[];
  /** Replaces the default loss. */
  readonly loss?: TaskLoss;
  /** Replaces the default decision function. */
  readonly decide?: DecisionFunction;
}

function logSumExp(values: Float32Array, start: number, length: number): number {
  let maximum = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < length; index++) maximum = Math.max(maximum, values[start + index] as number);
  let sum = 0;
  for (let index = 0; index < length; index++) sum += Math.exp((values[start + index] as number) - maximum);
  return maximum + Math.log(sum);
}

/** Softmax cross-entropy over logits with class-index targets (stable log-sum-exp). */
export const softmaxCrossEntropy: TaskLoss = Object.freeze({
  name: 'softmax-cross-entropy',
  compute(logits: Float32Array, targets: LossTargets, rows: number) {
    const columns = logits.length / rows;
    let total = 0;
    for (let row = 0; row < rows; row++) {
      const target = targets[row] as number;
      total += logSumExp(logits, row * columns, columns) - (logits[row * columns + target] as number);
    }
    return total / rows;
  },
});

/** Sigmoid binary cross-entropy over logits with 0/1 targets, averaged over every column and row (stable form). */
export const sigmoidCrossEntropy: TaskLoss = Object.freeze({
  name: 'sigmoid-cross-entropy',
  compute(logits: Float32Array, targets: LossTargets, rows: number) {
    let total = 0;
    for (let index = 0; index < logits.length; index++) {
      const x = logits[index] as number;
      const z = targets[index] as number;
      total += Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    }
    return rows > 0 ? total / logits.length : 0;
  },
});

/** Mean squared error over every column and row: the default loss of regression tasks. */
export const meanSquaredError: TaskLoss = Object.freeze({
  name: 'mean-squared-error',
  compute(predictions: Float32Array, targets: LossTargets, rows: number) {
    let total = 0;
    for (let index = 0; index < predictions.length; index++) total += ((predictions[index] as number) - (targets[index] as number)) ** 2;
    return rows > 0 ? total / predictions.length : 0;
  },
});

/** Mean absolute error over every column and row. */
export const meanAbsoluteError: TaskLoss = Object.freeze({
  name: 'mean-absolute-error',
  compute(predictions: Float32Array, targets: LossTargets, rows: number) {
    let total = 0;
    for (let index = 0; index < predictions.length; index++) total += Math.abs((predictions[index] as number) - (targets[index] as number));
    return rows > 0 ? total / predictions.length : 0;
  },
});

/** Huber loss with δ = 1 over every column and row: squared below 1, linear above (Keras' `Huber()`). */
export const huberLoss: TaskLoss = Object.freeze({
  name: 'huber',
  compute(predictions: Float32Array, targets: LossTargets, rows: number) {
    let total = 0;
    for (let index = 0; index < predictions.length; index++) {
      const error = Math.abs((predictions[index] as number) - (targets[index] as number));
      total += error <= 1 ? 0.5 * error * error : error - 0.5;
    }
    return rows > 0 ? total / predictions.length : 0;
  },
});

/** Argmax of each row, as one-hot rows. */
export function argmaxDecision(probabilities: Float32Array, rows: number): Uint8Array {
  const columns = probabilities.length / rows;
  const decisions = new Uint8Array(probabilities.length);
  for (let row = 0; row < rows; row++) {
    let best = 0;
    for (let column = 1; column < columns; column++)
      if ((probabilities[row * columns + column] as number) > (probabilities[row * columns + best] as number)) best = column;
    decisions[row * columns + best] = 1;
  }
  return decisions;
}

/** 1 where the probability reaches the column's threshold (compared at float32 precision, so 0.7 meets 0.7). */
export function thresholdDecision(probabilities: Float32Array, rows: number, thresholds: readonly number[]): Uint8Array {
  const columns = probabilities.length / rows;
  const limits = thresholds.map((threshold) => Math.fround(threshold));
  const decisions = new Uint8Array(probabilities.length);
  for (let index = 0; index < probabilities.length; index++)
    decisions[index] = (probabilities[index] as number) >= (limits[index % columns] as number) ? 1 : 0;
  return decisions;
}

/**
 * Creates a task with the default behaviour of its kind, or the loss/decision you supply.
 * @example createTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car'], threshold: [0.4, 0.6] })
 * @example createTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] })
 */
export function createTask(options: CreateTaskOptions): Task {
  const definition = defineTask(options);
  const outputSize = taskOutputSize(definition);
  const regression = definition.kind === 'regression';
  let thresholds: number[] = [];
  if (regression && options.threshold !== undefined) {
    throw new InvalidArgumentError({
      argument: 'threshold',
      value: options.threshold,
      message: `Regression task "${definition.name}" predicts values and takes no threshold.`,
    });
  } else if (regression) {
    // no decisions to make
  } else if (definition.kind !== 'multi-class') {
    const threshold = options.threshold ?? 0.5;
    thresholds = typeof threshold === 'number' ? new Array(outputSize).fill(threshold) : [...threshold];
    if (thresholds.length !== outputSize || thresholds.some((value) => !(value > 0 && value < 1))) {
      throw new InvalidArgumentError({
        argument: 'threshold',
        value: threshold,
        message: `Task "${definition.name}" needs ${outputSize} threshold(s) strictly between 0 and 1, got ${JSON.stringify(threshold)}.`,
      });
    }
  } else if (options.threshold !== undefined) {
    throw new InvalidArgumentError({
      argument: 'threshold',
      value: options.threshold,
      message: `Multi-class task "${definition.name}" decides by argmax and takes no threshold.`,
    });
  }
  const checkRows = (values: ArrayLike<number>, rowCount: number, what: string) => {
    if (values.length !== rowCount * outputSize) {
      throw new ShapeMismatchError({
        expected: rowCount * outputSize,
        actual: values.length,
        message: `Task "${definition.name}" expects ${what} of ${rowCount} × ${outputSize} values, got ${values.length}.`,
      });
    }
  };
  const task: Task = {
    ...definition,
    outputSize,
    activation: regression ? 'linear' : definition.kind === 'multi-class' ? 'softmax' : 'sigmoid',
    thresholds: Object.freeze(thresholds),
    toLossTargets(rows, rowCount) {
      checkRows(rows, rowCount, 'target rows');
      if (definition.kind !== 'multi-class') return Float32Array.from(rows);
      const indices = new Int32Array(rowCount);
      for (let row = 0; row < rowCount; row++) {
        const start = row * outputSize;
        const index = rows.subarray(start, start + outputSize).indexOf(1);
        if (index === -1) {
          throw new InvalidArgumentError({
            argument: 'targets',
            value: row,
            message: `Row ${row} of multi-class task "${definition.name}" has no label set.`,
          });
        }
        indices[row] = index;
      }
      return indices;
    },
    decide(probabilities, rowCount) {
      checkRows(probabilities, rowCount, 'outputs');
      if (options.decide) return options.decide(probabilities, rowCount, definition);
      if (regression)
        throw new InvalidArgumentError({
          argument: 'task',
          value: definition.name,
          message: `Regression task "${definition.name}" makes no decisions: its outputs are its predictions.`,
        });
      return definition.kind === 'multi-class'
        ? argmaxDecision(probabilities, rowCount)
        : thresholdDecision(probabilities, rowCount, thresholds);
    },
    loss: options.loss ?? (regression ? meanSquaredError : definition.kind === 'multi-class' ? softmaxCrossEntropy : sigmoidCrossEntropy),
  };
  return Object.freeze(task);
}
