/**
 * Optimizers by name (Adam default, SGD with momentum, RMSProp, AdamW with decoupled weight
 * decay) or as a tfjs instance, and learning-rate schedules (step, cosine, reduce-on-plateau).
 * Adam's per-variable update runs as one fused kernel on wasm.
 */
import { InvalidArgumentError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import { FusedAdamOptimizer } from './internal/fused-adam-optimizer';

/** An optimizer by name. */
export type OptimizerSpec =
  | { readonly name: 'adam'; readonly learningRate?: number; readonly beta1?: number; readonly beta2?: number }
  | { readonly name: 'adamw'; readonly learningRate?: number; readonly weightDecay?: number }
  | { readonly name: 'sgd'; readonly learningRate?: number; readonly momentum?: number; readonly nesterov?: boolean }
  | { readonly name: 'rmsprop'; readonly learningRate?: number; readonly decay?: number; readonly momentum?: number };

/** A learning-rate schedule over epochs. */
export type LearningRateSchedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly everyEpochs: number; readonly factor?: number }
  | { readonly kind: 'cosine'; readonly epochs: number; readonly minimum?: number }
  | {
      readonly kind: 'reduce-on-plateau';
      readonly patience?: number;
      readonly factor?: number;
      readonly minimum?: number;
      readonly minDelta?: number;
    };

/** The optimizer in use, with what the loop needs beyond tfjs. */
export interface TrainingOptimizer {
  readonly optimizer: tf.Optimizer;
  readonly baseLearningRate: number;
  /** Decoupled weight decay (AdamW), applied after each step. */
  readonly weightDecay: number;
  learningRate(): number;
  setLearningRate(value: number): void;
}

/** Creates an optimizer from a spec, or wraps an instance (whose learning rate is read from it). */
export function createTrainingOptimizer(spec: OptimizerSpec | tf.Optimizer = { name: 'adam' }): TrainingOptimizer {
  let optimizer: tf.Optimizer;
  let weightDecay = 0;
  if (spec instanceof tf.Optimizer) optimizer = spec;
  else {
    const learningRate = spec.learningRate ?? 1e-3;
    if (!(learningRate > 0))
      throw new InvalidArgumentError({
        argument: 'learningRate',
        value: learningRate,
        message: `learningRate must be positive, got ${learningRate}.`,
      });
    switch (spec.name) {
      case 'adam':
        optimizer = new FusedAdamOptimizer(learningRate, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999);
        break;
      case 'adamw':
        optimizer = new FusedAdamOptimizer(learningRate, 0.9, 0.999);
        weightDecay = spec.weightDecay ?? 0.01;
        break;
      case 'sgd':
        optimizer = spec.momentum ? tf.train.momentum(learningRate, spec.momentum, spec.nesterov ?? false) : tf.train.sgd(learningRate);
        break;
      case 'rmsprop':
        optimizer = tf.train.rmsprop(learningRate, spec.decay ?? 0.9, spec.momentum ?? 0);
        break;
      default:
        throw new InvalidArgumentError({
          argument: 'optimizer',
          value: (spec as { name: string }).name,
          message: `Unknown optimizer "${(spec as { name: string }).name}"; use adam, adamw, sgd or rmsprop.`,
        });
    }
  }
  const holder = optimizer as unknown as { learningRate: number; setLearningRate?: (value: number) => void };
  const baseLearningRate = holder.learningRate;
  return {
    optimizer,
    baseLearningRate,
    weightDecay,
    learningRate: () => holder.learningRate,
    setLearningRate(value) {
      if (typeof holder.setLearningRate === 'function') holder.setLearningRate(value);
      else holder.learningRate = value;
    },
  };
}

/** Tracks a schedule; call `update` after every epoch. */
export interface ScheduleState {
  /** The learning rate for the next epoch. */
  update(options: { epoch: number; monitored?: number; higherIsBetter?: boolean }): number;
  toJSON(): { best: number | null; wait: number; current: number };
}

/** Creates a schedule state for `optimizer`. */
export function createSchedule(
  schedule: LearningRateSchedule,
  optimizer: TrainingOptimizer,
  restored?: { best: number | null; wait: number; current: number },
): ScheduleState {
  let best = restored?.best ?? null;
  let wait = restored?.wait ?? 0;
  let current = restored?.current ?? optimizer.baseLearningRate;
  optimizer.setLearningRate(current);
  return {
    update({ epoch, monitored, higherIsBetter = false }) {
      const base = optimizer.baseLearningRate;
      if (schedule.kind === 'step') current = base * (schedule.factor ?? 0.1) ** Math.floor(epoch / schedule.everyEpochs);
      else if (schedule.kind === 'cosine') {
        const minimum = schedule.minimum ?? 0;
        current = minimum + ((base - minimum) * (1 + Math.cos((Math.PI * Math.min(epoch, schedule.epochs)) / schedule.epochs))) / 2;
      } else if (schedule.kind === 'reduce-on-plateau' && monitored !== undefined) {
        const score = higherIsBetter ? monitored : -monitored;
        if (best === null || score > best + (schedule.minDelta ?? 1e-4)) {
          best = score;
          wait = 0;
        } else if (++wait > (schedule.patience ?? 3)) {
          current = Math.max(schedule.minimum ?? 0, current * (schedule.factor ?? 0.1));
          wait = 0;
        }
      }
      optimizer.setLearningRate(current);
      return current;
    },
    toJSON: () => ({ best, wait, current }),
  };
}
