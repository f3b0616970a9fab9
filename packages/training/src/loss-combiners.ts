/**
 * Loss combiners: how per-task losses become the one loss the optimizer minimises.
 * - `sum` (default) and `weighted` (fixed weights);
 * - `uncertainty` (Kendall, Gal and Cipolla 2018): learned log-variances s_i = log σ_i², loss Σ exp(−s_i)·L_i + s_i
 *   for classification tasks and the regression form Σ ½·exp(−s_i)·L_i + ½·s_i (1/(2σ²)·L + log σ) for
 *   regression tasks, so a noisier task (higher loss) gets a larger s_i and a lower weight;
 * - `dynamic-weight-average` (Liu et al. 2019): weights from the ratio of each task's last two epoch losses;
 * - `gradnorm` (Chen et al. 2018): weights adjusted so each task's gradient norm on the last shared layer
 *   tracks its relative training rate (asymmetry α);
 * - `pcgrad` (Yu et al. 2020): per-task gradients, each projected off the others it conflicts with, then summed.
 * Combiners are plain objects; the training step asks whether a combiner needs per-task gradients.
 */
import { createRandom, InvalidArgumentError, shuffleInPlace } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';

/** How a combiner is configured in experiment specs. */
export type LossCombinerSpec =
  | { readonly kind: 'sum' }
  | { readonly kind: 'weighted'; readonly weights: Readonly<Record<string, number>> }
  | { readonly kind: 'uncertainty' }
  | { readonly kind: 'dynamic-weight-average'; readonly temperature?: number }
  | { readonly kind: 'gradnorm'; readonly alpha?: number; readonly learningRate?: number }
  | { readonly kind: 'pcgrad'; readonly seed?: number };

/**
 * A loss combiner at run time. Write your own by this contract and hand trainFold a
 * {@link LossCombinerFactory}: `combine` sees only the tasks present in the batch (absent ones
 * must contribute nothing and keep their state); variables it creates are trained with the
 * model and freed with the fold.
 */
export interface LossCombiner {
  /** A built-in kind, or the name of your own. */
  readonly kind: string;
  /** Combines the present tasks' losses (a missing task contributes nothing). */
  combine(losses: ReadonlyMap<string, tf.Scalar>): tf.Scalar;
  /** Extra trainable variables (uncertainty log-variances). */
  readonly variables: readonly tf.Variable[];
  /** Current weight per task, for reports. */
  weights(): Readonly<Record<string, number>>;
  /** Called with the epoch's mean training loss per task. */
  onEpochEnd?(meanLosses: Readonly<Record<string, number>>): void;
  /** State beyond `variables` (loss history, weights, random position) as plain JSON, saved with each checkpoint. */
  state?(): unknown;
  /** Puts back what `state` returned, when a run resumes. */
  restore?(state: unknown): void;
  /** For gradient-based combiners: merge per-task gradients into one (PCGrad), or update weights (GradNorm). */
  readonly perTaskGradients?: {
    /** Variables whose per-task gradient norms GradNorm uses (the last shared layer); all for PCGrad. */
    merge(
      perTask: ReadonlyMap<string, tf.NamedTensorMap>,
      losses: ReadonlyMap<string, number>,
      sharedVariables: readonly string[],
    ): tf.NamedTensorMap;
  };
}

/** Makes a combiner for the fold's task names: how a combiner of your own is plugged into training. */
export type LossCombinerFactory = (tasks: readonly string[]) => LossCombiner;

/** Options of {@link createLossCombiner} beyond the spec and task names. */
export interface LossCombinerOptions {
  /** Names of the regression tasks among `tasks` (uncertainty weighting uses its regression form for them). @default none */
  readonly regressionTasks?: readonly string[];
}

