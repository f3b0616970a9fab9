/**
 * Batch samplers over a combined set. Every epoch's batches are a pure function of the seed
 * and the epoch number (fresh batches each epoch, identical on a rerun), so a sampler's
 * state is just `{ epoch, batch }` and restoring it yields exactly the remaining batches.
 * - `random`: every item once per epoch, shuffled across datasets (equal feature shapes needed).
 * - `per-dataset`: every item once per epoch; each batch from one dataset, batch order shuffled.
 * - `balanced`: each batch from one dataset drawn with probability ∝ its weight (equal by
 *   default). An epoch is `batchesPerEpoch` batches, by default the number that visits the
 *   largest dataset once in expectation. Each dataset's items cycle in reshuffled passes.
 * - `label-balanced`: items drawn with replacement, weighted by the inverse frequency of their
 *   label for `task` (rarest positive label for multi-label); an epoch is `ceil(size / batchSize)` batches.
 * - `every-dataset`: every batch holds items of every dataset (a quota each, ∝ its weight, equal
 *   by default, at least one), so every task is in every step, as gradient-based combiners
 *   (PCGrad, GradNorm) need. An epoch visits the largest dataset once; smaller ones cycle in
 *   reshuffled passes. Equal feature shapes needed.
 */
import { createRandom, InvalidArgumentError, type RandomSource, shuffleInPlace } from '@polytask/core';
import type { CombinedSet } from './combined-set';

/** Every sampling strategy. */
export const samplingStrategies = Object.freeze(['per-dataset', 'random', 'balanced', 'label-balanced', 'every-dataset'] as const);

/** Sampling strategies. */
export type SamplingStrategy = (typeof samplingStrategies)[number];

/**
 * Whether every batch of `strategy` holds every task of `set` (what PCGrad and GradNorm need):
 * always with `every-dataset`; with the others only when every dataset carries every task.
 */
export function samplerFeedsEveryTask(set: CombinedSet, strategy: SamplingStrategy): boolean {
  if (strategy === 'every-dataset') return true;
  return set.datasets.every((_, datasetIndex) => set.taskMask(datasetIndex).every((carried) => carried === 1));
}

/** Makes a sampler over a set: how a sampler of your own is plugged into training. */
export type BatchSamplerFactory = (options: {
  readonly set: CombinedSet;
  readonly batchSize: number;
  readonly seed: number;
}) => BatchSampler;

/** Options of {@link createBatchSampler}. */
export interface BatchSamplerOptions {
  readonly set: CombinedSet;
  readonly batchSize: number;
  /** @default 'per-dataset' */
  readonly strategy?: SamplingStrategy;
  /** @default 0 */
  readonly seed?: number;
  /** Drop a last batch smaller than batchSize (random, per-dataset). @default false */
  readonly dropLast?: boolean;
  /** Batches per epoch for `balanced` and `label-balanced`. */
  readonly batchesPerEpoch?: number;
  /** Dataset weights for `balanced` and `every-dataset`. @default equal */
  readonly weights?: readonly number[];
  /** Task whose labels `label-balanced` balances. @default the first classification task */
  readonly task?: string;
}

/** Where a sampler is: the next batch is `batch` of `epoch`. */
export interface SamplerState {
  readonly epoch: number;
  readonly batch: number;
}

/**
 * A resumable, seeded batch sampler. Write your own by this contract (epochs as pure functions of
 * the seed and the epoch number, so `restore` resumes exactly) and hand trainFold a factory.
 */
export interface BatchSampler {
  /** A built-in strategy, or the name of your own. */
  readonly strategy: string;
  readonly batchSize: number;
  /** Every batch (combined-set indices) of an epoch. */
  epochBatches(epoch: number): readonly Int32Array[];
  /** The next batch, moving to the next epoch after the last; undefined at the end of an epoch (then call again for the next). */
  next(): Int32Array | undefined;
  /** Current position, to save with a checkpoint. */
  state(): SamplerState;
  /** Continues from a saved position. */
  restore(state: SamplerState): void;
}

const epochSeed = (seed: number, epoch: number) => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0;

function chunk(indices: Int32Array, size: number, dropLast: boolean): Int32Array[] {
  const batches: Int32Array[] = [];
  for (let start = 0; start < indices.length; start += size) {
    if (dropLast && start + size > indices.length) break;
    batches.push(indices.slice(start, start + size));
  }
  return batches;
}

function pickWeighted(cumulative: Float64Array, random: RandomSource): number {
  const target = random() * (cumulative[cumulative.length - 1] as number);
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((cumulative[middle] as number) > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

function checkEqualShapes(set: CombinedSet, strategy: SamplingStrategy): void {
  const first = set.shapeOf(0).join('x');
  for (let index = 1; index < set.size; index++) {
    const shape = set.shapeOf(index).join('x');
    if (shape !== first) {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategy,
        message: `The ${strategy} sampler mixes datasets in a batch, so every item needs the same feature shape; item ${index} has [${shape}] but item 0 has [${first}]. Prepare to a common frame count or use the per-dataset sampler.`,
      });
    }
  }
}

