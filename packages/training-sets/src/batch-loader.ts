/**
 * Turns sampled batches into typed arrays ready to become tensors: features `[batch, ...shape]`,
 * padded targets `[batch, columns]`, task masks `[batch, tasks]` and dataset ids, built ahead
 * of use in a bounded prefetch queue so index-mode data streams while the model trains.
 */
import { InvalidArgumentError, shapeSize } from '@polytask/core';
import type { BatchSampler, SamplerState } from './batch-sampler';
import type { CombinedSet } from './combined-set';

/** One batch as typed arrays. */
export interface Batch {
  /** Combined-set indices of the items. */
  readonly indices: Int32Array;
  /** Features, row-major `[size, ...featureShape]`. */
  readonly features: Float32Array;
  /** `[size, ...per-item shape]`. */
  readonly featureShape: readonly number[];
  /** Padded target rows `[size, columnCount]`. */
  readonly targets: Float32Array;
  /** 1 where the item has labels for the task, `[size, taskCount]`. */
  readonly masks: Uint8Array;
  /** Dataset of each item. */
  readonly datasetIds: Int32Array;
  /** The sampler position after this batch (save it to resume after the batch). */
  readonly samplerState: SamplerState;
}

/** Builds one batch. */
export function buildBatch(set: CombinedSet, indices: Int32Array, samplerState: SamplerState): Batch {
  const size = indices.length;
  const itemShape = set.shapeOf(indices[0] as number);
  const itemSize = shapeSize(itemShape);
  const features = new Float32Array(size * itemSize);
  const targets = new Float32Array(size * set.columnCount);
  const taskCount = set.tasks.length;
  const masks = new Uint8Array(size * taskCount);
  const datasetIds = new Int32Array(size);
  for (let position = 0; position < size; position++) {
    const index = indices[position] as number;
    const shape = set.shapeOf(index);
    if (shapeSize(shape) !== itemSize || shape.length !== itemShape.length) {
      throw new InvalidArgumentError({
        argument: 'batch',
        value: index,
        message: `Items of one batch need one feature shape: item ${index} has [${shape.join(', ')}], the batch [${itemShape.join(', ')}]. Prepare to a common frame count.`,
      });
    }
    set.copyFeaturesInto(index, features, position * itemSize);
    set.writeTargetRow(index, targets, position * set.columnCount);
    const dataset = set.datasetOf(index);
    masks.set(set.taskMask(dataset), position * taskCount);
    datasetIds[position] = dataset;
  }
  return { indices, features, featureShape: [size, ...itemShape], targets, masks, datasetIds, samplerState };
}

/** Options of {@link iterateBatches}. */
export interface IterateBatchesOptions {
  readonly set: CombinedSet;
  readonly sampler: BatchSampler;
  /** Batches built ahead. @default 4 */
  readonly prefetch?: number;
}

/**
 * The remaining batches of the sampler's current epoch, built ahead up to `prefetch`.
 * @example for await (const batch of iterateBatches({ set: train, sampler })) await trainStep(batch);
 */
export async function* iterateBatches(options: IterateBatchesOptions): AsyncGenerator<Batch> {
  const { set, sampler } = options;
  const prefetch = options.prefetch ?? 4;
  if (!Number.isInteger(prefetch) || prefetch < 1)
    throw new InvalidArgumentError({
      argument: 'prefetch',
      value: prefetch,
      message: `prefetch must be a positive integer, got ${prefetch}.`,
    });
  const queue: Batch[] = [];
  let finished = false;
  const fill = () => {
    while (!finished && queue.length < prefetch) {
      const indices = sampler.next();
      if (!indices) {
        finished = true;
        break;
      }
      queue.push(buildBatch(set, indices, sampler.state()));
    }
  };
  fill();
  while (queue.length > 0) {
    const batch = queue.shift() as Batch;
    yield batch;
    // refill between the consumer's steps without blocking the step itself
    await new Promise<void>((resolve) => setImmediate(resolve));
    fill();
  }
}
