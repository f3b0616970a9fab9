import type { TaskKind } from '@polytask/core';
import type { Batch, CombinedSet } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import type { LossCombiner } from '../loss-combiners';
import { type LossForm, lossForm, probabilityBounds, type TensorLoss } from '../task-losses';
import type { CompiledTrainingStep } from './compiled-training-step';

/** One task's share of a batch: its head's outputs, the targets and the rows that carry it. */
export interface HeadLossInput {
  /** The task's loss. */
  readonly form: LossForm;
  /** The task's kind: multi-class heads end in a softmax, binary and multi-label ones in a sigmoid, regression ones are linear. */
  readonly kind: TaskKind;
  /** The head's outputs, `[rows][width]`: probabilities, or predictions for regression. */
  readonly outputs: Float32Array;
  /** The target rows, `[rows][width]`. */
  readonly targets: Float32Array;
  /** 1 for each row that carries the task, 0 for the others. */
  readonly mask: Float32Array;
  /** How many rows carry the task (the mask's sum; more than 0). */
  readonly carrying: number;
  /** Columns of the head. */
  readonly width: number;
}

/**
 * A task's loss over a batch (the mean over the rows that carry it, as training's masked loss)
 * and its gradient with respect to the head's values before its activation: what the tape gives
 * through the clipped cross-entropy (no gradient where a probability is clipped) and the softmax
 * or sigmoid, or through the squared error, computed in double precision on the heads' few values.
 */
export function headLossGradient(input: HeadLossInput): { loss: number; logitGradient: Float32Array } {
  const { form, kind, outputs, targets, mask, carrying, width } = input;
  const rows = mask.length;
  const gradient = new Float32Array(rows * width);
  const [low, high] = probabilityBounds;
  const clip = (value: number) => Math.max(low, Math.min(high, value));
  const inside = (value: number) => value >= low && value <= high;
  let total = 0;
  const pointGradient = new Float64Array(width);
  for (let row = 0; row < rows; row++) {
    const share = (mask[row] as number) / carrying;
    const at = row * width;
    if (form.kind === 'mean-squared-error') {
      let rowLoss = 0;
      for (let column = 0; column < width; column++) {
        const error = (outputs[at + column] as number) - (targets[at + column] as number);
        rowLoss += error * error;
        gradient[at + column] = (share * 2 * error) / width;
      }
      total += (mask[row] as number) * (rowLoss / width);
      continue;
    }
    const weights = form.weights;
    if (kind === 'multi-class') {
      // −Σ w_c t_c log p_c; through the softmax: dz = p ⊙ (g − Σ g p)
      let rowLoss = 0;
      let dot = 0;
      for (let column = 0; column < width; column++) {
        const probability = outputs[at + column] as number;
        const weighted = (weights ? (weights[column] as number) : 1) * (targets[at + column] as number);
        rowLoss -= weighted * Math.log(clip(probability));
        const value = inside(probability) ? (-share * weighted) / probability : 0;
        pointGradient[column] = value;
        dot += value * probability;
      }
      for (let column = 0; column < width; column++) {
        const probability = outputs[at + column] as number;
        gradient[at + column] = probability * ((pointGradient[column] as number) - dot);
      }
      total += (mask[row] as number) * rowLoss;
      continue;
    }
    // binary and multi-label, per column: −mean[w⁺ t log p + w⁻ (1 − t) log(1 − p)]; through the sigmoid: dz = g p (1 − p)
    let rowLoss = 0;
    for (let column = 0; column < width; column++) {
      const probability = outputs[at + column] as number;
      const target = targets[at + column] as number;
      const [negativeWeight, positiveWeight] =
        weights === undefined ? [1, 1] : kind === 'binary' ? [weights[0] as number, weights[1] as number] : [1, weights[column] as number];
      const clipped = clip(probability);
      rowLoss -= positiveWeight * target * Math.log(clipped) + negativeWeight * (1 - target) * Math.log(1 - clipped);
      const value = inside(probability)
        ? (-share / width) * ((positiveWeight * target) / clipped - (negativeWeight * (1 - target)) / (1 - clipped))
        : 0;
      gradient[at + column] = value * probability * (1 - probability);
    }
    total += (mask[row] as number) * (rowLoss / width);
  }
  return { loss: total / carrying, logitGradient: gradient };
}

