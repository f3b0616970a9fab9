import type * as tfl from '@tensorflow/tfjs-layers';

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
  return { inputLayer, sources, outputs };
}
