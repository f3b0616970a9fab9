/**
 * Preparation and scaling fitted on one fold's training part only, then applied lazily to
 * the train and test views. Each fold and dataset gets fresh fitted objects; their state is
 * plain JSON, saved with the run.
 */
import { type FeatureMatrix, InvalidArgumentError, shapeSize } from '@polytask/core';
import {
  createFrameCountFitter,
  createScaler,
  cutOrPad,
  type FrameCountStatistic,
  type FramePadMode,
  type ScalerState,
  type ScalingMode,
} from '@polytask/extraction';
import type { TaskDataset } from '@polytask/task-dataset';
import type { WindowSpec } from './windowed-dataset';

/** What to fit on the training part. */
export interface PreparationSpec {
  /** Bring every example to a frame count: a fixed number, or a statistic of the training examples' counts. */
  readonly frames?: { readonly count: number } | { readonly fit: FrameCountStatistic; readonly percentile?: number };
  /** Filling when padding frames. @default 'zeros' */
  readonly padMode?: FramePadMode;
  /** Scaling fitted on the training part; null for none. @default null */
  readonly scaling?: ScalingMode | null;
  /** Cut every example into fixed-length windows (after the split, so windows of one clip stay on one side). */
  readonly windows?: WindowSpec;
}

/** A preparation fitted on one training part: plain data. */
export interface FittedPreparation {
  readonly frameCount: number | null;
  readonly padMode: FramePadMode;
  readonly scaler: ScalerState | null;
}

function prepareMatrix(
  matrix: FeatureMatrix,
  fitted: FittedPreparation,
  scale: ((matrix: FeatureMatrix) => FeatureMatrix) | undefined,
): FeatureMatrix {
  const framed = fitted.frameCount === null ? matrix : cutOrPad(matrix, { frameCount: fitted.frameCount, padMode: fitted.padMode });
  return scale ? scale(framed) : framed;
}

/**
 * Fits the preparation on `train` (streaming: one example at a time, so index mode stays bounded).
 * @example const fitted = fitPreparation(trainPart, { frames: { fit: 'median' }, scaling: 'per-feature' })
 */
export function fitPreparation(train: TaskDataset, spec: PreparationSpec): FittedPreparation {
  if (train.size === 0)
    throw new InvalidArgumentError({
      argument: 'train',
      value: train.name,
      message: `Cannot fit a preparation on an empty training part of "${train.name}".`,
    });
  let frameCount: number | null = null;
  const frames = spec.frames;
  if (frames && 'count' in frames) {
    if (!Number.isInteger(frames.count) || frames.count < 1)
      throw new InvalidArgumentError({
        argument: 'frames.count',
        value: frames.count,
        message: `frames.count must be a positive integer, got ${frames.count}.`,
      });
    frameCount = frames.count;
  } else if (frames) {
    const fitter = createFrameCountFitter({
      statistic: frames.fit,
      ...(frames.percentile === undefined ? {} : { percentile: frames.percentile }),
    });
    for (let index = 0; index < train.size; index++) fitter.add(train.shapeOf(index)[0] as number);
    frameCount = fitter.result();
  }
  const padMode = spec.padMode ?? 'zeros';
  let scaler: ScalerState | null = null;
  if (spec.scaling) {
    const fitting = createScaler({ mode: spec.scaling });
    const partial: FittedPreparation = { frameCount, padMode, scaler: null };
    for (let index = 0; index < train.size; index++) {
      try {
        fitting.partialFit(prepareMatrix(train.featuresOf(index), partial, undefined));
      } catch (error) {
        throw new InvalidArgumentError({
          argument: 'features',
          value: train.idOf(index),
          message: `Example "${train.idOf(index)}" of "${train.name}": ${(error as Error).message}`,
          cause: error,
        });
      }
    }
    scaler = fitting.toJSON();
  }
  return { frameCount, padMode, scaler };
}

/** A view of `dataset` whose features are prepared with `fitted` when read. */
export function applyPreparation(dataset: TaskDataset, fitted: FittedPreparation): TaskDataset {
  if (fitted.frameCount === null && fitted.scaler === null) return dataset;
  const scaler = fitted.scaler ? createScaler({ state: fitted.scaler }) : undefined;
  const scale = scaler ? (matrix: FeatureMatrix) => scaler.transform(matrix) : undefined;
  const featuresOf = (index: number) => prepareMatrix(dataset.featuresOf(index), fitted, scale);
  const shapeOf = (index: number): readonly number[] => {
    const shape = dataset.shapeOf(index);
    return fitted.frameCount === null ? shape : [fitted.frameCount, ...shape.slice(1)];
  };
  const view: TaskDataset = {
    ...dataset,
    featuresOf,
    shapeOf,
    copyFeaturesInto(index, target, offset) {
      const prepared = featuresOf(index);
      if (offset + prepared.data.length > target.length) {
        throw new InvalidArgumentError({
          argument: 'offset',
          value: offset,
          message: `Example ${index} (${shapeSize(prepared.shape)} values) does not fit in the target at offset ${offset}.`,
        });
      }
      target.set(prepared.data, offset);
    },
    subset: (indices) => applyPreparation(dataset.subset(indices), fitted),
    sampleLabels: (options) => applyPreparation(dataset.sampleLabels(options), fitted),
  };
  return Object.freeze(view);
}