/** A task's rows of a batch: which carry it (the mask and its sum) and its target columns; undefined when none does. */
export function taskRows(
  batch: Batch,
  set: CombinedSet,
  taskIndex: number,
): { mask: Float32Array; carrying: number; targets: Float32Array; width: number } | undefined {
  const size = batch.indices.length;
  const taskCount = set.tasks.length;
  const mask = new Float32Array(size);
  let carrying = 0;
  for (let row = 0; row < size; row++) {
    mask[row] = batch.masks[row * taskCount + taskIndex] as number;
    carrying += mask[row] as number;
  }
  if (carrying === 0) return undefined;
  const [start, end] = (set.tasks[taskIndex] as CombinedSet['tasks'][number]).columns;
  const width = end - start;
  const targets = new Float32Array(size * width);
  for (let row = 0; row < size; row++)
    targets.set(batch.targets.subarray(row * set.columnCount + start, row * set.columnCount + end), row * width);
  return { mask, carrying, targets, width };
}

/** The head activation each task kind's loss form assumes. */
const formActivation = { 'multi-class': 'softmax', binary: 'sigmoid', 'multi-label': 'sigmoid', regression: 'linear' } as const;

/**
 * Each task's loss form when every task's loss has one and its head ends in the activation the
 * form assumes: then the compiled step takes the heads' gradients without the tape.
 */
export function headLossForms(
  step: CompiledTrainingStep,
  set: CombinedSet,
  losses: ReadonlyMap<string, TensorLoss>,
): LossForm[] | undefined {
  const forms = set.tasks.map((entry, index) => {
    const form = lossForm(losses.get(entry.task.name) as TensorLoss);
    return form && step.activations[index] === formActivation[entry.task.kind] ? form : undefined;
  });
  return forms.every((form) => form !== undefined) ? forms : undefined;
}

/**
 * The heads' part of a step without the tape: each task's masked loss and its gradient with
 * respect to its head's logits (`headLossGradient`), the combiner's combination of the losses (its
 * gradients with respect to each loss and to its own variables under the tape, on scalars), and
 * each head's gradient scaled by its loss's.
 */
export function combinedHeadGradients(options: {
  outputs: readonly Float32Array[];
  batch: Batch;
  set: CombinedSet;
  exclude: ReadonlySet<string>;
  forms: readonly LossForm[];
  combiner: LossCombiner;
}): { logitGradients: (Float32Array | undefined)[]; taskLosses: Map<string, number>; value: number; combinerGradients: tf.NamedTensorMap } {
  const { outputs, batch, set, exclude, forms, combiner } = options;
  // the tasks the batch trains, in the set's order
  const heads = set.tasks.flatMap((entry, taskIndex) => {
    if (exclude.has(entry.task.name)) return [];
    const rows = taskRows(batch, set, taskIndex);
    if (!rows) return [];
    const head = headLossGradient({
      form: forms[taskIndex] as LossForm,
      kind: entry.task.kind,
      outputs: outputs[taskIndex] as Float32Array,
      ...rows,
    });
    return [{ name: entry.task.name, taskIndex, ...head }];
  });
  const scalars = heads.map((head) => tf.scalar(head.loss));
  const variables = combiner.variables.filter((variable) => variable.trainable);
  const { value, grads } = tf
    .engine()
    .gradients(
      () => combiner.combine(new Map(heads.map((head, index) => [head.name, scalars[index] as tf.Scalar]))),
      [...scalars, ...variables],
      undefined,
      true,
    );
  const logitGradients: (Float32Array | undefined)[] = set.tasks.map(() => undefined);
  heads.forEach((head, index) => {
    // a loss the combination does not reach gives its head no gradient (as under the tape); a zero weight gives zeros
    const weight = grads[index];
    if (weight) {
      const factor = weight.dataSync()[0] as number;
      logitGradients[head.taskIndex] = head.logitGradient.map((gradient) => gradient * factor);
    }
  });
  const combinerGradients: tf.NamedTensorMap = {};
  variables.forEach((variable, index) => {
    const gradient = grads[heads.length + index];
    if (gradient) combinerGradients[variable.name] = gradient;
  });
  const combined = value.dataSync()[0] as number;
  tf.dispose([value, ...scalars, ...grads.slice(0, heads.length).filter((gradient) => gradient !== undefined && gradient !== null)]);
  return {
    logitGradients,
    taskLosses: new Map(heads.map((head) => [head.name, head.loss])),
    value: combined,
    combinerGradients,
  };
}
