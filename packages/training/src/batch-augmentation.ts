/**
 * The contract of a training-batch augmentation (SpecAugment, mixup, gain, time shift, noise, or
 * your own) and how trainFold runs a list of them: on training batches only, each step with its
 * own generator derived from (seed, epoch, sampler batch, augmentation position), so a run resumed
 * from a checkpoint draws exactly what an uninterrupted run draws.
 */
import { createRandom, InvalidArgumentError, type RandomSource, type TaskKind } from '@polytask/core';

/** A task's place in the padded target row, as an augmentation sees it. */
export interface AugmentationTaskColumns {
  readonly name: string;
  readonly kind: TaskKind;
  /** `[start, end)` of the task's columns in each target row. */
  readonly columns: readonly [number, number];
}

/** One training batch handed to {@link BatchAugmentation.apply}. */
export interface AugmentationInput {
  /** Features, row-major `[batch, ...itemShape]`: a copy the augmentation may write into. */
  readonly features: Float32Array;
  /** `[batch, ...itemShape]`. */
  readonly shape: readonly number[];
  /** Padded target rows `[batch, columnCount]` (regression targets unscaled): a copy the augmentation may write into. */
  readonly targets: Float32Array;
  /** 1 where the item carries the task, `[batch, taskCount]` in `taskColumns` order (read only). */
  readonly masks: Uint8Array;
  /** Dataset of each item. */
  readonly datasetIds: Int32Array;
  /** Every task of the combined set, in mask order. */
  readonly taskColumns: readonly AugmentationTaskColumns[];
  /** This step's generator: the only source of randomness an augmentation may use. */
  readonly random: RandomSource;
}

/** What an augmentation gives back: the features and targets the loss sees (the same arrays or new ones of the same sizes). */
export interface AugmentationResult {
  readonly features: Float32Array;
  readonly targets: Float32Array;
}

/**
 * A transformation of training batches. trainFold applies its `augmentations` in order to each
 * training batch before the step (never to validation, test or evaluation data); metrics keep
 * the batch's own targets, so an augmentation that mixes targets changes only the loss.
 * Draw every random number from `input.random` so runs are reproducible and resumable.
 * @example const flip: BatchAugmentation = { name: 'negate', apply: ({ features, targets }) => ({ features: features.map((value) => -value), targets }) };
 */
export interface BatchAugmentation {
  /** A short name for messages (`spec-augment`, `mixup`). */
  readonly name: string;
  apply(input: AugmentationInput): AugmentationResult;
}

/** Options of {@link augmentationRandom}. */
export interface AugmentationRandomOptions {
  /** The fold's seed. */
  readonly seed: number;
  /** The epoch, from 1. */
  readonly epoch: number;
  /** The sampler's batch position after the batch (its `samplerState.batch`). */
  readonly step: number;
  /** The augmentation's position in the list. */
  readonly position: number;
}

/** Mixes a 32-bit word into a hash (murmur3's finaliser after an xor). */
function mix(hash: number, word: number): number {
  let value = (hash ^ Math.trunc(word)) >>> 0;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b) >>> 0;
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35) >>> 0;
  return (value ^ (value >>> 16)) >>> 0;
}

/**
 * The generator of one augmentation at one step: a pure function of seed, epoch, step and
 * position, so a resumed run draws the same numbers, and adding an augmentation changes no other's draws.
 * @example const random = augmentationRandom({ seed: 0, epoch: 1, step: 3, position: 0 });
 */
export function augmentationRandom(options: AugmentationRandomOptions): RandomSource {
  let hash = 0x9e3779b9;
  for (const word of [options.seed, options.epoch, options.step, options.position]) hash = mix(hash, word);
  return createRandom(hash);
}

/**
 * Checks a list of augmentations (objects with a `name` and an `apply` function).
 * @throws InvalidArgumentError naming the position of a bad entry.
 */
export function checkAugmentations(augmentations: readonly BatchAugmentation[]): void {
  augmentations.forEach((augmentation, position) => {
    if (typeof augmentation !== 'object' || augmentation === null || typeof augmentation.apply !== 'function')
      throw new InvalidArgumentError({
        argument: `augmentations[${position}]`,
        value: augmentation,
        message: `augmentations[${position}] must be a BatchAugmentation (an object with an apply function), got ${JSON.stringify(augmentation)}.`,
      });
  });
}

/** Options of {@link augmentBatch}. */
export interface AugmentBatchOptions extends Omit<AugmentationInput, 'random'> {
  readonly augmentations: readonly BatchAugmentation[];
  readonly seed: number;
  readonly epoch: number;
  readonly step: number;
}

/**
 * Runs the augmentations in order on copies of the batch's features and targets.
 * @throws InvalidArgumentError when an augmentation returns arrays of other sizes.
 */
export function augmentBatch(options: AugmentBatchOptions): AugmentationResult {
  let features: Float32Array = Float32Array.from(options.features);
  let targets: Float32Array = Float32Array.from(options.targets);
  options.augmentations.forEach((augmentation, position) => {
    const result = augmentation.apply({
      features,
      targets,
      shape: options.shape,
      masks: options.masks,
      datasetIds: options.datasetIds,
      taskColumns: options.taskColumns,
      random: augmentationRandom({ seed: options.seed, epoch: options.epoch, step: options.step, position }),
    });
    if (result.features.length !== features.length || result.targets.length !== targets.length)
      throw new InvalidArgumentError({
        argument: `augmentations[${position}]`,
        value: augmentation.name,
        message: `Augmentation "${augmentation.name}" returned ${result.features.length} feature values and ${result.targets.length} target values; it must keep the batch's sizes (${features.length} and ${targets.length}).`,
      });
    features = result.features;
    targets = result.targets;
  });
  return { features, targets };
}
