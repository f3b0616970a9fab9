/**
 * An extension package: what an experiment config names with `"kind": "package"` (model, loss
 * combiner) or `{ "package": ... }` (sampler). Polytask imports it by its npm name, as it imports
 * dataset readers, and calls the factories below with the config's `options`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type BatchSampler,
  type CombinedSet,
  createBatchSampler as createBuiltInSampler,
  type HeadSpec,
  type LossCombiner,
} from 'polytask';

/**
 * A hard-sharing DNN whose shared trunk has a residual block: dense → dense + skip. `options.units`
 * sets the width (default 32). One sigmoid or softmax head per task, in `tasks` order.
 */
export function createModel(options: {
  readonly inputShape: readonly number[];
  readonly tasks: readonly HeadSpec[];
  readonly seed: number;
  readonly options: Readonly<Record<string, unknown>>;
}): tfl.LayersModel {
  const units = typeof options.options.units === 'number' ? options.options.units : 32;
  const initializer = (offset: number) => tfl.initializers.glorotUniform({ seed: options.seed * 100 + offset });
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  const flat = tfl.layers.flatten({ name: 'shared_flatten' }).apply(input) as tfl.SymbolicTensor;
  const first = tfl.layers
    .dense({ units, activation: 'relu', kernelInitializer: initializer(1), name: 'shared_dense_0' })
    .apply(flat) as tfl.SymbolicTensor;
  const second = tfl.layers
    .dense({ units, activation: 'relu', kernelInitializer: initializer(2), name: 'shared_dense_1' })
    .apply(first) as tfl.SymbolicTensor;
  const trunk = tfl.layers.add({ name: 'shared_residual' }).apply([first, second]) as tfl.SymbolicTensor;
  const heads = options.tasks.map(
    (task, index) =>
      tfl.layers
        .dense({
          units: task.outputSize,
          activation: task.kind === 'multi-class' ? 'softmax' : 'sigmoid',
          kernelInitializer: initializer(10 + index),
          name: `head_${task.name.replace(/[^A-Za-z0-9_]/g, '_')}`,
        })
        .apply(trunk) as tfl.SymbolicTensor,
  );
  return tfl.model({ inputs: input, outputs: heads, name: 'residual_multi_task_dnn' });
}

/**
 * The geometric loss strategy (Chennupati et al. 2019, MultiNet++): the sum of the logarithms of
 * the present tasks' losses, i.e. the log of their product, which balances tasks of different
 * scales without weights to tune. A task absent from a batch contributes nothing.
 */
export function createLossCombiner(options: {
  readonly tasks: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}): LossCombiner {
  const floor = typeof options.options.floor === 'number' ? options.options.floor : 1e-6;
  return {
    kind: 'geometric',
    variables: [],
    weights: () => Object.fromEntries(options.tasks.map((task) => [task, 1])),
    combine: (losses) => tf.tidy(() => tf.addN([...losses.values()].map((loss) => tf.log(tf.add(loss, floor)))) as tf.Scalar),
  };
}

/**
 * Round-robin sampling: batches of one dataset each, datasets taking turns (the largest sets the
 * epoch length; smaller ones repeat in reshuffled passes). Epochs are pure functions of the seed
 * and the epoch number, so a resumed run sees exactly the remaining batches.
 */
export function createBatchSampler(options: {
  readonly set: CombinedSet;
  readonly batchSize: number;
  readonly seed: number;
  readonly options: Readonly<Record<string, unknown>>;
}): BatchSampler {
  const { set, batchSize, seed } = options;
  const perDataset = createBuiltInSampler({ set, batchSize, seed, strategy: 'per-dataset' });
  const epochBatches = (epoch: number): Int32Array[] => {
    const byDataset = set.datasets.map(() => [] as Int32Array[]);
    // per-dataset batches of this epoch and the next ones, grouped by dataset, until every dataset has enough
    const longest = Math.max(...set.datasets.map((dataset) => Math.ceil(dataset.size / batchSize)));
    for (let pass = 0; byDataset.some((batches) => batches.length < longest); pass++) {
      for (const batch of perDataset.epochBatches(epoch * 1000 + pass)) {
        const dataset = set.datasetOf(batch[0] as number);
        if ((byDataset[dataset] as Int32Array[]).length < longest) (byDataset[dataset] as Int32Array[]).push(batch);
      }
    }
    return Array.from({ length: longest }, (_, turn) => byDataset.map((batches) => batches[turn] as Int32Array)).flat();
  };
  let cached: { epoch: number; batches: Int32Array[] } | undefined;
  const batchesOf = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, batches: epochBatches(epoch) };
    return cached.batches;
  };
  let position = { epoch: 0, batch: 0 };
  return {
    strategy: 'round-robin',
    batchSize,
    epochBatches: batchesOf,
    next() {
      const batches = batchesOf(position.epoch);
      if (position.batch >= batches.length) {
        position = { epoch: position.epoch + 1, batch: 0 };
        return undefined;
      }
      return batches[position.batch++] as Int32Array;
    },
    state: () => ({ ...position }),
    restore(state) {
      position = { ...state };
    },
  };
}
