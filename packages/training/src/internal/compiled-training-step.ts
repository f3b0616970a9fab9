/**
 * A training step of a dense model without the gradient tape's bookkeeping. Under
 * `tf.variableGrads` a batch-32 DNN step on wasm runs about 250 kernels, most of them the engine's
 * reshapes, identities and scopes around the products, and spends more time in that bookkeeping
 * than in the products. Here the forward pass runs as direct calls to the kernels `model.apply`
 * reaches under a tape (the same operands: unfused product, bias and relu in the hidden layers,
 * the fused linear product for linear layers and heads), and the backward pass calls the kernels
 * tfjs's gradient functions call, in the order the tape runs them. Between the two, either the
 * heads' bias and activation, the losses and their combination run under the tape (`gradients`:
 * custom losses and combiners keep their gradients, which are bit for bit `tf.variableGrads`'s), or
 * the caller gives each head's gradient from the outputs' values (`gradientsFromHeads`: no tape).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { nativeKernelActive, reluGradientKernelName } from '../wasm-training-kernels';
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
} from './layer-chains';

/** A compiled step: the combined loss and the gradients of one batch. */
export interface CompiledTrainingStep {
  /** Each output's head activation: softmax, sigmoid, or linear (none). */
  readonly activations: readonly HeadActivationName[];
  /**
   * Runs `features` through the model in training mode, `loss` on its outputs (under the tape), and
   * the backward pass; returns `tf.variableGrads(() => loss(model.apply(features, { training: true })), variables)`:
   * the loss and the gradients, by variable name, of those of `variables` it reaches. Undefined
   * (nothing run) when the backend changed or the features are not the shape compiled for.
   */
  gradients(options: {
    features: tf.Tensor;
    loss: (outputs: tf.Tensor[]) => tf.Scalar;
    variables: readonly tf.Variable[];
  }): { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  /**
   * The same without a tape: `headGradients` gets the outputs' values and returns, for each output,
   * the loss's gradient with respect to the head's values before its activation (undefined for a
   * head the loss leaves out); returns the gradients, by variable name, of the model's weights among
   * `variables`. Undefined (nothing run) as for {@link CompiledTrainingStep.gradients}.
   */
  gradientsFromHeads(options: {
    features: tf.Tensor;
    headGradients: (outputs: Float32Array[]) => (Float32Array | undefined)[];
    variables: readonly tf.Variable[];
  }): tf.NamedTensorMap | undefined;
}

/** A head's activation. */
export type HeadActivationName = 'softmax' | 'sigmoid' | 'linear';

/** What one step's layers share: kernel calls, the variables to differentiate and the gradients found. */
interface StepContext {
  call(name: string, inputs: Record<string, tf.TensorInfo>, attrs?: tf.NamedAttrMap): tf.TensorInfo;
  wanted(variable: tf.Variable): boolean;
  /** Hands a variable's gradient out (it becomes a tensor the caller owns). */
  gradient(variable: tf.Variable, value: tf.TensorInfo): void;
  /** Keeps a tensor the backward pass needs until the step ends. */
  retain(tensor: tf.Tensor): void;
  /** A new float32 tensor of `shape` for the step (uninitialised), freed with its intermediates. */
  allocate(shape: number[]): tf.TensorInfo;
}

/** A layer's forward pass: its output and the backward pass from its output's gradient (the input's, when asked). */
interface Forward {
  output: tf.TensorInfo;
  /** A head's activation and the bias added before it (outputs of softmax and sigmoid Dense layers: the output is their product). */
  head?: { activation: 'softmax' | 'sigmoid'; bias: tf.Variable | undefined };
  backward(gradient: tf.TensorInfo, wantInput: boolean): tf.TensorInfo | undefined;
}

type LayerPass = (input: tf.TensorInfo, context: StepContext) => Forward;

const view = (tensor: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: tensor.dataId, dtype: tensor.dtype, shape });
const noAttributes = {};

