/**
 * Optimizers whose state is filed by variable, never by position. tfjs's own optimizers keep
 * their moments in arrays indexed by a variable's position in each step's gradient list; in
 * multi-dataset training a batch that lacks a task has no gradient for that task's head, the
 * positions shift, and heads share (or crash on) each other's moments. Here every variable has
 * its own slots and its own step count (as in PyTorch): a variable without a gradient in a step
 * keeps its value and its state untouched. Adam's update runs as one fused kernel on wasm.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateKernelName, nativeKernelActive } from './wasm-training-kernels';

/** A tensor with its name, as optimizers save and restore their state. */
export type NamedTensor = Parameters<tf.Optimizer['setWeights']>[0][number];

/** The update rules {@link VariableKeyedOptimizer} implements. */
export type UpdateRuleName = 'adam' | 'sgd' | 'rmsprop';

/** Hyper-parameters of an update rule. */
export interface UpdateRuleConfig {
  readonly rule: UpdateRuleName;
  readonly learningRate: number;
  /** Adam: first-moment decay. @default 0.9 */
  readonly beta1?: number;
  /** Adam: second-moment decay. @default 0.999 */
  readonly beta2?: number;
  /** Adam, RMSProp: added to the root of the second moment. @default 1e-8 */
  readonly epsilon?: number;
  /** Decoupled weight decay (AdamW; any rule): `value -= learningRate · weightDecay · value` before the step. @default 0 */
  readonly weightDecay?: number;
  /** SGD, RMSProp: momentum. @default 0 */
  readonly momentum?: number;
  /** SGD with momentum: Nesterov's form. @default false */
  readonly nesterov?: boolean;
  /** RMSProp: decay of the mean square. @default 0.9 */
  readonly decay?: number;
}

interface VariableState {
  readonly slots: tf.Variable[];
  /** Updates this variable has had. */
  step: number;
}

const slotNames: Record<UpdateRuleName, (config: UpdateRuleConfig) => readonly string[]> = {
  adam: () => ['m', 'v'],
  sgd: (config) => ((config.momentum ?? 0) > 0 ? ['momentum'] : []),
  rmsprop: (config) => ((config.momentum ?? 0) > 0 ? ['ms', 'momentum'] : ['ms']),
};

/**
 * Adam (AdamW with `weightDecay`), SGD (with momentum, Nesterov) and RMSProp with per-variable
 * state, PyTorch's arithmetic. Checkpoint state (`getWeights`) is named `<variable>/<slot>` and
 * `<variable>/step`, so it restores into the same variables whatever their order.
 * @example const optimizer = new VariableKeyedOptimizer({ rule: 'adam', learningRate: 1e-3 });
 */
export class VariableKeyedOptimizer extends tf.Optimizer {
  /** Registered class name (checkpoints record it). */
  static className = 'PolytaskVariableKeyedOptimizer';

  /** The learning rate of the next step (schedules change it). */
  learningRate: number;
  private readonly settings: Required<UpdateRuleConfig>;
  private readonly slots: readonly string[];
  private readonly state = new Map<string, VariableState>();

  constructor(config: UpdateRuleConfig) {
    super();
    if (!(config.learningRate > 0))
      throw new InvalidArgumentError({
        argument: 'learningRate',
        value: config.learningRate,
        message: `learningRate must be positive, got ${config.learningRate}.`,
      });
    if (!(config.rule in slotNames))
      throw new InvalidArgumentError({
        argument: 'optimizer',
        value: config.rule,
        message: `Unknown update rule "${config.rule}"; use adam, sgd or rmsprop.`,
      });
    this.settings = {
      rule: config.rule,
      learningRate: config.learningRate,
      beta1: config.beta1 ?? 0.9,
      beta2: config.beta2 ?? 0.999,
      epsilon: config.epsilon ?? 1e-8,
      weightDecay: config.weightDecay ?? 0,
      momentum: config.momentum ?? 0,
      nesterov: config.nesterov ?? false,
      decay: config.decay ?? 0.9,
    };
    this.learningRate = config.learningRate;
    this.slots = slotNames[config.rule](config);
  }

  /** Updates each variable that has a gradient; the others keep their value and state. */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((entry) => [entry.name, entry.tensor])
      : Object.entries(variableGradients);
    const fused = this.settings.rule === 'adam' && nativeKernelActive(adamUpdateKernelName);
    for (const [name, gradient] of entries) {
      if (gradient == null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (!variable)
        throw new InvalidArgumentError({
          argument: 'variableGradients',
          value: name,
          message: `No variable named "${name}" is registered; gradients must be keyed by variable name.`,
        });
      const state = this.stateOf(name, variable);
      state.step++;
      if (fused) this.fusedAdamStep(variable, gradient, state);
      else tf.tidy(() => this.step(variable, gradient, state));
    }
    this.incrementIterations();
  }

  private stateOf(name: string, variable: tf.Variable): VariableState {
    let state = this.state.get(name);
    if (!state) {
      state = { slots: this.slots.map(() => tf.tidy(() => tf.zerosLike(variable).variable(false))), step: 0 };
      this.state.set(name, state);
    }
    return state;
  }

