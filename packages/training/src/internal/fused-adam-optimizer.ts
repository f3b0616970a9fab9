/**
 * tfjs's Adam with the per-variable update done by one fused kernel on the wasm backend
 * (`PolytaskAdamUpdate`: one pass instead of about a dozen element-wise ops, each allocating a
 * tensor). Same arithmetic in float32, same state (moments named `<variable>/m` and `/v`, the
 * accumulated betas, the iteration count), so checkpoints and `getWeights`/`setWeights` are
 * unchanged; any other backend runs tfjs's own update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateKernelName, nativeKernelActive } from '../wasm-training-kernels';

interface OptimizerVariable {
  originalName: string;
  variable: tf.Variable;
}

/** The AdamOptimizer fields the fused step reads and updates. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: OptimizerVariable[];
  accumulatedSecondMoment: OptimizerVariable[];
  incrementIterations(): void;
}

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Adam whose update runs as one fused kernel per variable on wasm. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    if (!nativeKernelActive(adamUpdateKernelName)) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((entry) => entry.name) : Object.keys(variableGradients);
    const oneMinusAccumulatedBeta1 = 1 - (state.accBeta1.dataSync()[0] as number);
    const oneMinusAccumulatedBeta2 = 1 - (state.accBeta2.dataSync()[0] as number);
    tf.tidy(() => {
      names.forEach((name, index) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        state.accumulatedFirstMoment[index] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        state.accumulatedSecondMoment[index] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[index]?.tensor
          : (variableGradients[name] as tf.Tensor | undefined);
        if (gradient == null) return;
        const firstMoment = (state.accumulatedFirstMoment[index] as OptimizerVariable).variable;
        const secondMoment = (state.accumulatedSecondMoment[index] as OptimizerVariable).variable;
        const [newValue, newFirstMoment, newSecondMoment] = tf
          .engine()
          .runKernel(adamUpdateKernelName, { value, gradient, firstMoment, secondMoment }, {
            learningRate: state.learningRate,
            beta1: state.beta1,
            beta2: state.beta2,
            oneMinusAccumulatedBeta1,
            oneMinusAccumulatedBeta2,
            epsilon: state.epsilon,
          } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        firstMoment.assign(newFirstMoment as tf.Tensor);
        secondMoment.assign(newSecondMoment as tf.Tensor);
        value.assign(newValue as tf.Tensor);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    state.incrementIterations();
  }
}
