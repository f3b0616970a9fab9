/** Generated datasets and backend comparisons for this package's tests (not exported, not published). */
import { createRandom, encodeRegressionTarget, encodeTarget } from '@polytask/core';
import { createTask, createTaskDataset, type Task, type TaskDataset } from '@polytask/task-dataset';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { AugmentationInput } from './batch-augmentation';

/**
 * Expects equal values: NaN where the reference has NaN, infinities exactly, the rest within 1e-4
 * of the reference's largest finite magnitude.
 */
export function expectClose(reference: ArrayLike<number>[], actual: ArrayLike<number>[]): void {
  expect(actual.length).toBe(reference.length);
  reference.forEach((values, index) => {
    const other = actual[index] as ArrayLike<number>;
    expect(other.length).toBe(values.length);
    let scale = 1e-6;
    for (let position = 0; position < values.length; position++)
      if (Number.isFinite(values[position])) scale = Math.max(scale, Math.abs(values[position] as number));
    for (let position = 0; position < values.length; position++) {
      const [expected, got] = [values[position] as number, other[position] as number];
      if (Number.isNaN(expected)) expect(got).toBeNaN();
      // infinities (a window of NaN pools to -Infinity) must match exactly
      else if (!Number.isFinite(expected)) expect(got).toBe(expected);
      else expect(Math.abs(got - expected) / scale).toBeLessThan(1e-4);
    }
  });
}

/** Runs `compute` on the cpu backend, then on wasm (left active), and expects the same values (`expectClose`). */
export async function expectSameAsCpu(compute: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const outputs = tf.tidy(compute);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    const values = await Promise.all(list.map(async (tensor) => Float32Array.from(await tensor.data())));
    tf.dispose(list);
    return values;
  };
  const reference = await run('cpu');
  expectClose(reference, await run('wasm'));
}

/**
 * "Audio-like" features `[frames, bins]` whose band energies depend on each task's label, with noise.
 * `noisyTask` gets labels unrelated to the features. A regression task's output j is 10 + 5·u for a
 * uniform u that also sets the energy of one band, so it is learnable and far from standard scale.
 */
export function learnableDataset(options: {
  name: string;
  tasks: readonly Task[];
  count: number;
  frames?: number;
  bins?: number;
  seed?: number;
  noisyTask?: string;
}): TaskDataset {
  const frames = options.frames ?? 4;
  const bins = options.bins ?? 8;
  const random = createRandom(options.seed ?? 1);
  const labels = Array.from({ length: options.count }, () => options.tasks.map((task) => Math.floor(random() * task.labels.length)));
  // regression values from their own stream, so classification-only datasets stay as they were
  const levels = createRandom((options.seed ?? 1) + 7);
  const values = labels.map(() => options.tasks.map((task) => (task.kind === 'regression' ? task.labels.map(() => levels()) : [])));
  const features = labels.map((row, rowIndex) => {
    const data = new Float32Array(frames * bins);
    for (let index = 0; index < data.length; index++) data[index] = (random() - 0.5) * 0.6;
    options.tasks.forEach((task, taskIndex) => {
      if (task.name === options.noisyTask) return;
      if (task.kind === 'regression') {
        values[rowIndex]?.[taskIndex]?.forEach((level, output) => {
          const band = (taskIndex * 3 + output * 2 + 1) % bins;
          for (let frame = 0; frame < frames; frame++) data[frame * bins + band] = (data[frame * bins + band] as number) + 3 * level;
        });
        return;
      }
      const band = (taskIndex * 3 + (row[taskIndex] as number) * 2) % bins;
      for (let frame = 0; frame < frames; frame++) data[frame * bins + band] = (data[frame * bins + band] as number) + 1.5;
    });
    return { data, shape: [frames, bins] };
  });
  const noise = createRandom((options.seed ?? 1) + 99);
  return createTaskDataset({
    name: options.name,
    tasks: options.tasks,
    features,
    targets: Object.fromEntries(
      options.tasks.map((task, taskIndex) => [
        task.name,
        labels.map((row, rowIndex) =>
          task.kind === 'regression'
            ? encodeRegressionTarget({ task, values: (values[rowIndex]?.[taskIndex] ?? []).map((level) => 10 + 5 * level) })
            : encodeTarget(
                task,
                task.labels[
                  task.name === options.noisyTask ? Math.floor(noise() * task.labels.length) : (row[taskIndex] as number)
                ] as string,
              ),
        ),
      ]),
    ),
    ids: labels.map((_, index) => `${options.name}-${index}`),
  });
}

export const keyword = createTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'up'] });
export const speaker = createTask({ name: 'speaker', kind: 'binary', labels: ['female', 'male'] });
export const events = createTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car'] });
export const loudness = createTask({ name: 'loudness', kind: 'regression', outputs: ['low', 'high'] });

/** Model heads of every task kind (odd sizes), for the compiled inference and training tests. */
export const everyHeadKind = [
  { name: 'genre', kind: 'multi-class' as const, outputSize: 5 },
  { name: 'speech', kind: 'binary' as const, outputSize: 1 },
  { name: 'tags', kind: 'multi-label' as const, outputSize: 3 },
  { name: 'tempo', kind: 'regression' as const, outputSize: 1 },
];

/**
 * A training batch for augmentation tests: `batchSize` items of `itemShape` with features from
 * `value(item, index)` (default 1 + index), one multi-class task of three columns carried by every item
 * (class item mod 3), and `random` from `seed`.
 */
export function augmentationInput(options: {
  batchSize: number;
  itemShape: readonly number[];
  value?: (item: number, index: number) => number;
  seed?: number;
}): AugmentationInput {
  const itemSize = options.itemShape.reduce((product, dimension) => product * dimension, 1);
  const value = options.value ?? ((_, index) => 1 + index);
  const features = new Float32Array(options.batchSize * itemSize);
  const targets = new Float32Array(options.batchSize * 3);
  for (let item = 0; item < options.batchSize; item++) {
    for (let index = 0; index < itemSize; index++) features[item * itemSize + index] = value(item, index);
    targets[item * 3 + (item % 3)] = 1;
  }
  return {
    features,
    shape: [options.batchSize, ...options.itemShape],
    targets,
    masks: new Uint8Array(options.batchSize).fill(1),
    datasetIds: new Int32Array(options.batchSize),
    taskColumns: [{ name: 'keyword', kind: 'multi-class', columns: [0, 3] }],
    random: createRandom(options.seed ?? 1),
  };
}
