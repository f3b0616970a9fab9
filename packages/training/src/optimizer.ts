/**
 * Optimizers by name (Adam default, SGD with momentum, RMSProp, AdamW with decoupled weight
 * decay) or as a tfjs instance, and learning-rate schedules (step, cosine, reduce-on-plateau).
 * Named optimizers keep their state per variable ({@link VariableKeyedOptimizer}), so heads
 * missing from a batch neither crash nor share moments; Adam's update runs as one fused kernel
 * on wasm.
 */
import { InvalidArgumentError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import { type NamedTensor, VariableKeyedOptimizer } from './variable-keyed-optimizer';

/** An optimizer by name. */
export type OptimizerSpec =
  | {
      readonly name: 'adam';
      readonly learningRate?: number;
      readonly beta1?: number;
      readonly beta2?: number;
      readonly epsilon?: number;
    }
  | {
      readonly name: 'adamw';
      readonly learningRate?: number;
      readonly beta1?: number;
      readonly beta2?: number;
      readonly epsilon?: number;
      /** @default 0.01 */
      readonly weightDecay?: number;
    }
  | { readonly name: 'sgd'; readonly learningRate?: number; readonly momentum?: number; readonly nesterov?: boolean }
  | {
      readonly name: 'rmsprop';
      readonly learningRate?: number;
      readonly decay?: number;
      readonly momentum?: number;
      readonly epsilon?: number;
    };

/** Every optimizer name. */
export const optimizerNames = Object.freeze(['adam', 'adamw', 'sgd', 'rmsprop'] as const);

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
  learningRate(): number;
  setLearningRate(value: number): void;
  /**
   * One step with the gradients of this batch, keyed by variable name. Variables without a
   * gradient (a head whose task the batch lacks) are left as they are. For a tfjs optimizer
   * instance, whose state is filed by position, the gradients go in the fixed order of
   * `variables` with the missing ones empty, so positions never shift.
   */
  applyGradients(gradients: tf.NamedTensorMap, variables: readonly tf.Variable[]): void;
}

/**
 * Creates an optimizer from a spec, or wraps an instance (whose learning rate is read from it).
 * @example const trainer = createTrainingOptimizer({ name: 'adamw', learningRate: 3e-4, weightDecay: 0.01 });
 */
export function createTrainingOptimizer(spec: OptimizerSpec | tf.Optimizer = { name: 'adam' }): TrainingOptimizer {
  let optimizer: tf.Optimizer;
  if (spec instanceof tf.Optimizer) optimizer = spec;
  else {
    // (VariableKeyedOptimizer refuses a learning rate that is not positive)
    const learningRate = spec.learningRate ?? 1e-3;
    switch (spec.name) {
      case 'adam':
      case 'adamw':
        optimizer = new VariableKeyedOptimizer({
          rule: 'adam',
          learningRate,
          ...(spec.beta1 === undefined ? {} : { beta1: spec.beta1 }),
          ...(spec.beta2 === undefined ? {} : { beta2: spec.beta2 }),
          ...(spec.epsilon === undefined ? {} : { epsilon: spec.epsilon }),
          ...(spec.name === 'adamw' ? { weightDecay: spec.weightDecay ?? 0.01 } : {}),
        });
        break;
      case 'sgd':
        optimizer = new VariableKeyedOptimizer({
          rule: 'sgd',
          learningRate,
          momentum: spec.momentum ?? 0,
          nesterov: spec.nesterov ?? false,
        });
        break;
      case 'rmsprop':
        optimizer = new VariableKeyedOptimizer({
          rule: 'rmsprop',
          learningRate,
          decay: spec.decay ?? 0.9,
          momentum: spec.momentum ?? 0,
          ...(spec.epsilon === undefined ? {} : { epsilon: spec.epsilon }),
        });
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
  const keyed = optimizer instanceof VariableKeyedOptimizer;
  return {
    optimizer,
    baseLearningRate,
    applyGradients(gradients, variables) {
      if (keyed) optimizer.applyGradients(gradients);
      else
        optimizer.applyGradients(
          variables.map((variable) => ({ name: variable.name, tensor: gradients[variable.name] ?? null })) as NamedTensor[],
        );
    },
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
