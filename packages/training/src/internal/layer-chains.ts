import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ownWasmKernel } from '../wasm-training-kernels';

interface SymbolicSource {
  sourceLayer: tfl.layers.Layer;
  nodeIndex: number;
  tensorIndex: number;
}

interface InboundNode {
  inboundLayers: tfl.layers.Layer[];
  nodeIndices: number[];
  tensorIndices: number[];
}

/** A model whose layers each take one input: each layer's source, in the order `model.apply` runs them. */
export interface LayerChains {
  /** The model's single input layer. */
  readonly inputLayer: tfl.layers.Layer;
  /** Every layer between the input and the outputs with the layer it takes its input from, in execution order. */
  readonly sources: ReadonlyMap<tfl.layers.Layer, tfl.layers.Layer>;
  /** The layers producing the model's outputs, in `model.outputs` order. */
  readonly outputs: readonly tfl.layers.Layer[];
  /** Whether `features` are float32 and shaped as the model's input (any batch size). */
  fits(features: tf.TensorInfo): boolean;
}

/**
 * The model as chains of single-input layers from its one input to each output (shared prefixes
 * once, ordered as tfjs-layers executes them: depth first from each output in turn), or undefined
 * when it has several inputs, a layer used twice or taking several inputs, or a layer `accepts`
 * refuses.
 */
export function layerChains(model: tfl.LayersModel, accepts: (layer: tfl.layers.Layer) => boolean): LayerChains | undefined {
  const input = model.inputs.length === 1 ? (model.inputs[0] as unknown as SymbolicSource) : undefined;
  if (input?.tensorIndex !== 0) return undefined;
  const inputLayer = input.sourceLayer;
  const sources = new Map<tfl.layers.Layer, tfl.layers.Layer>();
  const resolve = (layer: tfl.layers.Layer): boolean => {
    if (layer === inputLayer || sources.has(layer)) return true;
    const nodes = (layer as unknown as { inboundNodes: InboundNode[] }).inboundNodes;
    const node = nodes.length === 1 ? nodes[0] : undefined;
    if (node?.inboundLayers.length !== 1 || node.nodeIndices[0] !== 0 || node.tensorIndices[0] !== 0) return false;
    const source = node.inboundLayers[0] as tfl.layers.Layer;
    if (!accepts(layer) || !resolve(source)) return false;
    sources.set(layer, source);
    return true;
  };
  const outputs: tfl.layers.Layer[] = [];
  for (const output of model.outputs as unknown as SymbolicSource[]) {
    const layer = output.sourceLayer;
    if (output.nodeIndex !== 0 || output.tensorIndex !== 0 || layer === inputLayer || !resolve(layer)) return undefined;
    outputs.push(layer);
  }
  const expected = (model.inputs[0] as unknown as { shape: (number | null)[] }).shape;
  const fits = (features: tf.TensorInfo) =>
    features.dtype === 'float32' &&
    features.shape.length === expected.length &&
    expected.every((size, axis) => size === null || size === features.shape[axis]);
  return { inputLayer, sources, outputs, fits };
}

/** A kernel function as registered (the compiled passes call them directly). */
export type KernelFunction = (parameters: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

/**
 * The wasm kernel functions a compiled pass calls, by name: `own` must be Polytask's (their operand
 * shapes are the ones given), `registered` whatever is registered; undefined when one is missing.
 */
export function wasmKernels(names: { own: readonly string[]; registered: readonly string[] }): Map<string, KernelFunction> | undefined {
  const kernels = new Map<string, KernelFunction>();
  for (const name of names.own) {
    const own = ownWasmKernel(name);
    if (!own) return undefined;
    kernels.set(name, own as KernelFunction);
  }
  for (const name of names.registered) {
    const registered = tf.getKernel(name, 'wasm');
    if (!registered) return undefined;
    kernels.set(name, registered.kernelFunc as unknown as KernelFunction);
  }
  return kernels;
}

/** A layer's activation's class name (`relu`, `softmax`, ...), undefined for a layer without one. */
export function activationOf(layer: tfl.layers.Layer): string | undefined {
  return (layer as unknown as { activation?: { getClassName(): string } }).activation?.getClassName();
}

/** Thrown inside a compiled run when a dense layer's input is not the 2-D float32 one compiled; the caller falls back to tfjs. */
export class UncompiledShape extends Error {}

/** Throws {@link UncompiledShape} unless `input` is 2-D float32 with `columns` columns (a dense layer's input). */
export function checkDenseInput(input: tf.TensorInfo, columns: number): void {
  if (input.shape.length !== 2 || input.shape[1] !== columns || input.dtype !== 'float32') throw new UncompiledShape();
}

/** A channels-last Flatten: the same data as `[batch, everything else]`. */
export function flattened(input: tf.TensorInfo): tf.TensorInfo {
  return {
    dataId: input.dataId,
    dtype: input.dtype,
    shape: [input.shape[0] as number, input.shape.slice(1).reduce((product, size) => product * size, 1)],
  };
}

/** Whether a Flatten layer flattens as a view (channels last; channels first transposes first). */
export function flattensAsView(layer: tfl.layers.Layer): boolean {
  return layer.getClassName() === 'Flatten' && (layer as unknown as { dataFormat?: string }).dataFormat !== 'channelsFirst';
}

/** A kernel output's values read back as float32. */
export function readFloats(backend: { readSync(dataId: object): ArrayLike<number> }, tensor: tf.TensorInfo): Float32Array {
  const data = backend.readSync(tensor.dataId);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
