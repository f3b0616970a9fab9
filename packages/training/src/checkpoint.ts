/** Converts a tfjs model and optimizer to the run store's checkpoint form and back. */
import { ShapeMismatchError } from '@polytask/core';
import type { CheckpointContents, WeightSpec } from '@polytask/results';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

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

/** The model (topology and every weight, batch-norm statistics included) and the optimizer state. */
export async function createCheckpoint(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: Readonly<Record<string, unknown>>,
): Promise<CheckpointContents> {
  const weights = model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const config = (optimizer as unknown as { getConfig?: () => unknown }).getConfig?.();
  return {
    model: {
      modelTopology: model.toJSON(null, false),
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers via polytask`,
      convertedBy: null,
      ...pack(weights),
    },
    optimizer: { className: optimizer.getClassName(), config, ...pack(optimizerWeights) },
    state,
  };
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
  if (contents.optimizer) await optimizer.setWeights(unpack(contents.optimizer.weightSpecs, contents.optimizer.weightData));
}
