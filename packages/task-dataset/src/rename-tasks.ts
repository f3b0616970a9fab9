/**
 * Task renaming: a view of a dataset whose tasks go by other names. Combined sets key tasks by
 * name, so renaming is how an experiment keeps two corpora's same-named tasks apart (two heads)
 * or deliberately merges two corpora's tasks with one label space (one head).
 */
import { InvalidArgumentError } from '@polytask/core';
import type { Task } from './task';
import type { TaskDataset } from './task-dataset';

/**
 * A view of `dataset` with its tasks renamed by `names` (old name → new name; tasks not named keep theirs).
 * @throws InvalidArgumentError for a name the dataset has no task of, or two tasks given one name.
 * @example renameTasks(esc50, { sound: 'esc50_sound' })
 */
export function renameTasks(dataset: TaskDataset, names: Readonly<Record<string, string>>): TaskDataset {
  const own = dataset.tasks.map((task) => task.name);
  for (const [from, to] of Object.entries(names)) {
    if (!own.includes(from))
      throw new InvalidArgumentError({
        argument: 'tasks',
        value: from,
        message: `Dataset "${dataset.name}" has no task "${from}" to rename; its tasks are ${own.join(', ')}.`,
      });
    if (!/^[A-Za-z0-9_.-]+$/.test(to))
      throw new InvalidArgumentError({
        argument: 'tasks',
        value: to,
        message: `New task name "${to}" may use letters, digits, "_", "." and "-" only.`,
      });
  }
  const renamed = own.map((name) => names[name] ?? name);
  if (new Set(renamed).size !== renamed.length)
    throw new InvalidArgumentError({
      argument: 'tasks',
      value: names,
      message: `Renaming the tasks of "${dataset.name}" gives two of them one name (${renamed.join(', ')}).`,
    });
  if (Object.keys(names).length === 0) return dataset;
  const original = new Map(renamed.map((name, index) => [name, own[index] as string]));
  const oldName = (name: string) => original.get(name) ?? `\u0000${name}`; // an unknown name stays unknown
  const tasks = dataset.tasks.map((task, index) => Object.freeze({ ...task, name: renamed[index] as string }) as Task);
  const view: TaskDataset = {
    ...dataset,
    tasks,
    task: (name) => tasks[renamed.indexOf(name)],
    featuresOf: (index) => dataset.featuresOf(index),
    copyFeaturesInto: (index, target, offset) => dataset.copyFeaturesInto(index, target, offset),
    shapeOf: (index) => dataset.shapeOf(index),
    targetsOf: (name, index) => dataset.targetsOf(oldName(name), index),
    targetMatrix: (name) => dataset.targetMatrix(oldName(name)),
    idOf: (index) => dataset.idOf(index),
    groupOf: (index) => dataset.groupOf(index),
    metadataOf: (index) => dataset.metadataOf(index),
    storedIndexOf: (index) => dataset.storedIndexOf(index),
    subset: (indices) => renameTasks(dataset.subset(indices), names),
    sampleLabels: (options) =>
      renameTasks(dataset.sampleLabels({ ...options, ...(options.task ? { task: oldName(options.task) } : {}) }), names),
    close: () => dataset.close(),
  };
  return Object.freeze(view);
}