function checkDatasetWeights(given: readonly number[] | undefined, datasetCount: number): readonly number[] {
  const weights = given ?? new Array<number>(datasetCount).fill(1);
  if (weights.length !== datasetCount || weights.some((weight) => !(weight >= 0)) || !weights.some((weight) => weight > 0)) {
    throw new InvalidArgumentError({
      argument: 'weights',
      value: weights,
      message: `Give one non-negative weight per dataset (${datasetCount}), not all zero.`,
    });
  }
  return weights;
}

/**
 * Draws items of each dataset in reshuffled passes: `take(d)` is the next item of dataset `d`,
 * a fresh shuffle (from `random`) starting whenever a pass ends.
 */
function datasetStreams(set: CombinedSet, random: RandomSource): (datasetIndex: number) => number {
  const streams = set.datasets.map(() => ({ order: new Int32Array(0), position: 0 }));
  return (datasetIndex) => {
    const stream = streams[datasetIndex] as { order: Int32Array; position: number };
    if (stream.position >= stream.order.length) {
      const start = set.offsets[datasetIndex] as number;
      stream.order = shuffleInPlace(
        Int32Array.from({ length: (set.datasets[datasetIndex] as { size: number }).size }, (_, index) => start + index),
        random,
      ) as Int32Array;
      stream.position = 0;
    }
    return stream.order[stream.position++] as number;
  };
}

/** Items per dataset in a batch: ∝ weight (largest remainders), at least one each. */
function datasetQuotas(weights: readonly number[], batchSize: number): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const spare = batchSize - weights.length;
  const shares = weights.map((weight) => (spare * weight) / total);
  const quotas = shares.map((share) => 1 + Math.floor(share));
  let left = batchSize - quotas.reduce((sum, quota) => sum + quota, 0);
  const order = shares.map((share, index) => [share - Math.floor(share), index] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, index] of order) {
    if (left-- <= 0) break;
    quotas[index] = (quotas[index] as number) + 1;
  }
  return quotas;
}

/**
 * Creates a sampler.
 * @example const sampler = createBatchSampler({ set: train, batchSize: 32, strategy: 'per-dataset', seed: 1 });
 */