/** The pass of one layer, or undefined when its kind (or configuration) is not compiled; `output`: the layer is a model output. */
function passOf(layer: tfl.layers.Layer, output: boolean): LayerPass | undefined {
  const kind = layer.getClassName();
  if (kind === 'Dropout' || kind === 'PolytaskStepDropout') {
    const rate = (layer as unknown as { rate: number }).rate;
    return (input, context) => {
      if (!(rate > 0 && rate < 1)) return { output: input, backward: (gradient) => gradient };
      // the layer's own mask for this step: the layer applied to ones gives its multiplier bit for bit
      const multiplier = tf.tidy(() => layer.apply(tf.ones(input.shape), { training: true }) as tf.Tensor);
      context.retain(multiplier);
      return {
        output: context.call('Multiply', { a: input, b: multiplier }),
        backward: (gradient) => context.call('Multiply', { a: gradient, b: multiplier }),
      };
    };
  }
  if (flattensAsView(layer)) return (input) => ({ output: flattened(input), backward: (gradient) => view(gradient, input.shape) });
  if (kind === 'Activation') {
    const activation = activationOf(layer);
    if (activation === 'linear') return (input) => ({ output: input, backward: (gradient) => gradient });
    if (activation !== 'relu') return undefined;
    return (input, context) => ({
      output: context.call('Relu', { x: input }),
      backward: (gradient) => context.call(reluGradientKernelName, { dy: gradient, x: input }),
    });
  }
  if (kind !== 'Dense') return undefined;
  const dense = layer as unknown as { kernel?: { read(): tf.Tensor }; bias?: { read(): tf.Tensor } | null; input?: { shape: unknown[] } };
  const activation = activationOf(layer);
  if (!dense.kernel || dense.input?.shape.length !== 2) return undefined;
  const kernelOf = () => dense.kernel?.read() as tf.Variable;
  const biasOf = () => dense.bias?.read() as tf.Variable | undefined;
  if (activation === 'relu' && !output) return reluDense(kernelOf, biasOf);
  if (activation === 'linear') return linearDense(kernelOf, biasOf, true);
  if ((activation === 'softmax' || activation === 'sigmoid') && output) {
    const pass = linearDense(kernelOf, biasOf, false);
    return (input, context) => ({ ...pass(input, context), head: { activation, bias: biasOf() } });
  }
  return undefined;
}

/**
 * A relu Dense as it runs under a tape (fusion is off while gradients are recorded): product,
 * bias, relu; backward: relu's gradient, the bias's sum over rows, the two products.
 */
function reluDense(kernelOf: () => tf.Variable, biasOf: () => tf.Variable | undefined): LayerPass {
  return (input, context) => {
    const kernel = kernelOf();
    const bias = biasOf();
    checkDenseInput(input, kernel.shape[0] as number);
    const product = context.call('BatchMatMul', { a: input, b: kernel }, { transposeA: false, transposeB: false });
    const biased = bias ? context.call('Add', { a: product, b: bias }) : product;
    const output = context.call('Relu', { x: biased });
    return {
      output,
      backward(gradient, wantInput) {
        const activated = context.call(reluGradientKernelName, { dy: gradient, x: biased });
        if (bias && context.wanted(bias)) context.gradient(bias, context.call('Sum', { x: activated }, { axis: [0], keepDims: false }));
        const inputGradient = wantInput
          ? context.call('BatchMatMul', { a: activated, b: kernel }, { transposeA: false, transposeB: true })
          : undefined;
        if (context.wanted(kernel))
          context.gradient(kernel, context.call('BatchMatMul', { a: input, b: activated }, { transposeA: true, transposeB: false }));
        return inputGradient;
      },
    };
  };
}

/**
 * A linear Dense (or a head's product before its bias and activation, `withBias` false): tfjs's
 * fused product on 3-D views, fused even under a tape; backward as its custom gradient.
 */
function linearDense(kernelOf: () => tf.Variable, biasOf: () => tf.Variable | undefined, withBias: boolean): LayerPass {
  return (input, context) => {
    const kernel = kernelOf();
    const bias = withBias ? biasOf() : undefined;
    checkDenseInput(input, kernel.shape[0] as number);
    const [rows, inner] = input.shape as [number, number];
    const units = kernel.shape[1] as number;
    const a = view(input, [1, rows, inner]);
    const b = view(kernel, [1, inner, units]);
    const product = context.call(
      '_FusedMatMul',
      { a, b, ...(bias ? { bias } : {}) },
      { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 },
    );
    return {
      output: view(product, [rows, units]),
      backward(gradient, wantInput) {
        const dy = view(gradient, [1, rows, units]);
        const inputGradient = wantInput
          ? view(context.call('BatchMatMul', { a: dy, b }, { transposeA: false, transposeB: true }), [rows, inner])
          : undefined;
        if (context.wanted(kernel))
          context.gradient(
            kernel,
            view(context.call('BatchMatMul', { a, b: dy }, { transposeA: true, transposeB: false }), [inner, units]),
          );
        if (bias && context.wanted(bias)) context.gradient(bias, context.call('Sum', { x: dy }, { axis: [0, 1], keepDims: false }));
        return inputGradient;
      },
    };
  };
}

