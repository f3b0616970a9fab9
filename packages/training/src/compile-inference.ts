/**
 * Inference without the engine's per-operation bookkeeping: a model made of dense layers (the
 * DNN trunks and heads the builders make, or your own of the same kinds) runs as a short list of
 * backend kernel calls, the same kernels with the same operands that `model.apply` reaches through
 * tfjs-layers and tfjs-core, so the outputs are bit for bit the same. On the wasm backend a batch-32
 * DNN spends about a quarter of `model.predict`'s time in that bookkeeping (reshapes around every
 * product, scopes, tape checks, one tensor object per step); this is Polytask's own evaluation path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  activationOf,
  checkDenseInput,
  flattened,
  flattensAsView,
  type KernelFunction,
  layerChains,
  readFloats,
  UncompiledShape,
  wasmKernels,
} from './internal/layer-chains';
import { nativeKernels } from './internal/native-kernels';
import { packedProduct, packProductWeights } from './wasm-training-kernels';

/** A model's forward pass compiled to kernel calls. */
export interface CompiledInference {
  /**
   * The model's outputs for one batch (`features` shaped like the model's input, batch first), in
   * `model.outputs` order, as row-major float32 arrays; equal to `model.apply(features, { training: false })`.
   */
  run(features: tf.Tensor): Float32Array[];
  /**
   * Frees the weights it packed for the products (they are also freed when this object is garbage
   * collected, and repacked when the model's weights change); a run after `dispose` packs them again.
   */
  dispose(): void;
}

interface Backend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): ArrayLike<number>;
}

/** One layer's work on the tensor its single input layer produced. */
type Step = (input: tf.TensorInfo, calls: KernelCalls) => tf.TensorInfo;

interface KernelCalls {
  call(name: string, inputs: Record<string, tf.TensorInfo>, attrs?: tf.NamedAttrMap): tf.TensorInfo;
  /** `input · weights` (+ bias, then relu when asked): `_FusedMatMul`'s result, from packed weights. */
  product(input: tf.TensorInfo, weights: tf.TensorInfo, bias: tf.TensorInfo | undefined, relu: boolean): tf.TensorInfo;
}

/** The activations tfjs-layers fuses into the product (`mapActivationToFusedKernel`) that we run. */
const fusedActivations = new Set(['linear', 'relu']);
/** Activations applied after the product and its bias, with the kernel tfjs-core's op calls. */
const separateActivations: Record<string, string> = { softmax: 'Softmax', sigmoid: 'Sigmoid' };

/** The step of one layer, or undefined when its kind (or configuration) is not compiled. */
function stepOf(layer: tfl.layers.Layer): Step | undefined {
  const kind = layer.getClassName();
  if (kind === 'Dropout' || kind === 'PolytaskStepDropout') return (input) => input;
  if (flattensAsView(layer)) return flattened;
  if (kind === 'Activation') {
    const activation = activationOf(layer);
    if (activation === 'linear') return (input) => input;
    if (activation === 'relu') return (input, calls) => calls.call('Relu', { x: input });
    const separate = activation === undefined ? undefined : separateActivations[activation];
    if (!separate) return undefined;
    return (input, calls) => activate(separate, input, calls);
  }
  if (kind !== 'Dense') return undefined;
  const dense = layer as unknown as { kernel?: { read(): tf.Tensor }; bias?: { read(): tf.Tensor } | null };
  const activation = activationOf(layer);
  if (!dense.kernel || activation === undefined) return undefined;
  const separate = separateActivations[activation];
  if (!fusedActivations.has(activation) && !separate) return undefined;
  return (input, calls) => {
    const kernel = dense.kernel?.read() as tf.Tensor;
    checkDenseInput(input, kernel.shape[0] as number);
    const bias = dense.bias?.read();
    // as tfjs-layers' Dense: relu and linear fused into the product with the bias, others after
    if (fusedActivations.has(activation)) return calls.product(input, kernel, bias, activation === 'relu');
    let output = calls.product(input, kernel, undefined, false);
    if (bias) output = calls.call('Add', { a: output, b: bias });
    return activate(separate as string, output, calls);
  };
}

function activate(kernelName: string, input: tf.TensorInfo, calls: KernelCalls): tf.TensorInfo {
  return kernelName === 'Softmax'
    ? calls.call('Softmax', { logits: input }, { dim: input.shape.length - 1 })
    : calls.call(kernelName, { x: input });
}

/**
 * Compiles `model` for inference on the current backend, or returns undefined where it cannot:
 * a backend other than wasm with Polytask's kernels registered (`selectBackend` registers them), more than one input, a layer used twice or
 * with several inputs, or a layer kind other than Dense (linear, relu, softmax or sigmoid),
 * Activation (the same), Dropout, StepDropout and Flatten (channels last); such models keep `model.apply`.
 * Weights are read at each run, so a compiled model follows training.
 */
