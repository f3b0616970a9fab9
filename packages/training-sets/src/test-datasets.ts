/** Small generated datasets for this package's tests (not exported). */
import { encodeRegressionTarget, encodeTarget } from '@polytask/core';
import { createTask, createTaskDataset, type PredefinedSplit, type Task, type TaskDataset } from '@polytask/task-dataset';

export const keyword = createTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'up'] });
export const gender = createTask({ name: 'gender', kind: 'binary', labels: ['female', 'male'] });
export const events = createTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car', 'speech'] });
export const emotion = createTask({ name: 'emotion', kind: 'multi-class', labels: ['neutral', 'happy'] });
/** Regression: example i has `level` = [i / 2, 10 − i]. */
export const level = createTask({ name: 'level', kind: 'regression', outputs: ['rise', 'fall'] });

/** A dataset whose example i has features filled with `base + i` and labels cycling through each task's labels. */
export function generatedDataset(options: {
  name: string;
  tasks: readonly Task[];
  count: number;
  shape?: number[];
  base?: number;
  groups?: (index: number) => string | undefined;
  split?: PredefinedSplit;
}): TaskDataset {
  const shape = options.shape ?? [4, 3];
  const size = shape.reduce((a, b) => a * b, 1);
  const base = options.base ?? 0;
  return createTaskDataset({
    name: options.name,
    tasks: options.tasks,
    features: Array.from({ length: options.count }, (_, index) => ({
      data: Float32Array.from({ length: size }, (__, value) => base + index + value / 1000),
      shape,
    })),
    targets: Object.fromEntries(
      options.tasks.map((task) => [
        task.name,
        Array.from({ length: options.count }, (_, index) =>
          task.kind === 'regression'
            ? encodeRegressionTarget({ task, values: [index / 2, 10 - index].slice(0, task.outputSize) })
            : encodeTarget(
                task,
                task.kind === 'multi-label'
                  ? task.labels.filter((__, label) => (index >> label) & 1)
                  : (task.labels[index % task.labels.length] as string),
              ),
        ),
      ]),
    ),
    ids: Array.from({ length: options.count }, (_, index) => `${options.name}-${index}`),
    ...(options.groups ? { groups: Array.from({ length: options.count }, (_, index) => options.groups?.(index)) } : {}),
    ...(options.split ? { predefinedSplit: options.split } : {}),
  });
}
