/**
 * Windowing as a preparation: each example `[frames, ...]` becomes fixed-length windows
 * (CombinaTorch's `prepare_inputs`; the thesis used 98-frame windows every 24 frames). The view
 * keeps each window's source: its id is `<source id>#<k>`, its group the source's group (or the
 * source itself, so windows of one clip never straddle train and test), and its metadata holds
 * `sourceId` and `window` so evaluation can aggregate per recording.
 */
import { InvalidArgumentError } from '@polytask/core';
import { cutOrPad, type FramePadMode, windowCount } from '@polytask/extraction';
import type { TaskDataset } from '@polytask/task-dataset';

/** Window settings. */
export interface WindowSpec {
  /** Frames per window. */
  readonly length: number;
  /** Frames between window starts. @default length */
  readonly hop?: number;
  /** Filling of the last window and of examples shorter than one window. @default 'zeros' */
  readonly padMode?: FramePadMode;
}

/** A view of `dataset` with one example per window. */
export function windowedDataset(dataset: TaskDataset, spec: WindowSpec): TaskDataset {
  const { length } = spec;
  const hop = spec.hop ?? length;
  const padMode = spec.padMode ?? 'zeros';
  if (!Number.isInteger(length) || length < 1 || !Number.isInteger(hop) || hop < 1) {
    throw new InvalidArgumentError({
      argument: 'windows',
      value: spec,
      message: `Window length and hop must be positive integers, got ${length} and ${hop}.`,
    });
  }
  const sources: number[] = [];
  const positions: number[] = [];
  for (let index = 0; index < dataset.size; index++) {
    const count = windowCount(dataset.shapeOf(index)[0] ?? 0, length, hop);
    for (let window = 0; window < count; window++) {
      sources.push(index);
      positions.push(window);
    }
  }
  return windowView(dataset, { length, hop, padMode }, sources, positions);
}

function windowView(
  dataset: TaskDataset,
  spec: Required<WindowSpec>,
  sources: readonly number[],
  positions: readonly number[],
): TaskDataset {
  const { length, hop, padMode } = spec;
  const source = (index: number) => {
    const value = sources[index];
    if (value === undefined)
      throw new InvalidArgumentError({ argument: 'index', value: index, message: `Window ${index} is outside 0..${sources.length - 1}.` });
    return value;
  };
  const featuresOf = (index: number) =>
    cutOrPad(dataset.featuresOf(source(index)), { frameCount: length, padMode, startFrame: (positions[index] as number) * hop });
  const split = dataset.predefinedSplit;
  const view: TaskDataset = {
    name: dataset.name,
    tasks: dataset.tasks,
    size: sources.length,
    storage: dataset.storage,
    predefinedSplit:
      split?.kind === 'train-test'
        ? { kind: 'train-test', isTest: Uint8Array.from(sources, (index) => split.isTest[index] as number) }
        : split
          ? { kind: 'folds', foldCount: split.foldCount, fold: Int32Array.from(sources, (index) => split.fold[index] as number) }
          : undefined,
    task: (name) => dataset.task(name),
    featuresOf,
    copyFeaturesInto(index, target, offset) {
      target.set(featuresOf(index).data, offset);
    },
    shapeOf: (index) => [length, ...dataset.shapeOf(source(index)).slice(1)],
    targetsOf: (taskName, index) => dataset.targetsOf(taskName, source(index)),
    targetMatrix(taskName) {
      const task = dataset.task(taskName);
      const width = task?.outputSize ?? 1;
      const matrix = task?.kind === 'regression' ? new Float32Array(sources.length * width) : new Uint8Array(sources.length * width);
      for (let index = 0; index < sources.length; index++) matrix.set(dataset.targetsOf(taskName, sources[index] as number), index * width);
      return matrix;
    },
    idOf: (index) => `${dataset.idOf(source(index))}#${positions[index]}`,
    groupOf: (index) => dataset.groupOf(source(index)) ?? dataset.idOf(source(index)),
    metadataOf: (index) => ({
      ...dataset.metadataOf(source(index)),
      sourceId: dataset.idOf(source(index)),
      window: positions[index] as number,
    }),
    // distinct per window, and equal for the same window in any view
    storedIndexOf: (index) => dataset.storedIndexOf(source(index)) * 65536 + (positions[index] as number),
    subset(indices) {
      const picked = Array.from(indices, (index) => {
        source(index);
        return index;
      });
      return windowView(
        dataset,
        spec,
        picked.map((index) => sources[index] as number),
        picked.map((index) => positions[index] as number),
      );
    },
    sampleLabels: (options) => windowedDataset(dataset.sampleLabels(options), spec),
    close: () => dataset.close(),
  };
  return Object.freeze(view);
}
