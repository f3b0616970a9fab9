/**
 * The shape of one labelled example as it travels from a dataset reader to training:
 * a feature matrix stored row-major in a Float32Array, and one target row per task.
 */
import { InvalidArgumentError, NonFiniteTargetError, ShapeMismatchError } from './polytask-error';
import { labelIndex, type TaskDefinition, taskOutputSize } from './task-definition';

/** A dense feature array with its shape, row-major (`[frames, bins]` for time-frequency features). */
export interface FeatureMatrix {
  /** Values, row-major. */
  readonly data: Float32Array;
  /** Dimensions; their product equals `data.length`. */
  readonly shape: readonly number[];
}

/**
 * Target row of one task: `taskOutputSize(task)` entries, 0 or 1 in a Uint8Array for classification
 * (multi-hot for multi-label, one-hot for multi-class, one entry for binary), real values in a
 * Float32Array for regression.
 */
export type TargetRow = Uint8Array | Float32Array;

/** One example: its features and a target row for each task it is labelled for. */
export interface LabelledExample {
  /** The features. */
  readonly features: FeatureMatrix;
  /** Target row per task name; a task absent here has no label for this example. */
  readonly targets: Readonly<Record<string, TargetRow>>;
}

/** Product of the dimensions of `shape`. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

/**
 * Wraps `data` as a feature matrix after checking that `shape` matches its length.
 * @throws ShapeMismatchError when the shape does not cover the data exactly.
 */
export function featureMatrix(data: Float32Array, shape: readonly number[]): FeatureMatrix {
  if (!shape.every((dimension) => Number.isInteger(dimension) && dimension >= 0)) {
    throw new InvalidArgumentError({
      argument: 'shape',
      value: shape,
      message: `Shape [${shape.join(', ')}] must hold non-negative integers.`,
    });
  }
  if (shapeSize(shape) !== data.length) {
    throw new ShapeMismatchError({
      expected: data.length,
      actual: shapeSize(shape),
      message: `Shape [${shape.join(', ')}] holds ${shapeSize(shape)} values but the data has ${data.length}.`,
    });
  }
  return { data, shape: Object.freeze([...shape]) };
}

/**
 * Turns label names into the task's target row.
 * @throws InvalidArgumentError for an unknown label, no label for a multi-class or binary
 * task, or several labels for a task that allows only one.
 * @example encodeTarget(emotionTask, 'happy') // one-hot row
 */
export function encodeTarget(task: TaskDefinition, labels: string | readonly string[]): Uint8Array {
  if (task.kind === 'regression')
    throw new InvalidArgumentError({
      argument: 'labels',
      value: labels,
      message: `Task "${task.name}" is a regression task: give its numeric values to encodeRegressionTarget, not labels.`,
    });
  const names = typeof labels === 'string' ? [labels] : labels;
  if (task.kind !== 'multi-label' && names.length !== 1) {
    throw new InvalidArgumentError({
      argument: 'labels',
      value: names,
      message: `Task "${task.name}" is ${task.kind} and takes exactly one label per example, got ${names.length}.`,
    });
  }
  const row = new Uint8Array(taskOutputSize(task));
  for (const name of names) {
    const index = labelIndex(task, name);
    if (index === undefined) {
      throw new InvalidArgumentError({
        argument: 'labels',
        value: name,
        message: `Task "${task.name}" has no label "${name}"; its labels are ${task.labels.join(', ')}.`,
      });
    }
    if (task.kind === 'binary') row[0] = index;
    else row[index] = 1;
  }
  return row;
}

/** Options of {@link encodeRegressionTarget}. */
export interface EncodeRegressionTargetOptions {
  /** The regression task. */
  readonly task: TaskDefinition;
  /** One value per output (a bare number for a single-output task). */
  readonly values: number | readonly number[];
  /** The item's id, for the error message. @default 'unknown' */
  readonly item?: string;
  /** The dataset's name, for the error message. */
  readonly dataset?: string;
}

/**
 * Turns the real values of a regression task into its target row.
 * @throws InvalidArgumentError when the task is not a regression task or the value count is not its output count.
 * @throws NonFiniteTargetError naming the item and dataset when a value is NaN or infinite.
 * @example encodeRegressionTarget({ task: affect, values: [0.2, -0.5], item: 'clip-7.wav' })
 */
export function encodeRegressionTarget(options: EncodeRegressionTargetOptions): Float32Array {
  const { task } = options;
  const values = typeof options.values === 'number' ? [options.values] : options.values;
  if (task.kind !== 'regression')
    throw new InvalidArgumentError({
      argument: 'task',
      value: task.name,
      message: `Task "${task.name}" is ${task.kind}: give it labels (encodeTarget), not numeric values.`,
    });
  if (!Array.isArray(values) || values.length !== task.labels.length)
    throw new InvalidArgumentError({
      argument: 'values',
      value: values,
      message: `Regression task "${task.name}" has ${task.labels.length} output(s) (${task.labels.join(', ')}); item "${options.item ?? 'unknown'}" gives ${JSON.stringify(values)}.`,
    });
  const row = new Float32Array(values.length);
  values.forEach((value, index) => {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new NonFiniteTargetError({
        task: task.name,
        item: options.item ?? 'unknown',
        value: Number(value),
        ...(options.dataset === undefined ? {} : { dataset: options.dataset }),
      });
    row[index] = value;
  });
  return row;
}

/** Turns a classification target row back into label names (the inverse of {@link encodeTarget}). */
export function decodeTarget(task: TaskDefinition, row: TargetRow): string[] {
  if (task.kind === 'regression')
    throw new InvalidArgumentError({
      argument: 'task',
      value: task.name,
      message: `Task "${task.name}" is a regression task; its target row holds values, not labels.`,
    });
  if (row.length !== taskOutputSize(task)) {
    throw new ShapeMismatchError({
      expected: taskOutputSize(task),
      actual: row.length,
      message: `A target row of task "${task.name}" has ${taskOutputSize(task)} columns, got ${row.length}.`,
    });
  }
  if (task.kind === 'binary') return [task.labels[row[0] === 1 ? 1 : 0] as string];
  return task.labels.filter((_, index) => row[index] === 1);
}