export function compileInference(model: tfl.LayersModel): CompiledInference | undefined {
  const backend = tf.backend() as unknown as Backend;
  if (tf.getBackend() !== 'wasm' || !nativeKernels(backend)) return undefined;
  // Polytask's kernels (they take the 2-D operands given here; tfjs's own product wants 3-D ones)
  const kernels = wasmKernels({ own: ['_FusedMatMul', 'Add', 'Relu', 'Softmax'], registered: ['Sigmoid'] });
  if (!kernels) return undefined;

  // each output's chain of layers back to the input, shared prefixes computed once per run
  const steps = new Map<tfl.layers.Layer, Step>();
  const chains = layerChains(model, (layer) => {
    const step = stepOf(layer);
    if (step) steps.set(layer, step);
    return step !== undefined;
  });
  if (!chains) return undefined;
  const { inputLayer, sources, outputs, fits } = chains;
  // each weights tensor packed once into the product's panels (not for every batch), by data and
  // shape (a reshape shares its data): a layer's new weights have new data, and packings no run
  // used are freed after each run
  const packings = new Map<string, tf.TensorInfo>();
  const dataNumbers = new WeakMap<object, number>();
  let nextDataNumber = 0;
  const keyOf = (weights: tf.TensorInfo) => {
    let number = dataNumbers.get(weights.dataId);
    if (number === undefined) {
      number = nextDataNumber++;
      dataNumbers.set(weights.dataId, number);
    }
    return `${number}:${weights.shape.join('x')}`;
  };
  const freePackings = (keep: ReadonlySet<string>) => {
    for (const [key, packed] of packings)
      if (!keep.has(key)) {
        backend.disposeData(packed.dataId);
        packings.delete(key);
      }
  };
  const compiled: CompiledInference = {
    run(features) {
      // another backend now, or features the model does not take: model.apply (and its errors)
      if (tf.backend() !== (backend as unknown) || !fits(features)) return appliedOutputs(model, features);
      const created: tf.TensorInfo[] = [];
      const used = new Set<string>();
      const calls: KernelCalls = {
        call(name, inputs, attrs = {}) {
          const result = (kernels.get(name) as KernelFunction)({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs });
          created.push(result);
          return result;
        },
        product(input, weights, bias, relu) {
          const key = keyOf(weights);
          let packed = packings.get(key);
          if (!packed) {
            packed = packProductWeights(backend, weights);
            if (!packed) return calls.call('_FusedMatMul', { a: input, b: weights, ...(bias ? { bias } : {}) }, fusedAttributes(relu));
            packings.set(key, packed);
          }
          used.add(key);
          const result = packedProduct({ backend, input, weights, packed, bias, relu });
          created.push(result);
          return result;
        },
      };
      const values = new Map<tfl.layers.Layer, tf.TensorInfo>([[inputLayer, features]]);
      const computed = (layer: tfl.layers.Layer): tf.TensorInfo => {
        const known = values.get(layer);
        if (known) return known;
        const value = (steps.get(layer) as Step)(computed(sources.get(layer) as tfl.layers.Layer), calls);
        values.set(layer, value);
        return value;
      };
      try {
        return outputs.map((output) => readFloats(backend, computed(output)));
      } catch (error) {
        if (error instanceof UncompiledShape) return appliedOutputs(model, features);
        throw error;
      } finally {
        for (const tensor of created) backend.disposeData(tensor.dataId);
        freePackings(used);
      }
    },
    dispose() {
      freePackings(new Set());
    },
  };
  packingsOnCollect.register(compiled, { backend, free: () => freePackings(new Set()) });
  return compiled;
}

function fusedAttributes(relu: boolean): tf.NamedAttrMap {
  return { transposeA: false, transposeB: false, activation: relu ? 'relu' : 'linear', leakyreluAlpha: 0.2 };
}

/** Frees a compiled model's packed weights when it is garbage collected, if its backend is still the one in use. */
const packingsOnCollect = new FinalizationRegistry<{ backend: Backend; free: () => void }>(({ backend, free }) => {
  if ((tf.findBackend('wasm') as unknown) === backend) free();
});

/** `model.apply(features, { training: false })`'s outputs as float32 arrays: the uncompiled path. */
export function appliedOutputs(model: tfl.LayersModel, features: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const outputs = model.apply(features, { training: false }) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(outputs) ? outputs : [outputs]).map((output) => output.dataSync() as Float32Array);
  });
}
