/**
 * Mixup (Zhang et al. 2018) for multi-task, multi-dataset batches: each item is mixed with a
 * partner from a permutation of the batch, inputs and targets alike, with one λ ~ Beta(α, α)
 * per batch. Targets mix per task only where both items carry the task.
 */
import type { AugmentationInput, AugmentationResult, BatchAugmentation } from './batch-augmentation';
import { checkNumberOption, itemGeometry } from './internal/augmentation-options';
import { sampleBeta } from './internal/sample-beta';

/** Options of {@link createMixup}. */
export interface MixupOptions {
  /** α of λ ~ Beta(α, α): small α keeps most mixes near one item (the paper uses 0.1–0.4); α = 1 is uniform. @default 0.2 */
  readonly alpha?: number;
  /** Pair items of different datasets too; when false, items pair only within their dataset. @default true */
  readonly acrossDatasets?: boolean;
}

/** A permutation of `0..size-1` (Fisher–Yates) over `positions`, written into `partners`. */
function permuteInto(partners: Int32Array, positions: readonly number[], random: () => number): void {
  const shuffled = [...positions];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other] as number, shuffled[index] as number];
  }
  positions.forEach((position, index) => {
    partners[position] = shuffled[index] as number;
  });
}

/**
 * Mixup as a batch augmentation. With λ ~ Beta(α, α) drawn once per batch and a partner j = π(i)
 * from a random permutation (within each dataset when `acrossDatasets` is false), item i becomes
 * λ·x_i + (1 − λ)·x_j. Per task (every kind; classification targets become soft, λ·y_i + (1 − λ)·y_j,
 * each multi-class row still summing to 1):
 * - both items carry the task: the targets mix;
 * - only item i carries it: item i keeps its own target (and mask), although its input is mixed;
 * - item i does not carry it: nothing changes (its mask stays 0, so the loss ignores the columns).
 * Masks never change. Train metrics keep the un-mixed targets (trainFold passes mixed ones only to the losses).
 * @throws InvalidArgumentError for α ≤ 0.
 * @example createMixup({ alpha: 0.4, acrossDatasets: false })
 */
export function createMixup(options: MixupOptions = {}): BatchAugmentation {
  const alpha = options.alpha ?? 0.2;
  const acrossDatasets = options.acrossDatasets ?? true;
  checkNumberOption({ argument: 'alpha', value: alpha, minimum: Number.MIN_VALUE });
  return {
    name: 'mixup',
    apply({ features, shape, targets, masks, datasetIds, taskColumns, random }: AugmentationInput): AugmentationResult {
      const { batchSize, itemSize } = itemGeometry(shape);
      const lambda = sampleBeta(random, alpha, alpha);
      const partners = new Int32Array(batchSize);
      if (acrossDatasets) permuteInto(partners, [...Array(batchSize).keys()], random);
      else {
        const groups = new Map<number, number[]>();
        for (let item = 0; item < batchSize; item++) {
          const dataset = datasetIds[item] as number;
          groups.set(dataset, [...(groups.get(dataset) ?? []), item]);
        }
        // in order of first appearance, so the draws depend only on the batch
        for (const positions of groups.values()) permuteInto(partners, positions, random);
      }
      const mixedFeatures = new Float32Array(features.length);
      for (let item = 0; item < batchSize; item++) {
        const partner = partners[item] as number;
        for (let index = 0; index < itemSize; index++)
          mixedFeatures[item * itemSize + index] =
            lambda * (features[item * itemSize + index] as number) + (1 - lambda) * (features[partner * itemSize + index] as number);
      }
      const columnCount = batchSize === 0 ? 0 : targets.length / batchSize;
      const taskCount = taskColumns.length;
      const mixedTargets = Float32Array.from(targets);
      for (let item = 0; item < batchSize; item++) {
        const partner = partners[item] as number;
        taskColumns.forEach((task, taskIndex) => {
          if (!masks[item * taskCount + taskIndex] || !masks[partner * taskCount + taskIndex]) return;
          for (let column = task.columns[0]; column < task.columns[1]; column++)
            mixedTargets[item * columnCount + column] =
              lambda * (targets[item * columnCount + column] as number) +
              (1 - lambda) * (targets[partner * columnCount + column] as number);
        });
      }
      return { features: mixedFeatures, targets: mixedTargets };
    },
  };
}
