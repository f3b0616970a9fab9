/**
 * TaskDataset: the standard object every later stage uses. Features (each example a
 * Float32Array + shape, in memory or on disk) with targets for one or more tasks over the
 * same examples, an optional group per example (speaker, recording), per-example
 * metadata, and an optional predefined split (train/test or folds). Subsets and label
 * sampling are views: they never copy or change stored data.
 */
import {
  createRandom,
  type FeatureMatrix,
  InvalidArgumentError,
  NonFiniteTargetError,
  ShapeMismatchError,
  type TargetRow,
} from '@polytask/core';
import { createMemoryFeatureStore, type FeatureStore } from './feature-store';
import type { Task } from './task';

/** Per-example descriptive values (source file, window index, speaker, ...). */
export type ExampleMetadata = Readonly<Record<string, string | number>>;

/** A split the corpus prescribes: a train/test assignment or numbered folds. */
export type PredefinedSplit =
  | { readonly kind: 'train-test' /** 1 marks a test example. */; readonly isTest: Uint8Array }
  | { readonly kind: 'folds' /** Fold number (0-based) of each example. */; readonly fold: Int32Array; readonly foldCount: number };

/** Examples with features and targets for one or more tasks. */
export interface TaskDataset {
  /** Dataset (reader) name. */
  readonly name: string;
  /** Its tasks, main task first. */
  readonly tasks: readonly Task[];
  /** Examples in this view. */
  readonly size: number;
  /** Where features live. */
  readonly storage: 'memory' | 'index';
  /** The split the corpus prescribes for the examples of this view, if any. */
  readonly predefinedSplit: PredefinedSplit | undefined;
  /** The task of that name, or undefined. */
  task(name: string): Task | undefined;
  featuresOf(index: number): FeatureMatrix;
  /** Copies the example's feature values into `target` at `offset`: the fast path for batching (no allocation in index mode). */
  copyFeaturesInto(index: number, target: Float32Array, offset: number): void;
  shapeOf(index: number): readonly number[];
  /** The example's target row for a task (a view; do not modify). */
  targetsOf(taskName: string, index: number): TargetRow;
  /** Every example's target rows for a task, `[size, outputSize]`, copied: a Uint8Array for classification, a Float32Array for regression. */
  targetMatrix(taskName: string): TargetRow;
  /** Stable identifier of the example (for example its file path relative to the corpus). */
  idOf(index: number): string;
  /** Group (speaker, recording) of the example, if known. */
  groupOf(index: number): string | undefined;
  metadataOf(index: number): ExampleMetadata;
  /** Position of the example in the stored dataset (equal for the same example in any view). */
  storedIndexOf(index: number): number;
  /** A view of the examples at `indices` (in that order). */
  subset(indices: ArrayLike<number>): TaskDataset;
  /** A view limiting examples per label of a classification task; see {@link SampleLabelsOptions}. */
  sampleLabels(options: SampleLabelsOptions): TaskDataset;
  /** Releases file handles of index mode. */
  close(): void;
}

/** Options of `sampleLabels`. */
export interface SampleLabelsOptions {
  /** Limit per label name: at most this many examples carrying the label are kept (0 removes them). */
  readonly limits: Readonly<Record<string, number>>;
  /** Task whose labels are limited. @default the first task */
  readonly task?: string;
  /** Seed of the random choice of kept examples. @default 0 */
  readonly seed?: number;
}

/** What a dataset is made of. */
export interface TaskDatasetContents {
  readonly name: string;
  readonly tasks: readonly Task[];
  /** Features: matrices kept in memory, or a store. */
  readonly features: FeatureStore | readonly FeatureMatrix[];
  /**
   * Target rows per task name: `[count, outputSize]` flat, or one row per example. Classification
   * targets are 0/1 in Uint8Arrays; regression targets are finite reals (a Float32Array, or number rows).
   */
  readonly targets: Readonly<Record<string, TargetRow | readonly TargetRow[] | readonly (readonly number[])[]>>;
  /** Identifiers. @default the example number as text */
  readonly ids?: readonly string[];
  /** Group per example (undefined for unknown). */
  readonly groups?: readonly (string | undefined)[];
  readonly metadata?: readonly ExampleMetadata[];
  readonly predefinedSplit?: PredefinedSplit;
}

interface Stored {
  readonly name: string;
  readonly tasks: readonly Task[];
  readonly store: FeatureStore;
  readonly targets: ReadonlyMap<string, TargetRow>;
  readonly ids: readonly string[];
  readonly groups: readonly (string | undefined)[];
  readonly metadata: readonly ExampleMetadata[];
  readonly split: PredefinedSplit | undefined;
}