/**
 * Compiles `model`'s training step on the current backend, or returns undefined where it cannot:
 * a backend other than wasm with Polytask's kernels (and their relu gradient), more than one input,
 * a layer used twice or with several inputs, or layers other than Dense (relu or linear inside;
 * softmax, sigmoid or linear as an output), Activation (relu, linear), Dropout, StepDropout and
 * Flatten (channels last), or an output layer that also feeds another layer.
 */
export function compileTrainingStep(model: tfl.LayersModel): CompiledTrainingStep | undefined {
  const backend = tf.backend();
  if (tf.getBackend() !== 'wasm' || !nativeKernelActive(reluGradientKernelName)) return undefined;
  const kernels = wasmKernels({
    own: ['BatchMatMul', '_FusedMatMul', 'Sum', 'Relu', 'Softmax'],
    registered: ['Add', 'Multiply', 'Sigmoid', reluGradientKernelName],
  });
  if (!kernels) return undefined;
  const outputLayers = new Set((model.outputs as unknown as { sourceLayer: tfl.layers.Layer }[]).map((output) => output.sourceLayer));
  const passes = new Map<tfl.layers.Layer, LayerPass>();
  const chains = layerChains(model, (layer) => {
    const pass = passOf(layer, outputLayers.has(layer));
    if (pass) passes.set(layer, pass);
    return pass !== undefined;
  });
  if (!chains) return undefined;
  const { inputLayer, sources, outputs, fits } = chains;
  // an output is the end of its chain: no layer takes its input from it
  for (const source of sources.values()) if (outputLayers.has(source)) return undefined;
  const modelWeights = new Set(model.weights.map((weight) => weight.read() as tf.Variable));
  const activations = outputs.map((layer): HeadActivationName => {
    const activation = activationOf(layer);
    return activation === 'softmax' || activation === 'sigmoid' ? activation : 'linear';
  });

  /**
   * One step: the forward pass, `middle` (the outputs' gradients from the outputs), the backward
   * pass; undefined when the features do not fit. Intermediate tensors are freed, handed-out ones kept.
   */
  const step = <Result>(
    features: tf.Tensor,
    variables: readonly tf.Variable[],
    middle: (step: {
      forwards: ReadonlyMap<tfl.layers.Layer, Forward>;
      outputs: tf.TensorInfo[];
      context: StepContext;
      trainable: ReadonlySet<tf.Variable>;
      grads: tf.NamedTensorMap;
      /** Keeps a tensor's data when the step frees its intermediates. */
      handOut(tensor: tf.TensorInfo): void;
    }) => { outputGradients: (tf.TensorInfo | undefined)[]; result: Result; cleanUp?: () => void },
  ): Result | undefined => {
    if (tf.backend() !== backend || !fits(features)) return undefined;
    const trainable = new Set(variables.filter((variable) => variable.trainable));
    const created: tf.TensorInfo[] = [];
    const retained: tf.Tensor[] = [];
    const handedOut = new Set<object>();
    const grads: tf.NamedTensorMap = {};
    const context: StepContext = {
      call(name, inputs, attrs = noAttributes) {
        const result = (kernels.get(name) as KernelFunction)({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs });
        created.push(result);
        return result;
      },
      wanted: (variable) => trainable.has(variable),
      gradient(variable, value) {
        handedOut.add(value.dataId);
        grads[variable.name] = tf.engine().makeTensorFromTensorInfo({ ...value, shape: [...variable.shape] });
      },
      retain: (tensor) => retained.push(tensor),
      allocate(shape) {
        const result = (backend as unknown as { makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo }).makeOutput(
          shape,
          'float32',
        );
        created.push(result);
        return result;
      },
    };
    let cleanUp: (() => void) | undefined;
    try {
      // forward, in the order tfjs-layers runs the layers
      const forwards = new Map<tfl.layers.Layer, Forward>();
      const outputOf = (layer: tfl.layers.Layer): tf.TensorInfo =>
        layer === inputLayer ? features : (forwards.get(layer) as Forward).output;
      for (const [layer, source] of sources) forwards.set(layer, (passes.get(layer) as LayerPass)(outputOf(source), context));
      const middleStep = middle({
        forwards,
        outputs: outputs.map(outputOf),
        context,
        trainable,
        grads,
        handOut: (tensor) => handedOut.add(tensor.dataId),
      });
      cleanUp = middleStep.cleanUp;
      // a layer's output gradient is needed where a weight being differentiated lies on its chain back to the input
      const needed = new Map<tfl.layers.Layer, boolean>();
      for (const [layer, source] of sources)
        needed.set(layer, needed.get(source) === true || layer.weights.some((weight) => trainable.has(weight.read() as tf.Variable)));
      // backward, layers in reverse order; a layer's output gradient sums its consumers' in the tape's order
      const pending = new Map<tfl.layers.Layer, tf.TensorInfo>();
      outputs.forEach((layer, index) => {
        const gradient = middleStep.outputGradients[index];
        if (gradient) pending.set(layer, gradient);
      });
      for (const layer of [...sources.keys()].reverse()) {
        const gradient = pending.get(layer);
        if (!gradient) continue;
        const source = sources.get(layer) as tfl.layers.Layer;
        const inputGradient = (forwards.get(layer) as Forward).backward(gradient, needed.get(source) === true);
        if (!inputGradient) continue;
        const known = pending.get(source);
        pending.set(source, known ? context.call('Add', { a: known, b: inputGradient }) : inputGradient);
      }
      return middleStep.result;
    } catch (error) {
      tf.dispose(Object.values(grads));
      if (error instanceof UncompiledShape) return undefined;
      throw error;
    } finally {
      cleanUp?.();
      tf.dispose(retained);
      for (const tensor of created) if (!handedOut.has(tensor.dataId)) backend.disposeData(tensor.dataId);
    }
  };

  return {
    activations,
    gradients({ features, loss, variables }) {
      return step(features, variables, ({ forwards, outputs: values, trainable, grads, handOut }) => {
        // the heads' biases and activations, the losses and their combination under the tape
        const products = values.map((value) => {
          handOut(value);
          return tf.engine().makeTensorFromTensorInfo(value);
        });
        const cleanUp = () => tf.dispose(products);
        try {
          const heads = outputs.map((layer) => forwards.get(layer)?.head);
          // under the tape: the heads' biases and variables of the loss's own (a combiner's); the other weights are the passes'
          const tapeVariables = [
            ...new Set([
              ...heads.flatMap((head) => (head?.bias ? [head.bias] : [])),
              ...[...trainable].filter((variable) => !modelWeights.has(variable)),
            ]),
          ].filter((variable) => trainable.has(variable));
          const taped = tf.engine().gradients(
            () =>
              loss(
                products.map((product, index) => {
                  const head = heads[index];
                  if (!head) return product;
                  // as tfjs-layers' Dense: the bias added after the product, then the activation
                  const biased = head.bias ? tf.add(product, head.bias) : product;
                  return head.activation === 'softmax' ? tf.softmax(biased, -1) : tf.sigmoid(biased);
                }),
              ),
            [...products, ...tapeVariables],
            undefined,
            true,
          );
          for (const [index, variable] of tapeVariables.entries()) {
            const gradient = taped.grads[products.length + index];
            if (gradient) grads[variable.name] = gradient;
          }
          const outputGradients = taped.grads.slice(0, products.length);
          return {
            outputGradients,
            result: { value: taped.value as tf.Scalar, grads },
            cleanUp: () => {
              cleanUp();
              tf.dispose(outputGradients.filter((gradient): gradient is tf.Tensor => gradient !== null && gradient !== undefined));
            },
          };
        } catch (error) {
          cleanUp();
          throw error;
        }
      });
    },
    gradientsFromHeads({ features, headGradients, variables }) {
      return step(features, variables, ({ forwards, outputs: values, context, grads }) => {
        const internals = backend as unknown as WasmHeap;
        // the heads' biases and activations as the kernels the tape would run
        const activated = outputs.map((layer, index) => {
          const head = forwards.get(layer)?.head;
          const product = values[index] as tf.TensorInfo;
          if (!head) return product;
          const biased = head.bias ? context.call('Add', { a: product, b: head.bias }) : product;
          return head.activation === 'softmax'
            ? context.call('Softmax', { logits: biased }, { dim: biased.shape.length - 1 })
            : context.call('Sigmoid', { x: biased });
        });
        const logitGradients = headGradients(activated.map((tensor) => readFloats(internals, tensor)));
        const outputGradients = outputs.map((layer, index) => {
          const values = logitGradients[index];
          if (!values) return undefined;
          const gradient = context.allocate([...(activated[index] as tf.TensorInfo).shape]);
          internals.typedArrayFromHeap(gradient).set(values);
          const head = forwards.get(layer)?.head;
          // the bias's gradient as the Add before the activation gives it: the sum over the rows
          if (head?.bias && context.wanted(head.bias))
            context.gradient(head.bias, context.call('Sum', { x: gradient }, { axis: [0], keepDims: false }));
          return gradient;
        });
        return { outputGradients, result: grads };
      });
    },
  };
}

interface WasmHeap {
  readSync(dataId: object): ArrayLike<number>;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
}
