/**
 * The training step of the combiners that work on the gradients with respect to the shared
 * representation (MGDA-UB, `LossCombiner.representationGradients`): the model split where its heads
 * start, each task's gradient for the representation and its heads, the combiner's merge, and the
 * representation's backward into the shared layers.
 */
import { InvalidArgumentError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A model cut at its shared representation. */
export interface RepresentationSplit {
  /** The layers up to the representation, as a model sharing the original's weights. */
  readonly trunk: tfl.LayersModel;
  /** Each output's layers after the representation, in the model's output order. */
  readonly heads: readonly (readonly tfl.layers.Layer[])[];
}

/** The layers feeding `layer` (its first call's inputs). */
function inboundOf(layer: tfl.layers.Layer): tfl.layers.Layer[] {
  const node = (layer as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes[0];
  return node ? node.inboundLayers : [];
}

/**
 * Cuts `model` where its heads start: the last layer every output's chain of single-input layers
 * passes through (for one output, the output layer's input).
 * @throws InvalidArgumentError when the outputs share no such layer (soft-sharing models, heads that
 * take several inputs).
 */
export function splitAtRepresentation(model: tfl.LayersModel, combiner: string): RepresentationSplit {
  const paths = model.outputs.map((output) => {
    const path: tfl.layers.Layer[] = [output.sourceLayer as tfl.layers.Layer];
    for (;;) {
      const inbound = inboundOf(path.at(-1) as tfl.layers.Layer);
      if (inbound.length !== 1) break;
      path.push(inbound[0] as tfl.layers.Layer);
    }
    return path;
  });
  const first = paths[0] ?? [];
  const representation = first.slice(paths.length === 1 ? 1 : 0).find((layer) => paths.every((path) => path.includes(layer)));
  if (!representation || inboundOf(representation).length === 0)
    throw new InvalidArgumentError({
      argument: 'lossCombiner',
      value: combiner,
      message: `The ${combiner} loss combiner needs a model whose heads all start from one shared layer (the hard-sharing DNN or CNN); ${model.name}'s outputs share none. Use mgda (on the shared parameters' gradients) instead.`,
    });
  const trunk = tfl.model({ inputs: model.inputs, outputs: representation.output as tfl.SymbolicTensor });
  if (trunk.trainableWeights.length === 0)
    throw new InvalidArgumentError({
      argument: 'lossCombiner',
      value: combiner,
      message: `The ${combiner} loss combiner back-propagates into the layers shared by every head, but ${model.name}'s heads start from ${representation.name}, below which nothing trains (a DNN without hidden layers?). Use mgda instead, or give the model shared layers.`,
    });
  const heads = paths.map((path) => path.slice(0, path.indexOf(representation)).reverse());
  return { trunk, heads };
}

let representationCount = 0;

/** What {@link representationGradientStep} needs. */
export interface RepresentationStepOptions {
  /** The shared representation of the batch (the trunk's forward pass in training mode); called twice. */
  readonly representation: () => tf.Tensor;
  /** The present tasks' losses from the heads applied to a representation. */
  readonly losses: (representation: tf.Tensor) => ReadonlyMap<string, tf.Scalar>;
  /** The trunk's trainable variables. */
  readonly sharedVariables: readonly tf.Variable[];
  /** The heads' trainable variables. */
  readonly headVariables: readonly tf.Variable[];
  /** The combiner's merge of the per-task representation gradients. */
  readonly merge: (perTask: ReadonlyMap<string, tf.Tensor>, losses: ReadonlyMap<string, number>) => tf.Tensor;
  /** State the second forward pass must not change (batch norm's moving statistics): read before it, written back after. */
  readonly keep?: readonly tfl.LayerVariable[];
  /** State of the heads (their batch norm's moving statistics) that only the first of the heads' passes may change. */
  readonly keepHeads?: readonly tfl.LayerVariable[];
}

/**
 * One step's gradients: per present task, the gradients of its loss for the representation (held as
 * a variable) and the heads; the combiner's merged representation gradient g; the shared variables'
 * gradients as the backward of the representation with g (a second forward pass of the trunk, whose
 * moving statistics are put back); the heads' gradients summed over the tasks.
 */
export function representationGradientStep(options: RepresentationStepOptions): {
  gradients: tf.NamedTensorMap;
  losses: Map<string, number>;
} {
  const initial = tf.tidy(options.representation);
  const representation = tf.variable(initial, true, `polytask_representation_${representationCount++}`);
  initial.dispose();
  const lossValues = new Map<string, number>();
  tf.tidy(() => {
    for (const [task, loss] of options.losses(representation)) lossValues.set(task, loss.dataSync()[0] as number);
  });
  // the heads run once more per task below: their state stays as this first pass left it
  const headState = (options.keepHeads ?? []).map((variable) => variable.read().clone());
  const perTask = new Map<string, tf.Tensor>();
  const gradients: tf.NamedTensorMap = {};
  try {
    for (const task of lossValues.keys()) {
      const { value, grads } = tf.variableGrads(
        () => options.losses(representation).get(task) as tf.Scalar,
        [representation, ...options.headVariables],
      );
      value.dispose();
      for (const [name, gradient] of Object.entries(grads)) {
        if (name === representation.name) {
          perTask.set(task, gradient);
          continue;
        }
        const previous = gradients[name];
        gradients[name] = previous ? tf.add(previous, gradient) : gradient;
        if (previous) {
          previous.dispose();
          gradient.dispose();
        }
      }
    }
    for (const [index, variable] of (options.keepHeads ?? []).entries()) variable.write(headState[index] as tf.Tensor);
    const merged = options.merge(perTask, lossValues);
    const kept = (options.keep ?? []).map((variable) => variable.read().clone());
    try {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(options.representation(), merged)) as tf.Scalar,
        [...options.sharedVariables],
      );
      value.dispose();
      Object.assign(gradients, grads);
    } finally {
      for (const [index, variable] of (options.keep ?? []).entries()) variable.write(kept[index] as tf.Tensor);
      tf.dispose([merged, ...kept]);
    }
    return { gradients, losses: lossValues };
  } finally {
    tf.dispose([representation, ...perTask.values(), ...headState]);
  }
}