const noMetadata: ExampleMetadata = Object.freeze({});

/** Regression targets as one flat Float32Array, every value finite. */
function flattenRegressionTargets(
  task: Task,
  value: TaskDatasetContents['targets'][string] | undefined,
  context: { count: number; dataset: string; ids: readonly string[] | undefined },
): Float32Array {
  const { count } = context;
  if (value === undefined)
    throw new InvalidArgumentError({
      argument: 'targets',
      value: task.name,
      message: `No targets were given for regression task "${task.name}"; every task needs a target row per example.`,
    });
  let flat: Float32Array;
  if (value instanceof Float32Array) flat = value;
  else if (value instanceof Uint8Array)
    throw new InvalidArgumentError({
      argument: 'targets',
      value: task.name,
      message: `Regression task "${task.name}" needs real-valued targets (a Float32Array), got a Uint8Array.`,
    });
  else {
    const rows = value as readonly ArrayLike<number>[];
    if (rows.length !== count)
      throw new ShapeMismatchError({
        expected: count,
        actual: rows.length,
        message: `Task "${task.name}" has ${rows.length} target rows for ${count} examples.`,
      });
    flat = new Float32Array(count * task.outputSize);
    rows.forEach((row, index) => {
      if (row.length !== task.outputSize)
        throw new ShapeMismatchError({
          expected: task.outputSize,
          actual: row.length,
          message: `Target row ${index} of task "${task.name}" has ${row.length} columns; the task has ${task.outputSize}.`,
        });
      for (let column = 0; column < task.outputSize; column++) flat[index * task.outputSize + column] = row[column] as number;
    });
  }
  if (flat.length !== count * task.outputSize)
    throw new ShapeMismatchError({
      expected: count * task.outputSize,
      actual: flat.length,
      message: `Task "${task.name}" needs ${count} × ${task.outputSize} target values, got ${flat.length}.`,
    });
  for (let index = 0; index < flat.length; index++) {
    if (!Number.isFinite(flat[index] as number)) {
      const example = Math.floor(index / task.outputSize);
      throw new NonFiniteTargetError({
        task: task.name,
        item: context.ids?.[example] ?? String(example),
        dataset: context.dataset,
        value: flat[index] as number,
      });
    }
  }
  return flat;
}

function flattenTargets(task: Task, value: TaskDatasetContents['targets'][string] | undefined, count: number): Uint8Array {
  if (value === undefined) {
    throw new InvalidArgumentError({
      argument: 'targets',
      value: task.name,
      message: `No targets were given for task "${task.name}"; every task needs a target row per example.`,
    });
  }
  let flat: Uint8Array;
  if (value instanceof Uint8Array) flat = value;
  else if (value instanceof Float32Array)
    throw new InvalidArgumentError({
      argument: 'targets',
      value: task.name,
      message: `Task "${task.name}" is ${task.kind}: its targets are 0/1 rows in a Uint8Array, got a Float32Array (Float32Array targets are for regression tasks).`,
    });
  else {
    if (value.length !== count) {
      throw new ShapeMismatchError({
        expected: count,
        actual: value.length,
        message: `Task "${task.name}" has ${value.length} target rows for ${count} examples.`,
      });
    }
    flat = new Uint8Array(count * task.outputSize);
    (value as readonly ArrayLike<number>[]).forEach((row, index) => {
      if (row.length !== task.outputSize) {
        throw new ShapeMismatchError({
          expected: task.outputSize,
          actual: row.length,
          message: `Target row ${index} of task "${task.name}" has ${row.length} columns; the task has ${task.outputSize}.`,
        });
      }
      for (let column = 0; column < task.outputSize; column++) flat[index * task.outputSize + column] = row[column] as number;
    });
  }
  if (flat.length !== count * task.outputSize) {
    throw new ShapeMismatchError({
      expected: count * task.outputSize,
      actual: flat.length,
      message: `Task "${task.name}" needs ${count} × ${task.outputSize} target values, got ${flat.length}.`,
    });
  }
  for (let index = 0; index < flat.length; index++) {
    if ((flat[index] as number) > 1)
      throw new InvalidArgumentError({
        argument: 'targets',
        value: flat[index],
        message: `Targets of task "${task.name}" must be 0 or 1; found ${flat[index]} at ${index}.`,
      });
  }
  if (task.kind === 'multi-class') {
    for (let row = 0; row < count; row++) {
      let ones = 0;
      for (let column = 0; column < task.outputSize; column++) ones += flat[row * task.outputSize + column] as number;
      if (ones !== 1) {
        throw new InvalidArgumentError({
          argument: 'targets',
          value: row,
          message: `Example ${row} has ${ones} labels for multi-class task "${task.name}"; it needs exactly one.`,
        });
      }
    }
  }
  return flat;
}