export function createBatchSampler(options: BatchSamplerOptions): BatchSampler {
  const { set, batchSize } = options;
  const strategy = options.strategy ?? 'per-dataset';
  const seed = options.seed ?? 0;
  const dropLast = options.dropLast ?? false;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidArgumentError({
      argument: 'batchSize',
      value: batchSize,
      message: `batchSize must be a positive integer, got ${batchSize}.`,
    });
  if (set.size === 0) throw new InvalidArgumentError({ argument: 'set', value: 0, message: 'Cannot sample batches from an empty set.' });
  if (strategy === 'random' || strategy === 'label-balanced' || strategy === 'every-dataset') checkEqualShapes(set, strategy);
  const datasetCount = set.datasets.length;
  const sizes = set.datasets.map((dataset) => dataset.size);
  let epochBatches: (epoch: number) => Int32Array[];
  switch (strategy) {
    case 'random':
      epochBatches = (epoch) =>
        chunk(
          shuffleInPlace(
            Int32Array.from({ length: set.size }, (_, index) => index),
            createRandom(epochSeed(seed, epoch)),
          ) as Int32Array,
          batchSize,
          dropLast,
        );
      break;
    case 'per-dataset':
      epochBatches = (epoch) => {
        const random = createRandom(epochSeed(seed, epoch));
        const batches = set.datasets.flatMap((_, datasetIndex) => {
          const start = set.offsets[datasetIndex] as number;
          const indices = shuffleInPlace(
            Int32Array.from({ length: sizes[datasetIndex] as number }, (__, index) => start + index),
            random,
          ) as Int32Array;
          return chunk(indices, batchSize, dropLast);
        });
        return shuffleInPlace(batches, random) as Int32Array[];
      };
      break;
    case 'every-dataset': {
      const weights = checkDatasetWeights(options.weights, datasetCount);
      if (batchSize < datasetCount)
        throw new InvalidArgumentError({
          argument: 'batchSize',
          value: batchSize,
          message: `The every-dataset sampler puts every dataset in each batch, so batchSize must be at least the dataset count (${datasetCount}), got ${batchSize}.`,
        });
      const quotas = datasetQuotas(weights, batchSize);
      const largest = Math.max(...sizes.map((size, index) => size / (quotas[index] as number)));
      const perEpoch = options.batchesPerEpoch ?? Math.ceil(largest);
      epochBatches = (epoch) => {
        const random = createRandom(epochSeed(seed, epoch));
        const take = datasetStreams(set, random);
        return Array.from({ length: perEpoch }, () => {
          const batch = new Int32Array(batchSize);
          let position = 0;
          quotas.forEach((quota, datasetIndex) => {
            for (let taken = 0; taken < quota; taken++) batch[position++] = take(datasetIndex);
          });
          return shuffleInPlace(batch, random) as Int32Array;
        });
      };
      break;
    }
    case 'balanced': {
      const weights = checkDatasetWeights(options.weights, datasetCount);
      const cumulative = new Float64Array(datasetCount);
      weights.reduce((sum, weight, index) => (cumulative[index] = sum + weight), 0);
      const largest = Math.max(...sizes);
      const perEpoch = options.batchesPerEpoch ?? Math.ceil(largest / batchSize) * datasetCount;
      epochBatches = (epoch) => {
        // Streams continue across epochs: replay from epoch 0 so each epoch is deterministic and distinct.
        const random = createRandom(epochSeed(seed, 0));
        const take = datasetStreams(set, random);
        let result: Int32Array[] = [];
        for (let current = 0; current <= epoch; current++) {
          result = [];
          for (let batch = 0; batch < perEpoch; batch++) {
            const datasetIndex = pickWeighted(cumulative, random);
            const size = Math.min(batchSize, sizes[datasetIndex] as number);
            result.push(Int32Array.from({ length: size }, () => take(datasetIndex)));
          }
        }
        return result;
      };
      break;
    }
    case 'label-balanced': {
      const taskName = options.task ?? (set.tasks.find((candidate) => candidate.task.kind !== 'regression') ?? set.tasks[0])?.task.name;
      const entry = set.tasks.find((candidate) => candidate.task.name === taskName);
      if (!entry) throw new InvalidArgumentError({ argument: 'task', value: taskName, message: `The set has no task "${taskName}".` });
      if (entry.task.kind === 'regression')
        throw new InvalidArgumentError({
          argument: 'task',
          value: taskName,
          message: `The label-balanced sampler balances the labels of a classification task; "${taskName}" is a regression task. Name a classification task or use another sampler.`,
        });
      const width = entry.columns[1] - entry.columns[0];
      const taskPosition = set.tasks.indexOf(entry);
      const row = new Float32Array(set.columnCount);
      const rows = new Uint8Array(set.size * width);
      const carries = new Uint8Array(set.size);
      const columnFrequency = new Float64Array(width);
      for (let index = 0; index < set.size; index++) {
        if (!set.taskMask(set.datasetOf(index))[taskPosition]) continue;
        carries[index] = 1;
        set.writeTargetRow(index, row, 0);
        for (let column = 0; column < width; column++) {
          const value = row[entry.columns[0] + column] as number;
          rows[index * width + column] = value;
          columnFrequency[column] = (columnFrequency[column] as number) + value;
        }
      }
      // each item's label: its class (binary: 0/1), or its rarest positive label (multi-label); -1 when none
      const labelOf = new Int32Array(set.size).fill(-1);
      for (let index = 0; index < set.size; index++) {
        if (!carries[index]) continue;
        if (entry.task.kind === 'binary') {
          labelOf[index] = rows[index * width] as number;
          continue;
        }
        for (let column = 0; column < width; column++) {
          if (
            rows[index * width + column] &&
            (labelOf[index] === -1 || (columnFrequency[column] as number) < (columnFrequency[labelOf[index] as number] as number))
          )
            labelOf[index] = column;
        }
      }
      const frequency = new Map<number, number>();
      for (const label of labelOf) frequency.set(label, (frequency.get(label) ?? 0) + 1);
      const cumulative = new Float64Array(set.size);
      let total = 0;
      for (let index = 0; index < set.size; index++) {
        total += 1 / (frequency.get(labelOf[index] as number) as number);
        cumulative[index] = total;
      }
      const perEpoch = options.batchesPerEpoch ?? Math.ceil(set.size / batchSize);
      epochBatches = (epoch) => {
        const random = createRandom(epochSeed(seed, epoch));
        return Array.from({ length: perEpoch }, () => Int32Array.from({ length: batchSize }, () => pickWeighted(cumulative, random)));
      };
      break;
    }
    default:
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategy,
        message: `Unknown sampling strategy "${String(strategy)}"; use ${samplingStrategies.join(', ')}.`,
      });
  }
  let position: SamplerState = { epoch: 0, batch: 0 };
  let cached: { epoch: number; batches: Int32Array[] } | undefined;
  const batchesOf = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, batches: epochBatches(epoch) };
    return cached.batches;
  };
  return {
    strategy,
    batchSize,
    epochBatches: batchesOf,
    next() {
      const batches = batchesOf(position.epoch);
      if (position.batch >= batches.length) {
        position = { epoch: position.epoch + 1, batch: 0 };
        return undefined;
      }
      const batch = batches[position.batch] as Int32Array;
      position = { epoch: position.epoch, batch: position.batch + 1 };
      return batch;
    },
    state: () => position,
    restore(state) {
      if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.batch) || state.batch < 0) {
        throw new InvalidArgumentError({
          argument: 'state',
          value: state,
          message: 'A sampler state needs non-negative integer epoch and batch.',
        });
      }
      position = { epoch: state.epoch, batch: state.batch };
    },
  };
}
