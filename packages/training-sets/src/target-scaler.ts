/**
 * Standard scaling of regression targets: each output of each regression task is centred on the
 * training part's mean and divided by its standard deviation (population, as scikit-learn's
 * `StandardScaler`; a constant output keeps scale 1). Fitted on the training part of a fold only,
 * over the items that carry the task, then applied to the targets the losses see; predictions
 * are turned back (inverse transform) before metrics, so metrics are in the targets' own units.
 * A scaler is plain JSON, so checkpoints keep it and a resumed fold uses the very same one.
 */
import { InvalidArgumentError } from '@polytask/core';
import type { CombinedSet } from './combined-set';

/** Mean and scale of each output of one regression task. */
export interface OutputScaling {
  /** Training-part mean per output. */
  readonly mean: readonly number[];
  /** Training-part standard deviation per output (1 where it is 0). */
  readonly scale: readonly number[];
}

/** A fitted standard scaler of regression targets: plain JSON. */
export interface TargetScaler {
  /** The scaling method. */
  readonly kind: 'standard';
  /** Per regression task name. */
  readonly tasks: Readonly<Record<string, OutputScaling>>;
}

/**
 * Fits a standard scaler to the regression targets of `set` (a fold's training part), over the
 * items that carry each task. Tasks no item carries get mean 0 and scale 1.
 * @example const scaler = fitTargetScaler(train)
 */
export function fitTargetScaler(set: CombinedSet): TargetScaler {
  const tasks: Record<string, OutputScaling> = {};
  const row = new Float32Array(set.columnCount);
  set.tasks.forEach((entry, taskIndex) => {
    if (entry.task.kind !== 'regression') return;
    const [start, end] = entry.columns;
    const width = end - start;
    const sums = new Float64Array(width);
    const squares = new Float64Array(width);
    let count = 0;
    for (let index = 0; index < set.size; index++) {
      if (!set.taskMask(set.datasetOf(index))[taskIndex]) continue;
      set.writeTargetRow(index, row, 0);
      count++;
      for (let column = 0; column < width; column++) sums[column] = (sums[column] as number) + (row[start + column] as number);
    }
    const mean = Array.from(sums, (sum) => (count > 0 ? sum / count : 0));
    for (let index = 0; index < set.size; index++) {
      if (!set.taskMask(set.datasetOf(index))[taskIndex]) continue;
      set.writeTargetRow(index, row, 0);
      for (let column = 0; column < width; column++)
        squares[column] = (squares[column] as number) + ((row[start + column] as number) - (mean[column] as number)) ** 2;
    }
    const scale = Array.from(squares, (square) => {
      const deviation = count > 0 ? Math.sqrt(square / count) : 0;
      return deviation > 0 ? deviation : 1;
    });
    tasks[entry.task.name] = { mean, scale };
  });
  return { kind: 'standard', tasks };
}

function scalingOf(scaler: TargetScaler, taskName: string): OutputScaling {
  const scaling = scaler.tasks[taskName];
  if (!scaling)
    throw new InvalidArgumentError({
      argument: 'taskName',
      value: taskName,
      message: `The target scaler has no regression task "${taskName}"; it was fitted for ${Object.keys(scaler.tasks).join(', ') || 'no task'}.`,
    });
  return scaling;
}

/** Options of {@link scaleTaskValues} and {@link unscaleTaskValues}. */
export interface TaskValuesOptions {
  /** The fitted scaler. */
  readonly scaler: TargetScaler;
  /** The regression task the values belong to. */
  readonly taskName: string;
  /** Values `[rows, outputs]`, row-major. */
  readonly values: Float32Array;
}

/** (value − mean) / scale per output: target values → the scaled space the model learns. */
export function scaleTaskValues(options: TaskValuesOptions): Float32Array {
  const { mean, scale } = scalingOf(options.scaler, options.taskName);
  const width = mean.length;
  return options.values.map((value, index) => (value - (mean[index % width] as number)) / (scale[index % width] as number));
}

/** value · scale + mean per output: model outputs → the targets' own units (the inverse of {@link scaleTaskValues}). */
export function unscaleTaskValues(options: TaskValuesOptions): Float32Array {
  const { mean, scale } = scalingOf(options.scaler, options.taskName);
  const width = mean.length;
  return options.values.map((value, index) => value * (scale[index % width] as number) + (mean[index % width] as number));
}

/** Options of {@link scaleTargetRows}. */
export interface ScaleTargetRowsOptions {
  /** The fitted scaler. */
  readonly scaler: TargetScaler;
  /** The set the rows come from (its task columns). */
  readonly set: CombinedSet;
  /** Padded target rows `[rows, set.columnCount]`, as a batch holds them. */
  readonly targets: Float32Array;
  /** Task masks `[rows, set.tasks.length]`, as a batch holds them: rows without the task keep their zero padding. */
  readonly masks: Uint8Array;
}

/**
 * Scales the regression columns of padded target rows; classification columns, and the zero
 * padding of items that lack a task (mask 0), are copied unchanged.
 */
export function scaleTargetRows(options: ScaleTargetRowsOptions): Float32Array {
  const { scaler, set, targets, masks } = options;
  const scaled = Float32Array.from(targets);
  const rows = targets.length / set.columnCount;
  for (const [taskIndex, entry] of set.tasks.entries()) {
    const scaling = scaler.tasks[entry.task.name];
    if (!scaling) continue;
    const [start, end] = entry.columns;
    for (let row = 0; row < rows; row++) {
      if (!masks[row * set.tasks.length + taskIndex]) continue;
      for (let column = start; column < end; column++) {
        const index = row * set.columnCount + column;
        scaled[index] = ((targets[index] as number) - (scaling.mean[column - start] as number)) / (scaling.scale[column - start] as number);
      }
    }
  }
  return scaled;
}
