/**
 * The custom tfjs-layers layers of the soft-sharing architectures: the cross-stitch unit and the
 * gated expert mixture. Both are registered with tfjs serialisation, so a model that holds them
 * saves, loads (`tf.loadLayersModel`) and restores from checkpoints like any other.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Shape = (number | null)[];
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type Weight = ReturnType<tfl.layers.Layer['addWeight']>;

/** Options of {@link CrossStitch}. */
export interface CrossStitchArgs extends NonNullable<LayerArgs> {
  /** Initial weight of a column's own activations; the rest is split evenly over the other columns. @default 0.9 */
  readonly selfWeight?: number;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * A cross-stitch unit (Misra et al. 2016): takes one activation per task column, all of one shape,
 * and returns as many, output `i` = Σ_j α[i][j] · input `j`, with α a learned `[columns, columns]`
 * matrix initialised near the identity (`selfWeight` on the diagonal).
 * @example new CrossStitch({ name: 'cross_stitch_0' }).apply([columnA, columnB])
 */
export class CrossStitch extends tfl.layers.Layer {
  /** The name the class is registered under for serialisation. */
  static className = 'PolytaskCrossStitch';
  /** The diagonal of α at initialisation. */
  readonly selfWeight: number;
  private alpha: Weight | undefined;

  constructor(args: CrossStitchArgs = {}) {
    super(args);
    this.selfWeight = args.selfWeight ?? 0.9;
    if (!(this.selfWeight > 0 && this.selfWeight <= 1))
      throw new InvalidArgumentError({
        argument: 'selfWeight',
        value: this.selfWeight,
        message: `selfWeight must be in (0, 1], got ${this.selfWeight}.`,
      });
  }

  override build(inputShape: Shape | Shape[]): void {
    // tfjs passes the shape of a one-column list unwrapped
    const shapes = Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
    const first = (shapes[0] ?? []).slice(1).join(',');
    const other = shapes.find((shape) => shape.slice(1).join(',') !== first);
    if (other)
      throw new ShapeMismatchError({
        expected: shapes[0],
        actual: other,
        message: `A cross-stitch unit needs columns of one shape, got [${shapes[0]}] and [${other}].`,
      });
    const columns = shapes.length;
    const self = columns === 1 ? 1 : this.selfWeight;
    const rest = columns === 1 ? 0 : (1 - self) / (columns - 1);
    this.alpha = this.addWeight('alpha', [columns, columns], 'float32', tfl.initializers.zeros());
    const initial = tf.tidy(() => tf.add(tf.fill([columns, columns], rest), tf.mul(tf.eye(columns), self - rest)));
    this.alpha.write(initial);
    initial.dispose();
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const columns = asList(inputs);
      const shape = (columns[0] as tf.Tensor).shape;
      // [..., columns] rows times αᵀ: output i takes Σ_j α[i][j] · x_j
      const stacked = tf.reshape(tf.stack(columns, -1), [-1, columns.length]);
      const mixed = tf.matMul(stacked, (this.alpha as Weight).read(), false, true);
      return tf.unstack(tf.reshape(mixed, [...shape, columns.length]), shape.length);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), selfWeight: this.selfWeight };
  }
}
tf.serialization.registerClass(CrossStitch);

/**
 * A gated mixture of experts: inputs `[gate, expert_1, …, expert_n]`, the gate `[batch, n]` (rows
 * summing to 1), each expert `[batch, units]`; output Σ_e gate[:, e] · expert_e. No weights.
 * @example new ExpertMixture({ name: 'mixture_task' }).apply([gate, ...experts])
 */
export class ExpertMixture extends tfl.layers.Layer {
  /** The name the class is registered under for serialisation. */
  static className = 'PolytaskExpertMixture';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    if (shapes.length < 2 || shapes[0]?.at(-1) !== shapes.length - 1)
      throw new ShapeMismatchError({
        expected: shapes.length - 1,
        actual: shapes[0]?.at(-1),
        message: `An expert mixture needs a gate with one column per expert (${shapes.length - 1}), got [${shapes[0]}].`,
      });
    return shapes[1] as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [gate, ...experts] = asList(inputs);
      return tf.sum(tf.mul(tf.stack(experts, 1), tf.expandDims(gate as tf.Tensor, 2)), 1);
    });
  }
}
tf.serialization.registerClass(ExpertMixture);
