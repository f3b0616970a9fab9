/**
 * The combined multi-task set (CombinaTorch's ConcatTaskDataset, fixed): any number of
 * task datasets as one. Each item has its features, a target row padded over every task
 * of every dataset, its dataset id, and a mask of the tasks it carries labels for, so a
 * dataset is never penalised on another dataset's tasks. Tasks with the same definition in
 * several datasets share their columns (and their head).
 */
import { type FeatureMatrix, InvalidArgumentError, sameTask } from '@polytask/core';
import type { Task, TaskDataset } from '@polytask/task-dataset';

/** A task of the combined set and where its columns are. */
export interface CombinedTask {
  readonly task: Task;
  /** `[start, end)` of its columns in the padded target row. */
  readonly columns: readonly [number, number];
  /** Indices of the datasets that carry it. */
  readonly datasets: readonly number[];
}

/** Several task datasets seen as one. */
export interface CombinedSet {
  readonly datasets: readonly TaskDataset[];
  readonly tasks: readonly CombinedTask[];
  /** Width of the padded target row. */
  readonly columnCount: number;
  readonly size: number;
  /** Dataset and position inside it of combined item `index`. */
  locate(index: number): { readonly dataset: number; readonly index: number };
  datasetOf(index: number): number;
  /** First combined index of each dataset, plus the total at the end. */
  readonly offsets: readonly number[];
  featuresOf(index: number): FeatureMatrix;
  shapeOf(index: number): readonly number[];
  copyFeaturesInto(index: number, target: Float32Array, offset: number): void;
  /** Writes the padded target row (0/1 over every column) at `offset`. */
  writeTargetRow(index: number, target: Float32Array, offset: number): void;
  /** 1 for each combined task (in `tasks` order) the item has labels for. */
  taskMask(datasetIndex: number): Uint8Array;
  /** `[start, end)` columns of a task, or undefined. */
  columnsOf(taskName: string): readonly [number, number] | undefined;
}

/**
 * Combines datasets; the same task (same name, kind and labels) in several datasets is one task.
 * @throws InvalidArgumentError when two datasets define a task of the same name differently.
 */
export function combineDatasets(datasets: readonly TaskDataset[]): CombinedSet {
  if (datasets.length === 0) throw new InvalidArgumentError({ argument: 'datasets', value: [], message: 'Combine at least one dataset.' });
  const tasks: { task: Task; columns: [number, number]; datasets: number[] }[] = [];
  let columnCount = 0;
  datasets.forEach((dataset, datasetIndex) => {
    for (const task of dataset.tasks) {
      const existing = tasks.find((entry) => entry.task.name === task.name);
      if (existing) {
        if (!sameTask(existing.task, task)) {
          throw new InvalidArgumentError({
            argument: 'datasets',
            value: task.name,
            message: `Task "${task.name}" of dataset "${dataset.name}" (${task.kind} [${task.labels.join(', ')}]) differs from the task of that name in "${datasets[existing.datasets[0] as number]?.name}" (${existing.task.kind} [${existing.task.labels.join(', ')}]); rename one of them.`,
          });
        }
        existing.datasets.push(datasetIndex);
        continue;
      }
      tasks.push({ task, columns: [columnCount, columnCount + task.outputSize], datasets: [datasetIndex] });
      columnCount += task.outputSize;
    }
  });
  const offsets = [0];
  for (const dataset of datasets) offsets.push((offsets.at(-1) as number) + dataset.size);
  const size = offsets.at(-1) as number;
  const masks = datasets.map((_, datasetIndex) => Uint8Array.from(tasks, (entry) => (entry.datasets.includes(datasetIndex) ? 1 : 0)));
  const locate = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= size)
      throw new InvalidArgumentError({ argument: 'index', value: index, message: `Item ${index} is outside 0..${size - 1}.` });
    let low = 0;
    let high = datasets.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((offsets[middle] as number) <= index) low = middle;
      else high = middle - 1;
    }
    return { dataset: low, index: index - (offsets[low] as number) };
  };
  const columnsByName = new Map(tasks.map((entry) => [entry.task.name, entry.columns as readonly [number, number]]));
  return {
    datasets,
    tasks,
    columnCount,
    size,
    offsets,
    locate,
    datasetOf: (index) => locate(index).dataset,
    featuresOf(index) {
      const place = locate(index);
      return (datasets[place.dataset] as TaskDataset).featuresOf(place.index);
    },
    shapeOf(index) {
      const place = locate(index);
      return (datasets[place.dataset] as TaskDataset).shapeOf(place.index);
    },
    copyFeaturesInto(index, target, offset) {
      const place = locate(index);
      (datasets[place.dataset] as TaskDataset).copyFeaturesInto(place.index, target, offset);
    },
    writeTargetRow(index, target, offset) {
      const place = locate(index);
      const dataset = datasets[place.dataset] as TaskDataset;
      target.fill(0, offset, offset + columnCount);
      for (const task of dataset.tasks) {
        const [start] = columnsByName.get(task.name) as readonly [number, number];
        const row = dataset.targetsOf(task.name, place.index);
        for (let column = 0; column < row.length; column++) target[offset + start + column] = row[column] as number;
      }
    },
    taskMask: (datasetIndex) => masks[datasetIndex] as Uint8Array,
    columnsOf: (taskName) => columnsByName.get(taskName),
  };
}