function splitView(split: PredefinedSplit | undefined, indices: Int32Array): PredefinedSplit | undefined {
  if (!split) return undefined;
  if (split.kind === 'train-test')
    return { kind: 'train-test', isTest: Uint8Array.from(indices, (index) => split.isTest[index] as number) };
  return { kind: 'folds', fold: Int32Array.from(indices, (index) => split.fold[index] as number), foldCount: split.foldCount };
}

function createView(stored: Stored, indices: Int32Array): TaskDataset {
  const taskByName = new Map(stored.tasks.map((task) => [task.name, task]));
  const storedIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= indices.length) {
      throw new InvalidArgumentError({
        argument: 'index',
        value: index,
        message: `Example index ${index} is outside 0..${indices.length - 1} of dataset "${stored.name}".`,
      });
    }
    return indices[index] as number;
  };
  const taskNamed = (name: string) => {
    const task = taskByName.get(name);
    if (!task)
      throw new InvalidArgumentError({
        argument: 'taskName',
        value: name,
        message: `Dataset "${stored.name}" has no task "${name}"; its tasks are ${[...taskByName.keys()].join(', ')}.`,
      });
    return task;
  };
  const dataset: TaskDataset = {
    name: stored.name,
    tasks: stored.tasks,
    size: indices.length,
    storage: stored.store.kind,
    predefinedSplit: splitView(stored.split, indices),
    task: (name) => taskByName.get(name),
    featuresOf: (index) => stored.store.read(storedIndex(index)),
    copyFeaturesInto: (index, target, offset) => stored.store.readInto(storedIndex(index), target, offset),
    shapeOf: (index) => stored.store.shapeOf(storedIndex(index)),
    targetsOf(taskName, index) {
      const task = taskNamed(taskName);
      const start = storedIndex(index) * task.outputSize;
      return (stored.targets.get(task.name) as TargetRow).subarray(start, start + task.outputSize);
    },
    targetMatrix(taskName) {
      const task = taskNamed(taskName);
      const source = stored.targets.get(task.name) as TargetRow;
      const matrix =
        task.kind === 'regression' ? new Float32Array(indices.length * task.outputSize) : new Uint8Array(indices.length * task.outputSize);
      for (const [position, index] of indices.entries()) {
        matrix.set(source.subarray(index * task.outputSize, (index + 1) * task.outputSize), position * task.outputSize);
      }
      return matrix;
    },
    idOf: (index) => stored.ids[storedIndex(index)] as string,
    groupOf: (index) => stored.groups[storedIndex(index)],
    metadataOf: (index) => stored.metadata[storedIndex(index)] ?? noMetadata,
    storedIndexOf: storedIndex,
    subset(selection) {
      const picked = new Int32Array(selection.length);
      for (let position = 0; position < selection.length; position++) picked[position] = storedIndex(selection[position] as number);
      return createView(stored, picked);
    },
    sampleLabels(options) {
      const task = taskNamed(options.task ?? (stored.tasks[0] as Task).name);
      if (task.kind === 'regression')
        throw new InvalidArgumentError({
          argument: 'task',
          value: task.name,
          message: `Task "${task.name}" of dataset "${stored.name}" is a regression task: it has no labels to sample; name a classification task.`,
        });
      const random = createRandom(options.seed ?? 0);
      const keep = new Uint8Array(indices.length).fill(1);
      const labels = Object.keys(options.limits).sort((a, b) => task.labels.indexOf(a) - task.labels.indexOf(b));
      for (const label of labels) {
        const limit = options.limits[label] as number;
        const column = task.labels.indexOf(label);
        if (column === -1) {
          throw new InvalidArgumentError({
            argument: 'limits',
            value: label,
            message: `Task "${task.name}" has no label "${label}"; its labels are ${task.labels.join(', ')}.`,
          });
        }
        if (!Number.isInteger(limit) || limit < 0)
          throw new InvalidArgumentError({
            argument: 'limits',
            value: limit,
            message: `The limit of label "${label}" must be a non-negative integer, got ${limit}.`,
          });
        const carrying: number[] = [];
        for (let position = 0; position < indices.length; position++) {
          if (!keep[position]) continue;
          const row = dataset.targetsOf(task.name, position);
          const has = task.kind === 'binary' ? (row[0] as number) === column : row[column] === 1;
          if (has) carrying.push(position);
        }
        // Fisher-Yates prefix: the first `limit` positions of a seeded shuffle stay.
        for (let position = carrying.length - 1; position > 0; position--) {
          const other = Math.floor(random() * (position + 1));
          [carrying[position], carrying[other]] = [carrying[other] as number, carrying[position] as number];
        }
        for (const position of carrying.slice(limit)) keep[position] = 0;
      }
      const selection: number[] = [];
      keep.forEach((flag, position) => {
        if (flag) selection.push(position);
      });
      return dataset.subset(selection);
    },
    close: () => stored.store.close(),
  };
  return Object.freeze(dataset);
}

