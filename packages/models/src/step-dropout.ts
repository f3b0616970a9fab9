/**
 * Dropout whose mask changes from step to step and repeats when a run resumes. A stock tfjs
 * `Dropout` with a `seed` draws the same mask at every call (its seeded generator starts afresh
 * each time), so the same units would be dropped at every step; without a seed its masks come
 * from `Math.random` and a resumed run differs. This layer's mask at a step depends on its seed
 * and the step's position, which training hands every layer with `setTrainingStep` before each
 * step; every forward pass of one step (per-task gradients) sees the same mask.
 */
import { InvalidArgumentError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link StepDropout}. */
export interface StepDropoutArgs extends LayerArgs {
  /** Fraction of the units dropped (zeroed; the rest scaled by 1 / (1 − rate)) in training. */
  readonly rate: number;
  /** Seed of the masks. @default 0 */
  readonly seed?: number;
}

/** A training step's position, as training hands it to the layers that draw per step. */
export interface TrainingStepPosition {
  /** The epoch, from 1. */
  readonly epoch: number;
  /** The batch's position in the epoch (the sampler's batch number). */
  readonly step: number;
}

/**
 * Dropout with a mask per (seed, epoch, step): different at every step, the same for every forward
 * pass of a step, and the same again when a run resumes. Identity outside training.
 * @example new StepDropout({ rate: 0.2, seed: 3, name: 'shared_dropout_0' }).apply(hidden)
 */
export class StepDropout extends tfl.layers.Layer {
  /** The name the class is registered under for serialisation. */
  static className = 'PolytaskStepDropout';
  /** Fraction dropped in training. */
  readonly rate: number;
  /** Seed of the masks. */
  readonly seed: number;
  private position: TrainingStepPosition = { epoch: 0, step: 0 };

  constructor(args: StepDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed ?? 0;
    if (!(this.rate >= 0 && this.rate < 1))
      throw new InvalidArgumentError({
        argument: 'rate',
        value: this.rate,
        message: `The dropout rate must be in [0, 1), got ${this.rate}.`,
      });
    if (!Number.isInteger(this.seed))
      throw new InvalidArgumentError({
        argument: 'seed',
        value: this.seed,
        message: `The dropout seed must be an integer, got ${this.seed}.`,
      });
    this.supportsMasking = true;
  }

  /** Sets the step whose mask the next training calls draw (training calls it before each step). */
  setTrainingStep(position: TrainingStepPosition): void {
    this.position = { epoch: position.epoch, step: position.step };
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    if (!kwargs.training || this.rate === 0) return tf.clone(input);
    const { epoch, step } = this.position;
    const seed = (Math.imul(this.seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
    return tf.dropout(input, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(StepDropout);
