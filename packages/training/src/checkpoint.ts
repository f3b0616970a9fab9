/** Converts a tfjs model and optimizer to the run store's checkpoint form and back. */
import { ShapeMismatchError } from '@polytask/core';
import type { CheckpointContents, WeightSpec } from '@polytask/results';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedTensor } from './variable-keyed-optimizer';

function pack(named: { name: string; tensor: tf.Tensor }[]): { weightSpecs: WeightSpec[]; weightData: ArrayBuffer } {
  const weightSpecs = named.map(({ name, tensor }) => ({ name, shape: [...tensor.shape], dtype: tensor.dtype as WeightSpec['dtype'] }));
  const arrays = named.map(({ tensor }) => tensor.dataSync() as Float32Array | Int32Array);
  const total = arrays.reduce((sum, array) => sum + array.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const array of arrays) {
    data.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return { weightSpecs, weightData: data.buffer };
}

function unpack(weightSpecs: readonly WeightSpec[], weightData: ArrayBuffer): { name: string; tensor: tf.Tensor }[] {
  let offset = 0;
  return weightSpecs.map((spec) => {
    const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
    const bytes = weightData.slice(offset, offset + size * 4);
    offset += size * 4;
    const values = spec.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    return { name: spec.name, tensor: tf.tensor(values, [...spec.shape], spec.dtype === 'int32' ? 'int32' : 'float32') };
  });
}

/**
 * Renames optimizer state named `<variable>/<slot>` through `names` (variable → other name).
 * tfjs gives a model's variables process-unique names (`dense/kernel_3` when other models were
 * built before), so checkpoints file optimizer state under the weights' stable original names.
 */
function renameState(weights: readonly NamedTensor[], names: ReadonlyMap<string, string>): NamedTensor[] {
  return weights.map(({ name, tensor }) => {
    const slash = name.lastIndexOf('/');
    const renamed = slash > 0 ? names.get(name.slice(0, slash)) : undefined;
    return { name: renamed === undefined ? name : `${renamed}${name.slice(slash)}`, tensor };
  });
}

/** Each model weight's variable name and its stable original name (`shared_0/kernel`). */
function stableNames(model: tfl.LayersModel): Map<string, string> {
  return new Map(model.weights.map((weight) => [(weight.read() as tf.Variable).name, weight.originalName]));
}

/** The model (topology and every weight, batch-norm statistics included) and the optimizer state. */
export async function createCheckpoint(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: Readonly<Record<string, unknown>>,
): Promise<CheckpointContents> {
  const weights = model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const config = (optimizer as unknown as { getConfig?: () => unknown }).getConfig?.();
  const contents: CheckpointContents = {
    model: {
      modelTopology: model.toJSON(null, false),
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers via polytask`,
      convertedBy: null,
      ...pack(weights),
    },
    optimizer: { className: optimizer.getClassName(), config, ...pack(renameState(optimizerWeights, stableNames(model))) },
    state,
  };
  // getWeights makes fresh tensors for counters (steps, iterations); the slots themselves are variables
  tf.dispose(optimizerWeights.map((weight) => weight.tensor).filter((tensor) => !(tensor instanceof tf.Variable)));
  return contents;
}

/**
 * Puts a checkpoint's weights and optimizer state back into `model` and `optimizer`.
 * @throws ShapeMismatchError when the checkpoint does not fit the model.
 */
export async function restoreCheckpoint(model: tfl.LayersModel, optimizer: tf.Optimizer, contents: CheckpointContents): Promise<void> {
  const weights = unpack(contents.model.weightSpecs, contents.model.weightData);
  if (weights.length !== model.weights.length) {
    throw new ShapeMismatchError({
      expected: model.weights.length,
      actual: weights.length,
      message: `The checkpoint holds ${weights.length} weights but the model has ${model.weights.length}; it belongs to another model.`,
    });
  }
  model.weights.forEach((variable, index) => {
    const stored = weights[index] as { name: string; tensor: tf.Tensor };
    if (stored.tensor.shape.join('x') !== variable.shape.join('x')) {
      throw new ShapeMismatchError({
        expected: variable.shape,
        actual: stored.tensor.shape,
        message: `Checkpoint weight ${stored.name} is [${stored.tensor.shape}] but the model's ${variable.originalName} is [${variable.shape}].`,
      });
    }
    variable.write(stored.tensor);
  });
  tf.dispose(weights.map((weight) => weight.tensor));
  if (contents.optimizer) {
    const stored = unpack(contents.optimizer.weightSpecs, contents.optimizer.weightData);
    const current = new Map([...stableNames(model)].map(([variable, original]) => [original, variable]));
    try {
      await optimizer.setWeights(renameState(stored, current));
    } finally {
      tf.dispose(stored.map((weight) => weight.tensor));
    }
  }
}