/** Creates a combiner for `tasks` (task names) from its spec. */
export function createLossCombiner(spec: LossCombinerSpec, tasks: readonly string[], options: LossCombinerOptions = {}): LossCombiner {
  const regression = new Set(options.regressionTasks ?? []);
  const weighted = (weights: Map<string, number>) => (losses: ReadonlyMap<string, tf.Scalar>) =>
    tf.tidy(() => {
      let total = tf.scalar(0);
      for (const [task, loss] of losses) total = tf.add(total, tf.mul(loss, weights.get(task) ?? 1));
      return total as tf.Scalar;
    });
  switch (spec.kind) {
    case 'sum': {
      const weights = new Map(tasks.map((task) => [task, 1]));
      return { kind: 'sum', combine: weighted(weights), variables: [], weights: () => Object.fromEntries(weights) };
    }
    case 'weighted': {
      for (const task of Object.keys(spec.weights)) {
        if (!tasks.includes(task))
          throw new InvalidArgumentError({
            argument: 'weights',
            value: task,
            message: `Loss weight given for "${task}", which is not a task (${tasks.join(', ')}).`,
          });
      }
      const weights = new Map(tasks.map((task) => [task, spec.weights[task] ?? 1]));
      return { kind: 'weighted', combine: weighted(weights), variables: [], weights: () => Object.fromEntries(weights) };
    }
    case 'uncertainty': {
      const logVariances = new Map(
        tasks.map((task) => [
          task,
          tf.tidy(() => tf.variable(tf.scalar(0), true, `uncertainty_log_variance_${task.replace(/[^A-Za-z0-9_]/g, '_')}`)),
        ]),
      );
      return {
        kind: 'uncertainty',
        variables: [...logVariances.values()],
        combine: (losses) =>
          tf.tidy(() => {
            let total = tf.scalar(0);
            for (const [task, loss] of losses) {
              const logVariance = logVariances.get(task) as tf.Variable;
              const term = tf.add(tf.mul(tf.exp(tf.neg(logVariance)), loss), logVariance);
              // regression: 1/(2σ²)·L + log σ = ½·(exp(−s)·L + s)
              total = tf.add(total, regression.has(task) ? tf.mul(term, 0.5) : term);
            }
            return total as tf.Scalar;
          }),
        weights: () =>
          Object.fromEntries(
            [...logVariances].map(([task, variable]) => [
              task,
              (regression.has(task) ? 0.5 : 1) * Math.exp(-(variable.dataSync()[0] as number)),
            ]),
          ),
      };
    }
    case 'dynamic-weight-average': {
      const temperature = spec.temperature ?? 2;
      const history: Record<string, number>[] = [];
      const weights = new Map(tasks.map((task) => [task, 1]));
      return {
        kind: 'dynamic-weight-average',
        variables: [],
        combine: weighted(weights),
        weights: () => Object.fromEntries(weights),
        state: () => ({ history, weights: Object.fromEntries(weights) }),
        restore(state) {
          const saved = state as { history: Record<string, number>[]; weights: Record<string, number> };
          history.splice(0, history.length, ...saved.history);
          for (const [task, weight] of Object.entries(saved.weights)) weights.set(task, weight);
        },
        onEpochEnd(meanLosses) {
          history.push({ ...meanLosses });
          if (history.length < 2) return;
          const [previous, last] = history.slice(-2) as [Record<string, number>, Record<string, number>];
          const rates = tasks.map((task) => (last[task] ?? 1) / Math.max(previous[task] ?? 1, 1e-12) / temperature);
          const largest = Math.max(...rates);
          const exponentials = rates.map((rate) => Math.exp(rate - largest));
          const total = exponentials.reduce((sum, value) => sum + value, 0);
          for (const [index, task] of tasks.entries()) weights.set(task, (tasks.length * (exponentials[index] as number)) / total);
        },
      };
    }
    case 'gradnorm': {
      const alpha = spec.alpha ?? 1.5;
      const rate = spec.learningRate ?? 0.025;
      const weights = new Map(tasks.map((task) => [task, 1]));
      const initial = new Map<string, number>();
      return {
        kind: 'gradnorm',
        variables: [],
        combine: weighted(weights),
        weights: () => Object.fromEntries(weights),
        state: () => ({ weights: Object.fromEntries(weights), initial: Object.fromEntries(initial) }),
        restore(state) {
          const saved = state as { weights: Record<string, number>; initial: Record<string, number> };
          for (const [task, weight] of Object.entries(saved.weights)) weights.set(task, weight);
          initial.clear();
          for (const [task, loss] of Object.entries(saved.initial)) initial.set(task, loss);
        },
        perTaskGradients: {
          merge(perTask, losses, sharedVariables) {
            const present = [...perTask.keys()];
            for (const task of present) if (!initial.has(task)) initial.set(task, losses.get(task) as number);
            // G_i = w_i · ||∇_W L_i|| on the shared variables
            const norms = new Map(
              present.map((task) => {
                const gradients = perTask.get(task) as tf.NamedTensorMap;
                let squared = 0;
                for (const name of sharedVariables) {
                  const gradient = gradients[name];
                  if (gradient) squared += tf.tidy(() => tf.sum(tf.square(gradient)).dataSync()[0] as number);
                }
                return [task, Math.sqrt(squared)];
              }),
            );
            const ratios = present.map((task) => (losses.get(task) as number) / Math.max(initial.get(task) as number, 1e-12));
            const meanRatio = ratios.reduce((sum, value) => sum + value, 0) / present.length;
            const meanNorm =
              present.reduce((sum, task) => sum + (weights.get(task) as number) * (norms.get(task) as number), 0) / present.length;
            present.forEach((task, index) => {
              const target = meanNorm * ((ratios[index] as number) / meanRatio) ** alpha;
              const current = (weights.get(task) as number) * (norms.get(task) as number);
              // d|G_i − target|/dw_i = sign(G_i − target) · ||∇L_i||
              weights.set(
                task,
                Math.max(1e-3, (weights.get(task) as number) - rate * Math.sign(current - target) * (norms.get(task) as number)),
              );
            });
            const sum = [...weights.values()].reduce((total, value) => total + value, 0);
            for (const task of tasks) weights.set(task, ((weights.get(task) as number) * tasks.length) / sum);
            // the step itself uses the updated weights
            const merged: tf.NamedTensorMap = {};
            for (const task of present) {
              const gradients = perTask.get(task) as tf.NamedTensorMap;
              for (const [name, gradient] of Object.entries(gradients)) {
                const previous = merged[name];
                const weight = weights.get(task) as number;
                merged[name] = previous ? tf.tidy(() => tf.add(previous, tf.mul(gradient, weight))) : tf.mul(gradient, weight);
                if (previous) previous.dispose();
              }
            }
            return merged;
          },
        },
      };
    }
    case 'pcgrad': {
      // each step's projection order comes from (seed, step), so the state is the step count
      let steps = 0;
      return {
        kind: 'pcgrad',
        variables: [],
        combine: weighted(new Map(tasks.map((task) => [task, 1]))),
        weights: () => Object.fromEntries(tasks.map((task) => [task, 1])),
        state: () => ({ steps }),
        restore(state) {
          steps = (state as { steps: number }).steps;
        },
        perTaskGradients: {
          merge(perTask) {
            const random = createRandom(Math.imul((spec.seed ?? 0) + 1, 0x9e3779b1) ^ steps++);
            const present = [...perTask.keys()];
            const names = [...new Set(present.flatMap((task) => Object.keys(perTask.get(task) as tf.NamedTensorMap)))];
            return tf.tidy(() => {
              const flat = (task: string) =>
                tf.concat(
                  names.map((name) => {
                    const gradient = (perTask.get(task) as tf.NamedTensorMap)[name];
                    const reference = present
                      .map((other) => (perTask.get(other) as tf.NamedTensorMap)[name])
                      .find((value) => value) as tf.Tensor;
                    return tf.reshape(gradient ?? tf.zerosLike(reference), [-1]);
                  }),
                );
              const originals = present.map(flat);
              const projected = originals.map((gradient, index) => {
                let result = gradient;
                const order = shuffleInPlace(
                  present.map((_, other) => other).filter((other) => other !== index),
                  random,
                ) as number[];
                for (const other of order) {
                  const otherGradient = originals[other] as tf.Tensor;
                  const dot = tf.sum(tf.mul(result, otherGradient));
                  if ((dot.dataSync()[0] as number) < 0) {
                    result = tf.sub(result, tf.mul(tf.div(dot, tf.add(tf.sum(tf.square(otherGradient)), 1e-12)), otherGradient));
                  }
                }
                return result;
              });
              const total = tf.addN(projected);
              const merged: tf.NamedTensorMap = {};
              let offset = 0;
              for (const name of names) {
                const reference = present.map((task) => (perTask.get(task) as tf.NamedTensorMap)[name]).find((value) => value) as tf.Tensor;
                merged[name] = tf.reshape(tf.slice(total, offset, reference.size), reference.shape);
                offset += reference.size;
              }
              return merged;
            });
          },
        },
      };
    }
    default:
      throw new InvalidArgumentError({
        argument: 'lossCombiner',
        value: (spec as { kind: string }).kind,
        message: `Unknown loss combiner "${(spec as { kind: string }).kind}"; use sum, weighted, uncertainty, dynamic-weight-average, gradnorm or pcgrad.`,
      });
  }
}