/**
 * Builds a dataset, checking that every task has one valid target row per example and
 * that ids, groups, metadata and split cover every example.
 * @example createTaskDataset({ name: 'esc50', tasks: [sound], features: matrices, targets: { sound: rows }, groups: clipIds })
 */
export function createTaskDataset(contents: TaskDatasetContents): TaskDataset {
  const store = Array.isArray(contents.features)
    ? createMemoryFeatureStore(contents.features as FeatureMatrix[])
    : (contents.features as FeatureStore);
  const count = store.count;
  if (contents.tasks.length === 0)
    throw new InvalidArgumentError({ argument: 'tasks', value: [], message: `Dataset "${contents.name}" needs at least one task.` });
  const names = new Set<string>();
  for (const task of contents.tasks) {
    if (names.has(task.name))
      throw new InvalidArgumentError({
        argument: 'tasks',
        value: task.name,
        message: `Dataset "${contents.name}" lists task "${task.name}" twice.`,
      });
    names.add(task.name);
  }
  for (const name of Object.keys(contents.targets)) {
    if (!names.has(name))
      throw new InvalidArgumentError({
        argument: 'targets',
        value: name,
        message: `Targets were given for "${name}", which is not a task of dataset "${contents.name}".`,
      });
  }
  const targets = new Map<string, TargetRow>(
    contents.tasks.map((task) => [
      task.name,
      task.kind === 'regression'
        ? flattenRegressionTargets(task, contents.targets[task.name], { count, dataset: contents.name, ids: contents.ids })
        : flattenTargets(task, contents.targets[task.name], count),
    ]),
  );
  const check = (what: string, length: number | undefined) => {
    if (length !== undefined && length !== count) {
      throw new ShapeMismatchError({
        expected: count,
        actual: length,
        message: `Dataset "${contents.name}" has ${count} examples but ${length} ${what}.`,
      });
    }
  };
  check('ids', contents.ids?.length);
  check('groups', contents.groups?.length);
  check('metadata entries', contents.metadata?.length);
  const split = contents.predefinedSplit;
  if (split) {
    check('split entries', split.kind === 'train-test' ? split.isTest.length : split.fold.length);
    if (split.kind === 'folds' && split.fold.some((fold) => fold < 0 || fold >= split.foldCount)) {
      throw new InvalidArgumentError({
        argument: 'predefinedSplit',
        value: split.foldCount,
        message: `Fold numbers must be from 0 to ${split.foldCount - 1}.`,
      });
    }
  }
  const ids = contents.ids ?? Array.from({ length: count }, (_, index) => String(index));
  if (new Set(ids).size !== ids.length)
    throw new InvalidArgumentError({
      argument: 'ids',
      value: contents.name,
      message: `Dataset "${contents.name}" has duplicate example ids.`,
    });
  const stored: Stored = {
    name: contents.name,
    tasks: contents.tasks,
    store,
    targets,
    ids,
    groups: contents.groups ?? new Array(count).fill(undefined),
    metadata: contents.metadata ?? [],
    split,
  };
  return createView(
    stored,
    Int32Array.from({ length: count }, (_, index) => index),
  );
}

/** The train and test parts of a dataset with a predefined train/test split. */
export function predefinedTrainTest(dataset: TaskDataset): { train: TaskDataset; test: TaskDataset } {
  const split = dataset.predefinedSplit;
  if (split?.kind !== 'train-test') {
    throw new InvalidArgumentError({
      argument: 'dataset',
      value: dataset.name,
      message: `Dataset "${dataset.name}" has no predefined train/test split.`,
    });
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const [index, flag] of split.isTest.entries()) (flag ? test : train).push(index);
  return { train: dataset.subset(train), test: dataset.subset(test) };
}
