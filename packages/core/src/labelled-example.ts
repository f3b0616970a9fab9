/**
 * The shape of one labelled example as it travels from a dataset reader to training:
 * a feature matrix stored row-major in a Float32Array, and one target row per task.
 */
import { InvalidArgumentError, ShapeMismatchError } from './polytask-error';
import { labelIndex, type TaskDefinition, taskOutputSize } from './task-definition';

/** A dense feature array with its shape, row-major (`[frames, bins]` for time-frequency features). */
export interface FeatureMatrix {
  /** Values, row-major. */
  readonly data: Float32Array;
  /** Dimensions; their product equals `data.length`. */
  readonly shape: readonly number[];
}

/**
 * Target row of one task: `taskOutputSize(task)` entries of 0 or 1
 * (multi-hot for multi-label, one-hot for multi-class, one entry for binary).
 */
export type TargetRow = Uint8Array;

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
export function encodeTarget(task: TaskDefinition, labels: string | readonly string[]): TargetRow {
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

/** Turns a target row back into label names (the inverse of {@link encodeTarget}). */
export function decodeTarget(task: TaskDefinition, row: TargetRow): string[] {
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