  private step(variable: tf.Variable, gradient: tf.Tensor, state: VariableState): void {
    const { rule, beta1, beta2, epsilon, weightDecay, momentum, nesterov, decay } = this.settings;
    const rate = this.learningRate;
    let value: tf.Tensor = variable;
    if (weightDecay > 0) value = tf.mul(value, 1 - rate * weightDecay);
    if (rule === 'adam') {
      const [first, second] = state.slots as [tf.Variable, tf.Variable];
      const newFirst = tf.add(tf.mul(first, beta1), tf.mul(gradient, 1 - beta1));
      const newSecond = tf.add(tf.mul(second, beta2), tf.mul(tf.square(gradient), 1 - beta2));
      first.assign(newFirst);
      second.assign(newSecond);
      const correctedFirst = tf.div(newFirst, 1 - beta1 ** state.step);
      const correctedSecond = tf.div(newSecond, 1 - beta2 ** state.step);
      variable.assign(tf.sub(value, tf.mul(tf.div(correctedFirst, tf.add(tf.sqrt(correctedSecond), epsilon)), rate)));
      return;
    }
    let direction: tf.Tensor = gradient;
    if (rule === 'rmsprop') {
      const meanSquare = state.slots[0] as tf.Variable;
      const newMeanSquare = tf.add(tf.mul(meanSquare, decay), tf.mul(tf.square(gradient), 1 - decay));
      meanSquare.assign(newMeanSquare);
      direction = tf.div(gradient, tf.add(tf.sqrt(newMeanSquare), epsilon));
    }
    if (momentum > 0) {
      const buffer = state.slots.at(-1) as tf.Variable;
      // PyTorch: b = μ·b + d, the buffer starting at zero
      const newBuffer = tf.add(tf.mul(buffer, momentum), direction);
      buffer.assign(newBuffer);
      direction = nesterov && rule === 'sgd' ? tf.add(direction, tf.mul(newBuffer, momentum)) : newBuffer;
    }
    variable.assign(tf.sub(value, tf.mul(direction, rate)));
  }

  private fusedAdamStep(variable: tf.Variable, gradient: tf.Tensor, state: VariableState): void {
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const [first, second] = state.slots as [tf.Variable, tf.Variable];
    tf.tidy(() => {
      const value = weightDecay > 0 ? tf.mul(variable, 1 - this.learningRate * weightDecay) : variable;
      const [newValue, newFirst, newSecond] = tf
        .engine()
        .runKernel(adamUpdateKernelName, { value, gradient, firstMoment: first, secondMoment: second }, {
          learningRate: this.learningRate,
          beta1,
          beta2,
          oneMinusAccumulatedBeta1: 1 - beta1 ** state.step,
          oneMinusAccumulatedBeta2: 1 - beta2 ** state.step,
          epsilon,
        } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      first.assign(newFirst as tf.Tensor);
      second.assign(newSecond as tf.Tensor);
      variable.assign(newValue as tf.Tensor);
    });
  }

  /** Names of the variables that have state (have been updated at least once). */
  variablesWithState(): string[] {
    return [...this.state.keys()];
  }

  /** Every variable's slots (`<variable>/<slot>`) and step count (`<variable>/step`, int32). */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [];
    for (const [name, state] of this.state) {
      for (const [index, slot] of this.slots.entries())
        weights.push({ name: `${name}/${slot}`, tensor: state.slots[index] as tf.Variable });
      weights.push({ name: `${name}/step`, tensor: tf.scalar(state.step, 'int32') });
    }
    return weights;
  }

  /**
   * Restores state saved by {@link getWeights}, by variable name.
   * @throws ShapeMismatchError when a slot does not fit its variable or a slot is missing.
   */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const byName = new Map(weights.map((weight) => [weight.name, weight.tensor]));
    const variables = new Set(
      weights.filter((weight) => weight.name.endsWith('/step')).map((weight) => weight.name.slice(0, -'/step'.length)),
    );
    this.disposeState();
    for (const name of variables) {
      const variable = tf.engine().registeredVariables[name];
      if (!variable)
        throw new InvalidArgumentError({
          argument: 'weights',
          value: name,
          message: `The optimizer state names variable "${name}", which does not exist; the checkpoint belongs to another model.`,
        });
      const slots = this.slots.map((slot) => {
        const tensor = byName.get(`${name}/${slot}`);
        if (!tensor || tensor.shape.join('x') !== variable.shape.join('x'))
          throw new ShapeMismatchError({
            expected: variable.shape,
            actual: tensor?.shape ?? null,
            message: `Optimizer slot ${name}/${slot} is ${tensor ? `[${tensor.shape}]` : 'missing'} but the variable is [${variable.shape}]; the checkpoint was written by another optimizer or model.`,
          });
        return tf.tidy(() => tf.clone(tensor).variable(false));
      });
      this.state.set(name, { slots, step: (byName.get(`${name}/step`) as tf.Tensor).dataSync()[0] as number });
    }
  }

  /** The rule and its hyper-parameters (the learning rate as of now). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.settings, learningRate: this.learningRate };
  }

  private disposeState(): void {
    for (const state of this.state.values()) tf.dispose(state.slots);
    this.state.clear();
  }

  /** Frees every slot. */
  override dispose(): void {
    super.dispose();
    this.disposeState();
  }
}
