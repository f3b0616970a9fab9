import type { TaskKind } from '@polytask/core';
import { type LossForm, probabilityBounds } from '../task-losses';

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
