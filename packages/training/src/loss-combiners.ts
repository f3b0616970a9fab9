/**
 * Loss combiners: how per-task losses become the one loss the optimizer minimises.
 * - `sum` (default) and `weighted` (fixed weights);
 * - `uncertainty` (Kendall, Gal and Cipolla 2018): learned log-variances s_i = log σ_i², loss Σ exp(−s_i)·L_i + s_i
 *   for classification tasks and the regression form Σ ½·exp(−s_i)·L_i + ½·s_i (1/(2σ²)·L + log σ) for
 *   regression tasks, so a noisier task (higher loss) gets a larger s_i and a lower weight;
 * - `dynamic-weight-average` (Liu et al. 2019): weights from the ratio of each task's last two epoch losses;
 * - `gradnorm` (Chen et al. 2018): weights adjusted so each task's gradient norm on the last shared layer
 *   tracks its relative training rate (asymmetry α);
 * - `pcgrad` (Yu et al. 2020): per-task gradients, each projected off the others it conflicts with, then summed;
 * - `random-loss-weighting` (RLW, Lin et al. 2022): each step's weights are the softmax of fresh standard normal samples;
 * - `famo` (Liu et al. 2023): weights z = softmax(w) on log losses, w updated after each step from the change in
 *   each task's log loss on the same batch, with its own Adam (weight decay as L2);
 * - `db-mtl` (Lin et al. 2023): gradients of log losses, an EMA of each task's shared-parameter gradient,
 *   each scaled up to the largest EMA norm before summing (gradient based);
 * - `imtl` (Liu et al. 2021): IMTL-L learned loss scales exp(s_i)·L_i − s_i, and IMTL-G shared-gradient
 *   weights α whose combined gradient has equal projections on every task's unit gradient (gradient based);
 * - `cagrad` (Liu et al. 2021): the mean shared gradient moved, within a ball of radius calpha·‖ḡ‖, toward the
 *   weighted gradient that helps the worst task most (gradient based);
 * - `gradvac` (Wang et al. 2021): each task's shared gradient moved toward every other's until their cosine reaches
 *   an EMA target (gradient based);
 * - `graddrop` (Chen et al. 2020): per element of the shared gradients, one sign kept at random in proportion to
 *   its share (sign purity), the other dropped (gradient based; on parameter, not representation, gradients);
 * - `mgda` (Sener and Koltun 2018): the min-norm point of the convex hull of the tasks' shared-parameter
 *   gradients (Frank–Wolfe), optionally normalised first (gradient based); `mgda-ub` the same on the gradients
 *   with respect to the shared representation (the heads' input), cheaper (representation based);
 * - `aligned-mtl` (Senushkin et al. 2023): the shared-parameter gradients re-weighted so their Gram matrix's
 *   eigen-components are aligned and balanced to the smallest one (gradient based);
 * - `nash-mtl` (Navon et al. 2022): weights α solving the bargaining condition Gα = 1/α by a sequence of convex
 *   problems, the shared gradient Σ α_i·g_i clipped to a norm (gradient based).
 * The built-in methods follow LibMTL (`LibMTL/weighting/*.py` @ 4336804, `scripts/weighting-reference.py` checks them).
 * Combiners are plain objects; the training step asks whether a combiner needs per-task gradients.
 */
import { createRandom, InvalidArgumentError, shuffleInPlace } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';

/** How a combiner is configured in experiment specs. */
export type LossCombinerSpec =
  | { readonly kind: 'sum' }
  | { readonly kind: 'weighted'; readonly weights: Readonly<Record<string, number>> }
  | UncertaintySpec
  | { readonly kind: 'dynamic-weight-average'; readonly temperature?: number }
  | { readonly kind: 'gradnorm'; readonly alpha?: number; readonly learningRate?: number }
  | PcgradSpec
  | RandomLossWeightingSpec
  | FamoSpec
  | DbMtlSpec
  | { readonly kind: 'imtl' }
  | CagradSpec
  | GradVacSpec
  | GradDropSpec
  | MgdaSpec
  | { readonly kind: 'aligned-mtl' }
  | NashMtlSpec
  | MgdaUpperBoundSpec;

/** Uncertainty weighting (Kendall, Gal and Cipolla 2018): a learned log-variance s per task. */
export interface UncertaintySpec {
  readonly kind: 'uncertainty';
  /**
   * `kendall`: exp(−s)·L + s for classification tasks and ½·exp(−s)·L + ½·s for regression ones, s from 0;
   * `libmtl`: LibMTL's UW, L/(2·e^s) + s/2 for every task, s from −0.5. @default 'kendall'
   */
  readonly form?: 'kendall' | 'libmtl';
}

/** PCGrad, projecting conflicting gradients (Yu et al. 2020). */
export interface PcgradSpec {
  readonly kind: 'pcgrad';
  /** Seed of the projection orders; step k's orders depend only on (seed, k). @default 0 */
  readonly seed?: number;
  /**
   * Which gradients are projected: `all` variables' (Yu et al.'s code: a head's gradient takes part in the
   * projections) or the `shared` ones only, each head keeping its task's plain gradient (LibMTL's PCGrad: every
   * task's order shuffles all tasks, ε 1e-8). @default 'all'
   */
  readonly scope?: 'all' | 'shared';
}

/**
 * MGDA, the multiple gradient descent algorithm (Sener and Koltun 2018), as LibMTL's MGDA with `rep_grad=False`:
 * on the shared parameters' gradients ({@link MgdaUpperBoundSpec} for the representation's, MGDA-UB).
 */
export interface MgdaSpec {
  readonly kind: 'mgda';
  /**
   * How each task's shared gradient is normalised before the min-norm solve (LibMTL `mgda_gn`): `none`, by its
   * L2 norm (`l2`), by its loss (`loss`), or by both (`loss+`). The step uses the normalised gradients, as LibMTL does.
   * @default 'none'
   */
  readonly gradientNormalization?: MgdaGradientNormalization;
}

/**
 * MGDA-UB (Sener and Koltun 2018's upper bound), as LibMTL's MGDA with `rep_grad=True`: the min-norm solve on each
 * task's gradient with respect to the shared representation (the input of the heads, summed over the batch), and
 * the shared parameters' step the backward of that representation with Σ w_t·(its gradient from task t). Needs a
 * model whose heads all start from one shared layer (the hard-sharing DNN and CNN).
 */
export interface MgdaUpperBoundSpec {
  readonly kind: 'mgda-ub';
  /** As {@link MgdaSpec}'s; normalises the vectors of the solve only (LibMTL steps with the unnormalised gradients). @default 'none' */
  readonly gradientNormalization?: MgdaGradientNormalization;
}

/** MGDA's gradient normalisations (LibMTL `mgda_gn`). */
export type MgdaGradientNormalization = 'none' | 'l2' | 'loss' | 'loss+';

/** DB-MTL, dual-balancing multi-task learning (Lin et al. 2023), with LibMTL's defaults. */
export interface DbMtlSpec {
  readonly kind: 'db-mtl';
  /** EMA factor of the per-task shared-parameter gradients (LibMTL `DB_beta`). @default 0.9 */
  readonly beta?: number;
  /** Decay of the factor over steps: β_k = beta / k^betaSigma (LibMTL `DB_beta_sigma`). @default 0 */
  readonly betaSigma?: number;
}

/** Random loss weighting (Lin et al. 2022): weights = softmax of standard normal samples, drawn anew each step. */
export interface RandomLossWeightingSpec {
  readonly kind: 'random-loss-weighting';
  /** Seed of the samples; step k's samples depend only on (seed, k), so a resumed run draws the same ones. @default 0 */
  readonly seed?: number;
}

/** FAMO, fast adaptive multitask optimization (Liu et al. 2023), with LibMTL's defaults. */
export interface FamoSpec {
  readonly kind: 'famo';
  /** Learning rate of the Adam that updates the weight logits w (LibMTL `FAMO_w_lr`). @default 0.025 */
  readonly learningRate?: number;
  /** L2 weight decay of that Adam (LibMTL `FAMO_w_gamma`). @default 0.001 */
  readonly weightDecay?: number;
}

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
  /**
   * Called after each optimizer step with the same batch's per-task losses recomputed under the
   * updated parameters (FAMO learns its weights from the change); training runs that extra forward
   * pass only for combiners that define this. The map holds the tasks of the step's `combine`.
   */
  afterStep?(losses: ReadonlyMap<string, number>): void;
  /**
   * For combiners on the shared representation's gradients (MGDA-UB): given each present task's gradient with
   * respect to the representation (the heads' common input, `[batch, ...]`) and loss, return the gradient the
   * representation is back-propagated with into the shared layers; the heads take their tasks' plain gradients.
   */
  readonly representationGradients?: {
    merge(perTask: ReadonlyMap<string, tf.Tensor>, losses: ReadonlyMap<string, number>): tf.Tensor;
  };
  /** For gradient-based combiners: merge per-task gradients into one (PCGrad), or update weights (GradNorm). */
  readonly perTaskGradients?: {
    /** Variables whose per-task gradient norms GradNorm uses (the last shared layer); all for PCGrad. */
    merge(
      perTask: ReadonlyMap<string, tf.NamedTensorMap>,
      losses: ReadonlyMap<string, number>,
      sharedVariables: readonly string[],
      /** Every shared variable (all `shared_*` layers; DB-MTL balances over them). @default the variables several tasks have gradients for */
      allSharedVariables?: readonly string[],
    ): tf.NamedTensorMap;
  };
}

/**
 * The built-in combiners that need every trained task's gradient in each step (per-task gradients of
 * the shared parameters, or of the shared representation): training then defaults to the
 * every-dataset sampler when the datasets carry different tasks.
 */
export const gradientCombinerKinds: readonly LossCombinerSpec['kind'][] = Object.freeze([
  'pcgrad',
  'gradnorm',
  'db-mtl',
  'imtl',
  'cagrad',
  'gradvac',
  'graddrop',
  'mgda',
  'mgda-ub',
  'aligned-mtl',
  'nash-mtl',
]);

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
      const form = spec.form ?? 'kendall';
      if (form !== 'kendall' && form !== 'libmtl')
        throw new InvalidArgumentError({
          argument: 'form',
          value: form,
          message: `The uncertainty weighting form must be kendall or libmtl, got ${String(form)}.`,
        });
      // LibMTL's form is the regression one for every task, from −0.5
      if (form === 'libmtl') for (const task of tasks) regression.add(task);
      const logVariances = new Map(
        tasks.map((task) => [
          task,
          tf.tidy(() =>
            tf.variable(tf.scalar(form === 'libmtl' ? -0.5 : 0), true, `uncertainty_log_variance_${task.replace(/[^A-Za-z0-9_]/g, '_')}`),
          ),
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
    case 'pcgrad':
      return projectingConflicts(spec, tasks);
    case 'random-loss-weighting':
      return randomLossWeighting(spec, tasks);
    case 'famo':
      return famo(spec, tasks);
    case 'db-mtl':
      return dualBalancing(spec, tasks);
    case 'imtl':
      return impartial(tasks);
    case 'cagrad':
      return conflictAverse(spec, tasks);
    case 'gradvac':
      return gradientVaccine(spec, tasks);
    case 'graddrop':
      return gradientDrop(spec, tasks);
    case 'mgda':
      return multipleGradientDescent(spec, tasks);
    case 'aligned-mtl':
      return alignedMtl(tasks);
    case 'nash-mtl':
      return nashMtl(spec, tasks);
    case 'mgda-ub':
      return mgdaUpperBound(spec, tasks);
    default:
      throw new InvalidArgumentError({
        argument: 'lossCombiner',
        value: (spec as { kind: string }).kind,
        message: `Unknown loss combiner "${(spec as { kind: string }).kind}"; use sum, weighted, uncertainty, dynamic-weight-average, gradnorm, pcgrad, random-loss-weighting, famo, db-mtl, imtl, cagrad, gradvac, graddrop, mgda, mgda-ub, aligned-mtl or nash-mtl.`,
      });
  }
}

/** Throws unless `value` is a finite number above `minimum` (or at least it, when `inclusive`). */
function checkOption(argument: string, value: number, minimum: number, inclusive: boolean): void {
  if (!Number.isFinite(value) || value < minimum || (!inclusive && value === minimum))
    throw new InvalidArgumentError({
      argument,
      value,
      message: `${argument} must be a finite number ${inclusive ? 'of at least' : 'above'} ${minimum}, got ${value}.`,
    });
}

/** Softmax of `values` (shifted by their maximum). */
function softmax(values: readonly number[]): number[] {
  const largest = Math.max(...values);
  const exponentials = values.map((value) => Math.exp(value - largest));
  const total = exponentials.reduce((sum, value) => sum + value, 0);
  return exponentials.map((value) => value / total);
}

/** Σ weight·loss over the present tasks (`weights` by task index). */
function weightedSum(losses: ReadonlyMap<string, tf.Scalar>, tasks: readonly string[], weights: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    let total = tf.scalar(0);
    for (const [task, loss] of losses) total = tf.add(total, tf.mul(loss, weights[tasks.indexOf(task)] ?? 0));
    return total as tf.Scalar;
  });
}

/**
 * `count` standard normal samples for step `step` (Box–Muller on a generator seeded from (seed, step)).
 * Exported for the reference test; scripts/weighting-reference.py mirrors it.
 */
export function stepNormals(seed: number, step: number, count: number): number[] {
  const random = createRandom(Math.imul(seed + 1, 0x9e3779b1) ^ step);
  return Array.from({ length: count }, () => {
    const first = random();
    const second = random();
    return Math.sqrt(-2 * Math.log(1 - first)) * Math.cos(2 * Math.PI * second);
  });
}

/** RLW: each `combine` draws its own weights; the state is the step count, so a resume draws what a straight run would. */
function randomLossWeighting(spec: RandomLossWeightingSpec, tasks: readonly string[]): LossCombiner {
  const seed = spec.seed ?? 0;
  if (!Number.isInteger(seed))
    throw new InvalidArgumentError({ argument: 'seed', value: seed, message: `The RLW seed must be an integer, got ${seed}.` });
  let steps = 0;
  let weights = tasks.map(() => 1 / tasks.length);
  return {
    kind: 'random-loss-weighting',
    variables: [],
    combine(losses) {
      // all tasks' samples are drawn (softmax over every task, as LibMTL), absent ones simply add nothing
      weights = softmax(stepNormals(seed, steps++, tasks.length));
      return weightedSum(losses, tasks, weights);
    },
    weights: () => Object.fromEntries(tasks.map((task, index) => [task, weights[index] as number])),
    state: () => ({ steps, weights }),
    restore(state) {
      const saved = state as { steps: number; weights: number[] };
      steps = saved.steps;
      weights = [...saved.weights];
    },
  };
}

/**
 * FAMO as LibMTL runs it: the loss Σ z_i·log(L_i − m_i + 1e-8)/c with z = softmax(w), c = Σ z_i/(L_i − m_i + 1e-8)
 * (a constant), m = 0; after the step, w takes one Adam step along the softmax Jacobian times the drop in
 * each log loss. A task absent from the batch has no drop (0): its logit moves only through the softmax coupling.
 */
function famo(spec: FamoSpec, tasks: readonly string[]): LossCombiner {
  const learningRate = spec.learningRate ?? 0.025;
  const weightDecay = spec.weightDecay ?? 1e-3;
  checkOption('learningRate', learningRate, 0, false);
  checkOption('weightDecay', weightDecay, 0, true);
  const [beta1, beta2, adamEpsilon, offset] = [0.9, 0.999, 1e-8, 1e-8];
  const minLosses = tasks.map(() => 0);
  let logits = tasks.map(() => 0);
  let firstMoment = tasks.map(() => 0);
  let secondMoment = tasks.map(() => 0);
  let updates = 0;
  let previous = new Map<string, number>();
  return {
    kind: 'famo',
    variables: [],
    combine(losses) {
      const z = softmax(logits);
      previous = new Map([...losses].map(([task, loss]) => [task, loss.dataSync()[0] as number]));
      let c = 0;
      for (const [task, value] of previous) {
        const index = tasks.indexOf(task);
        c += (z[index] as number) / (value - (minLosses[index] as number) + offset);
      }
      return tf.tidy(() => {
        let total = tf.scalar(0);
        for (const [task, loss] of losses) {
          const index = tasks.indexOf(task);
          const logLoss = tf.log(tf.add(tf.sub(loss, minLosses[index] as number), offset));
          total = tf.add(total, tf.mul(logLoss, (z[index] as number) / c));
        }
        return total as tf.Scalar;
      });
    },
    afterStep(current) {
      const z = softmax(logits);
      const delta = tasks.map((task, index) => {
        const before = previous.get(task);
        const after = current.get(task);
        if (before === undefined || after === undefined) return 0;
        const minimum = minLosses[index] as number;
        return Math.log(before - minimum + offset) - Math.log(after - minimum + offset);
      });
      // ∂(softmax(w)·δ)/∂w_j = z_j (δ_j − Σ z_i δ_i); then torch's Adam with L2 decay
      const mean = z.reduce((sum, value, index) => sum + value * (delta[index] as number), 0);
      updates++;
      const gradient = z.map((value, index) => value * ((delta[index] as number) - mean) + weightDecay * (logits[index] as number));
      firstMoment = firstMoment.map((value, index) => beta1 * value + (1 - beta1) * (gradient[index] as number));
      secondMoment = secondMoment.map((value, index) => beta2 * value + (1 - beta2) * (gradient[index] as number) ** 2);
      const correction1 = 1 - beta1 ** updates;
      const correction2 = 1 - beta2 ** updates;
      logits = logits.map(
        (value, index) =>
          value -
          (learningRate * ((firstMoment[index] as number) / correction1)) /
            (Math.sqrt((secondMoment[index] as number) / correction2) + adamEpsilon),
      );
      previous = new Map();
    },
    weights: () => {
      const z = softmax(logits);
      return Object.fromEntries(tasks.map((task, index) => [task, z[index] as number]));
    },
    state: () => ({ logits, firstMoment, secondMoment, updates }),
    restore(state) {
      const saved = state as { logits: number[]; firstMoment: number[]; secondMoment: number[]; updates: number };
      logits = [...saved.logits];
      firstMoment = [...saved.firstMoment];
      secondMoment = [...saved.secondMoment];
      updates = saved.updates;
    },
  };
}

/**
 * The shared variables of a merge: those given, else (none given, or a model of your own without `shared_*`
 * layer names) the ones more than one task has a gradient for.
 */
function sharedOf(perTask: ReadonlyMap<string, tf.NamedTensorMap>, given: readonly string[] | undefined): string[] {
  if (given?.length) return [...given];
  const counts = new Map<string, number>();
  for (const gradients of perTask.values()) for (const name of Object.keys(gradients)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([name]) => name);
}

/**
 * DB-MTL as LibMTL runs it: every task's loss is log-transformed (∇log(L + 1e-8) = ∇L/(L + 1e-8)); the
 * task-specific variables get those gradients as they are; on the shared variables each task keeps an EMA
 * buffer g_i ← ∇log L_i + β_k·(g_i − ∇log L_i), and the step is Σ (max_j ‖g_j‖ / (‖g_i‖ + 1e-8))·g_i.
 * A task absent from a batch keeps its buffer and scale and takes no part in that step's max or sum.
 * `weights` reports the scales α_i (LibMTL's own batch weights are all 1).
 */
function dualBalancing(spec: DbMtlSpec, tasks: readonly string[]): LossCombiner {
  const beta = spec.beta ?? 0.9;
  const betaSigma = spec.betaSigma ?? 0;
  checkOption('beta', beta, 0, true);
  if (beta > 1)
    throw new InvalidArgumentError({ argument: 'beta', value: beta, message: `The DB-MTL beta must be at most 1, got ${beta}.` });
  checkOption('betaSigma', betaSigma, 0, true);
  let steps = 0;
  // the last step's balancing scale α_i per task (what `weights` reports)
  const scales = new Map(tasks.map((task) => [task, 1]));
  // per task, its EMA of the flattened shared gradient (absent until the task's first step)
  const buffers = new Map<string, Float32Array>();
  const logLossWeights = (losses: ReadonlyMap<string, tf.Scalar>) =>
    tf.tidy(() => {
      let total = tf.scalar(0);
      for (const loss of losses.values()) total = tf.add(total, tf.log(tf.add(loss, 1e-8)));
      return total as tf.Scalar;
    });
  return {
    kind: 'db-mtl',
    variables: [],
    // without per-task gradients (evaluation-style calls): the sum of log losses
    combine: logLossWeights,
    weights: () => Object.fromEntries(scales),
    state: () => ({
      steps,
      scales: Object.fromEntries(scales),
      buffers: Object.fromEntries([...buffers].map(([task, buffer]) => [task, Array.from(buffer)])),
    }),
    restore(state) {
      const saved = state as { steps: number; scales: Record<string, number>; buffers: Record<string, number[]> };
      steps = saved.steps;
      for (const [task, scale] of Object.entries(saved.scales)) scales.set(task, scale);
      buffers.clear();
      for (const [task, values] of Object.entries(saved.buffers)) buffers.set(task, Float32Array.from(values));
    },
    perTaskGradients: {
      merge(perTask, losses, _lastShared, allShared) {
        steps++;
        const factor = beta / steps ** betaSigma;
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const sharedSet = new Set(shared);
        const reference = (name: string) =>
          present.map((task) => (perTask.get(task) as tf.NamedTensorMap)[name]).find((value) => value) as tf.Tensor | undefined;
        const sizes = shared.map((name) => reference(name)?.size ?? 0);
        const total = sizes.reduce((sum, size) => sum + size, 0);
        const norms = new Map<string, number>();
        for (const task of present) {
          const scale = 1 / ((losses.get(task) as number) + 1e-8);
          const gradients = perTask.get(task) as tf.NamedTensorMap;
          const buffer = buffers.get(task) ?? new Float32Array(total);
          let offset = 0;
          let squared = 0;
          for (const [index, name] of shared.entries()) {
            const values = gradients[name]?.dataSync();
            const size = sizes[index] as number;
            for (let position = 0; position < size; position++) {
              const gradient = ((values?.[position] as number | undefined) ?? 0) * scale;
              const updated = gradient + factor * ((buffer[offset + position] as number) - gradient);
              buffer[offset + position] = updated;
              squared += Math.fround(updated) ** 2;
            }
            offset += size;
          }
          buffers.set(task, buffer);
          norms.set(task, Math.sqrt(squared));
        }
        const largest = Math.max(...norms.values());
        const combined = new Float32Array(total);
        for (const task of present) {
          const alpha = largest / ((norms.get(task) as number) + 1e-8);
          scales.set(task, alpha);
          const buffer = buffers.get(task) as Float32Array;
          for (let position = 0; position < total; position++)
            combined[position] = (combined[position] as number) + alpha * (buffer[position] as number);
        }
        const merged: tf.NamedTensorMap = {};
        let offset = 0;
        for (const [index, name] of shared.entries()) {
          const size = sizes[index] as number;
          const shape = reference(name)?.shape;
          if (shape) merged[name] = tf.tensor(combined.slice(offset, offset + size), shape);
          offset += size;
        }
        // task-specific variables: each task's log-loss gradient, summed
        for (const task of present) {
          const scale = 1 / ((losses.get(task) as number) + 1e-8);
          for (const [name, gradient] of Object.entries(perTask.get(task) as tf.NamedTensorMap)) {
            if (sharedSet.has(name)) continue;
            const previous = merged[name];
            merged[name] = tf.tidy(() => (previous ? tf.add(previous, tf.mul(gradient, scale)) : tf.mul(gradient, scale)));
            previous?.dispose();
          }
        }
        return merged;
      },
    },
  };
}

/** Solves the small dense system `matrix`·x = `vector` (Gaussian elimination with partial pivoting). */
function solveSmall(matrix: number[][], vector: number[]): number[] {
  const size = vector.length;
  const rows = matrix.map((row, index) => [...row, vector[index] as number]);
  for (let column = 0; column < size; column++) {
    let pivot = column;
    for (let row = column + 1; row < size; row++)
      if (Math.abs(rows[row]?.[column] as number) > Math.abs(rows[pivot]?.[column] as number)) pivot = row;
    [rows[column], rows[pivot]] = [rows[pivot] as number[], rows[column] as number[]];
    const lead = rows[column] as number[];
    for (let row = column + 1; row < size; row++) {
      const current = rows[row] as number[];
      const factor = (current[column] as number) / (lead[column] as number);
      for (let entry = column; entry <= size; entry++) current[entry] = (current[entry] as number) - factor * (lead[entry] as number);
    }
  }
  const solution = new Array<number>(size).fill(0);
  for (let row = size - 1; row >= 0; row--) {
    const current = rows[row] as number[];
    let sum = current[size] as number;
    for (let entry = row + 1; entry < size; entry++) sum -= (current[entry] as number) * (solution[entry] as number);
    solution[row] = sum / (current[row] as number);
  }
  return solution;
}

/**
 * IMTL as LibMTL runs it (IMTL-L and IMTL-G together): each task's loss becomes exp(s_i)·L_i − s_i with a
 * learned scale s_i (a combiner variable, trained with the model: its gradient is exp(s_i)·L_i − 1); the
 * task-specific variables take exp(s_i)·∇L_i; the shared ones take Σ α_i·g_i with g_i = exp(s_i)·∇L_i and
 * α = [1 − Σα', α'], α' = g_1·Uᵀ(D·Uᵀ)⁻¹, D_j = g_1 − g_{j+1}, U_j = u_1 − u_{j+1} (u the unit gradients), so
 * the step projects equally onto every u_i. All of it comes from the Gram matrix of the g_i. The present
 * tasks alone enter α (one task: α = 1).
 */
function impartial(tasks: readonly string[]): LossCombiner {
  const scales = new Map(
    // named like uncertainty's: the optimizer's state is checkpointed by variable name
    tasks.map((task) => [task, tf.tidy(() => tf.variable(tf.scalar(0), true, `imtl_loss_scale_${task.replace(/[^A-Za-z0-9_]/g, '_')}`))]),
  );
  const alphas = new Map(tasks.map((task) => [task, 1 / tasks.length]));
  return {
    kind: 'imtl',
    variables: [...scales.values()],
    combine: (losses) =>
      tf.tidy(() => {
        let total = tf.scalar(0);
        for (const [task, loss] of losses) {
          const scale = scales.get(task) as tf.Variable;
          total = tf.add(total, tf.sub(tf.mul(tf.exp(scale), loss), scale));
        }
        return total as tf.Scalar;
      }),
    weights: () => Object.fromEntries(alphas),
    state: () => ({ alphas: Object.fromEntries(alphas) }),
    restore(state) {
      for (const [task, alpha] of Object.entries((state as { alphas: Record<string, number> }).alphas)) alphas.set(task, alpha);
    },
    perTaskGradients: {
      merge(perTask, losses, _lastShared, allShared) {
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const sharedSet = new Set(shared);
        const factors = present.map((task) => Math.exp((scales.get(task) as tf.Variable).dataSync()[0] as number));
        return tf.tidy(() => {
          const flat = present.map((task, index) =>
            tf.mul(
              tf.concat(
                shared.map((name) => {
                  const gradient = (perTask.get(task) as tf.NamedTensorMap)[name];
                  const reference = present
                    .map((other) => (perTask.get(other) as tf.NamedTensorMap)[name])
                    .find((value) => value) as tf.Tensor;
                  return tf.reshape(gradient ?? tf.zerosLike(reference), [-1]);
                }),
              ),
              factors[index] as number,
            ),
          );
          const stacked = tf.stack(flat);
          const gram = tf.matMul(stacked, stacked, false, true).arraySync() as number[][];
          const at = (i: number, j: number) => gram[i]?.[j] as number;
          const norms = present.map((_, i) => Math.sqrt(at(i, i)));
          // g_a·u_b
          const projection = (a: number, b: number) => at(a, b) / (norms[b] as number);
          const others = present.map((_, i) => i).slice(1);
          const right = others.map((j) => projection(0, 0) - projection(0, j));
          const system = others.map((j) => others.map((k) => projection(0, 0) - projection(0, k) - projection(j, 0) + projection(j, k)));
          // α'·(D·Uᵀ) = g_1·Uᵀ, i.e. (D·Uᵀ)ᵀ·α' = (g_1·Uᵀ)ᵀ
          const transposed = others.map((_, row) => others.map((__, column) => system[column]?.[row] as number));
          const rest = others.length ? solveSmall(transposed, right) : [];
          const alpha = [1 - rest.reduce((sum, value) => sum + value, 0), ...rest];
          for (const [index, task] of present.entries()) alphas.set(task, alpha[index] as number);
          const combined = tf.sum(tf.mul(stacked, tf.tensor2d(alpha, [alpha.length, 1])), 0);
          const merged: tf.NamedTensorMap = {};
          let offset = 0;
          for (const name of shared) {
            const reference = present.map((task) => (perTask.get(task) as tf.NamedTensorMap)[name]).find((value) => value) as tf.Tensor;
            merged[name] = tf.reshape(tf.slice(combined, offset, reference.size), reference.shape);
            offset += reference.size;
          }
          present.forEach((task, index) => {
            for (const [name, gradient] of Object.entries(perTask.get(task) as tf.NamedTensorMap)) {
              if (sharedSet.has(name)) continue;
              const scaled = tf.mul(gradient, factors[index] as number);
              merged[name] = merged[name] ? tf.add(merged[name] as tf.Tensor, scaled) : scaled;
            }
            // d(exp(s)·L − s)/ds
            const scale = scales.get(task) as tf.Variable;
            merged[scale.name] = tf.scalar((factors[index] as number) * (losses.get(task) as number) - 1);
          });
          return merged;
        });
      },
    },
  };
}

/** The present tasks' shared gradients, flattened in `shared` order (zeros where a task has none), in float64. */
function flattenShared(perTask: ReadonlyMap<string, tf.NamedTensorMap>, present: readonly string[], shared: readonly string[]) {
  const reference = (name: string) =>
    present.map((task) => (perTask.get(task) as tf.NamedTensorMap)[name]).find((value) => value) as tf.Tensor | undefined;
  const layout = shared.map((name) => ({ name, shape: reference(name)?.shape, size: reference(name)?.size ?? 0 }));
  const total = layout.reduce((sum, entry) => sum + entry.size, 0);
  const rows = present.map((task) => {
    const row = new Float64Array(total);
    let offset = 0;
    for (const { name, size } of layout) {
      const values = (perTask.get(task) as tf.NamedTensorMap)[name]?.dataSync();
      if (values) row.set(values, offset);
      offset += size;
    }
    return row;
  });
  return { rows, layout };
}

/** Where each shared variable sits in a flattened row, as {@link flattenShared} lays them out. */
type SharedLayout = readonly { name: string; shape: number[] | undefined; size: number }[];

/** The flattened `values` (in `layout` order) as one float32 tensor per shared variable. */
function tensorsOf(layout: SharedLayout, values: Float64Array): tf.NamedTensorMap {
  const tensors: tf.NamedTensorMap = {};
  let offset = 0;
  for (const { name, shape, size } of layout) {
    if (shape) tensors[name] = tf.tensor(Float32Array.from(values.subarray(offset, offset + size)), shape);
    offset += size;
  }
  return tensors;
}

/** Σ weights_i · rows_i, summed over i in order for each entry (float64), as tensors per shared variable. */
function weightedShared(rows: readonly Float64Array[], layout: SharedLayout, weights: readonly number[]): tf.NamedTensorMap {
  const total = new Float64Array(rows[0]?.length ?? 0);
  for (const [index, row] of rows.entries()) {
    const weight = weights[index] as number;
    for (let position = 0; position < total.length; position++)
      total[position] = (total[position] as number) + weight * (row[position] as number);
  }
  return tensorsOf(layout, total);
}

/**
 * The merged gradients: `combined` (flattened in `layout` order) on the shared variables, and on every other
 * variable the present tasks' gradients summed (LibMTL's task-specific parameters take each loss's plain gradient).
 */
function mergeShared(perTask: ReadonlyMap<string, tf.NamedTensorMap>, layout: SharedLayout, combined: Float64Array): tf.NamedTensorMap {
  return addTaskSpecific(tensorsOf(layout, combined), perTask, [...perTask.keys()], new Set(layout.map((entry) => entry.name)));
}

/**
 * The per-task weights a gradient combiner reports (`weights()`) and checkpoints (`state`/`restore`),
 * starting at `initial`; the combiner updates the map as it merges.
 */
function reportedWeights(tasks: readonly string[], initial: number) {
  const weights = new Map(tasks.map((task) => [task, initial]));
  const reporting: Pick<LossCombiner, 'weights' | 'state' | 'restore'> = {
    weights: () => Object.fromEntries(weights),
    state: () => ({ weights: Object.fromEntries(weights) }),
    restore(state) {
      for (const [task, weight] of Object.entries((state as { weights: Record<string, number> }).weights)) weights.set(task, weight);
    },
  };
  return { weights, reporting };
}

/** a·b. */
function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] as number) * (b[index] as number);
  return sum;
}

/** The generator of a step of the seeded gradient combiners (PCGrad's mixing of seed and step). */
function stepRandom(seed: number, step: number) {
  return createRandom(Math.imul(seed + 1, 0x9e3779b1) ^ step);
}

/** Throws unless the `method`'s seed is an integer. */
function checkSeed(seed: number, method: string): void {
  if (!Number.isInteger(seed))
    throw new InvalidArgumentError({ argument: 'seed', value: seed, message: `The ${method} seed must be an integer, got ${seed}.` });
}

/** Throws unless `value` is a number from 0 to 1. */
function checkUnit(argument: string, value: number, method: string): void {
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new InvalidArgumentError({ argument, value, message: `The ${method} ${argument} must be a number from 0 to 1, got ${value}.` });
}

/** CAGrad's exact solver enumerates the faces of the task simplex (2^n − 1 of them). */
const cagradMaxTasks = 12;

/**
 * The minimiser of x·A·b + c·√(x·A·x + 1e-8) over the simplex, b = (1/n, …) (CAGrad's dual, `gram` = A): the
 * objective is convex, so its minimiser is the KKT point; for every support (largest first), Newton's method
 * with backtracking on that face (x_m = 1 − Σ the others) finds the face's stationary point, kept when it is
 * positive on the support and no coordinate off it has a smaller gradient. Should rounding leave no face
 * passing, the feasible candidate of lowest objective is returned.
 */
function cagradWeights(gram: readonly (readonly number[])[], c: number): number[] {
  const n = gram.length;
  const at = (i: number, j: number) => gram[i]?.[j] as number;
  const times = (x: readonly number[]) => x.map((_, i) => x.reduce((sum, value, j) => sum + at(i, j) * value, 0));
  const b = new Array<number>(n).fill(1 / n);
  const ab = times(b);
  const value = (x: readonly number[]) => {
    const ax = times(x);
    return (
      x.reduce((sum, entry, i) => sum + entry * (ab[i] as number), 0) +
      c * Math.sqrt(x.reduce((sum, entry, i) => sum + entry * (ax[i] as number), 0) + 1e-8)
    );
  };
  const gradientHessian = (x: readonly number[]) => {
    const ax = times(x);
    const s = Math.sqrt(x.reduce((sum, entry, i) => sum + entry * (ax[i] as number), 0) + 1e-8);
    const gradient = ab.map((entry, i) => entry + (c * (ax[i] as number)) / s);
    const hessian = ax.map((_, i) => ax.map((__, j) => c * (at(i, j) / s - ((ax[i] as number) * (ax[j] as number)) / s ** 3)));
    return { gradient, hessian };
  };
  let best: { x: number[]; value: number } | undefined;
  for (let size = n; size >= 1; size--) {
    for (let mask = 1; mask < 1 << n; mask++) {
      const support = [...Array(n).keys()].filter((i) => (mask >> i) & 1);
      if (support.length !== size) continue;
      let x = new Array<number>(n).fill(0);
      for (const i of support) x[i] = 1 / size;
      const last = support[size - 1] as number;
      const free = support.slice(0, -1);
      let diverged = false;
      for (let iteration = 0; iteration < 200 && free.length; iteration++) {
        if (x.some((entry) => !Number.isFinite(entry) || Math.abs(entry) > 1e6)) {
          // unbounded on this face's affine hull: no minimiser there
          diverged = true;
          break;
        }
        const { gradient, hessian } = gradientHessian(x);
        const g = (i: number) => gradient[i] as number;
        const reduced = free.map((k) => g(k) - g(last));
        if (Math.max(...reduced.map(Math.abs)) < 1e-15 * Math.max(1, ...gradient.map(Math.abs))) break;
        const h = (i: number, j: number) => hessian[i]?.[j] as number;
        const system = free.map((k) => free.map((l) => h(k, l) - h(k, last) - h(last, l) + h(last, last)));
        const step = solveSmall(
          system,
          reduced.map((entry) => -entry),
        );
        if (step.some((entry) => !Number.isFinite(entry))) {
          diverged = true;
          break;
        }
        const direction = new Array<number>(n).fill(0);
        for (const [index, k] of free.entries()) direction[k] = step[index] as number;
        direction[last] = -step.reduce((sum, entry) => sum + entry, 0);
        const slope = direction.reduce((sum, entry, i) => sum + entry * g(i), 0);
        const start = value(x);
        let t = 1;
        const moved = (scale: number) => x.map((entry, i) => entry + scale * (direction[i] as number));
        while (value(moved(t)) > start + 1e-4 * t * slope && t > 1e-12) t /= 2;
        x = moved(t);
      }
      if (diverged || x.some((entry) => Math.abs(entry) > 1e6)) continue;
      const { gradient } = gradientHessian(x);
      const mu = gradient[last] as number;
      const feasible = support.every((i) => (x[i] as number) > 0);
      if (!feasible) continue;
      const candidate = { x, value: value(x) };
      if (!best || candidate.value < best.value) best = candidate;
      if ([...Array(n).keys()].every((j) => support.includes(j) || (gradient[j] as number) >= mu - 1e-12 * Math.max(1, Math.abs(mu))))
        return x;
    }
  }
  return (best as { x: number[] }).x;
}

/** CAGrad, conflict-averse gradient descent (Liu et al. 2021), with LibMTL's defaults. */
export interface CagradSpec {
  readonly kind: 'cagrad';
  /** c, the radius of the ball around the mean gradient the update may move in (LibMTL `CAGrad_calpha`). @default 0.5 */
  readonly calpha?: number;
  /** Rescaling of the update: 0 none, 1 by 1/(1 + c²), 2 by 1/(1 + c) (LibMTL `rescale`). @default 1 */
  readonly rescale?: 0 | 1 | 2;
}

/**
 * CAGrad as LibMTL runs it (rep_grad=False): with G the present tasks' shared gradients and A = G·Gᵀ,
 * w minimises w·A·b + c·√(w·A·w + 1e-8) on the simplex (b uniform, c = calpha·‖ḡ‖; solved exactly, LibMTL uses
 * SLSQP), and the shared step is (ḡ + c/‖g_w‖·g_w)/(1 + calpha²) (rescale 1) with ḡ the mean and g_w = Σ w_i·g_i;
 * task-specific variables take their plain gradients. `weights` reports w (as LibMTL returns); an absent task
 * takes no part and keeps its last w.
 */
function conflictAverse(spec: CagradSpec, tasks: readonly string[]): LossCombiner {
  const calpha = spec.calpha ?? 0.5;
  const rescale = spec.rescale ?? 1;
  checkOption('calpha', calpha, 0, true);
  if (rescale !== 0 && rescale !== 1 && rescale !== 2)
    throw new InvalidArgumentError({
      argument: 'rescale',
      value: rescale,
      message: `The CAGrad rescale must be 0, 1 or 2, got ${rescale}.`,
    });
  if (tasks.length > cagradMaxTasks)
    throw new InvalidArgumentError({
      argument: 'tasks',
      value: tasks.length,
      message: `CAGrad's exact solver handles at most ${cagradMaxTasks} tasks, got ${tasks.length}.`,
    });
  const divisor = [1, 1 + calpha ** 2, 1 + calpha][rescale] as number;
  const { weights, reporting } = reportedWeights(tasks, 1 / tasks.length);
  return {
    kind: 'cagrad',
    variables: [],
    combine: (losses) =>
      weightedSum(
        losses,
        tasks,
        tasks.map(() => 1),
      ),
    ...reporting,
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const present = [...perTask.keys()];
        const { rows, layout } = flattenShared(perTask, present, sharedOf(perTask, allShared));
        const gram = gramOf(rows);
        const count = present.length;
        const g0Norm = Math.sqrt(gram.flat().reduce((sum, entry) => sum + entry, 0) / count ** 2 + 1e-8);
        const c = calpha * g0Norm + 1e-8;
        const w = cagradWeights(gram, c);
        for (const [index, task] of present.entries()) weights.set(task, w[index] as number);
        const size = rows[0]?.length ?? 0;
        const gw = new Float64Array(size);
        const mean = new Float64Array(size);
        for (const [index, row] of rows.entries())
          for (let position = 0; position < size; position++) {
            gw[position] = (gw[position] as number) + (w[index] as number) * (row[position] as number);
            mean[position] = (mean[position] as number) + (row[position] as number) / count;
          }
        const lambda = c / (Math.sqrt(dot(gw, gw)) + 1e-8);
        const combined = mean.map((entry, position) => (entry + lambda * (gw[position] as number)) / divisor);
        return mergeShared(perTask, layout, combined);
      },
    },
  };
}

/** GradVac, gradient vaccine (Wang et al. 2021), with LibMTL's defaults. */
export interface GradVacSpec {
  readonly kind: 'gradvac';
  /** EMA factor of the target cosine similarities ρ̂_ij (LibMTL `GradVac_beta`). @default 0.5 */
  readonly beta?: number;
  /**
   * Granularity of the similarities (LibMTL `GradVac_group_type`): 0 all shared variables together, 1 per layer
   * (the variables whose names share the part before the last `/`), 2 per variable. @default 0
   */
  readonly groupType?: 0 | 1 | 2;
  /** Seed of the random order of the other tasks; step k's order depends only on (seed, k), like PCGrad's. @default 0 */
  readonly seed?: number;
}

/**
 * GradVac as LibMTL runs it (rep_grad=False): for each task i and each other present task j in a random order,
 * per group k, ρ = cos(g'_i, g_j); if ρ is below the EMA target ρ̂_ijk, g'_i += g_j·‖g'_i‖(ρ̂√(1−ρ²) − ρ√(1−ρ̂²))/(‖g_j‖√(1−ρ̂²) + 1e-8);
 * then ρ̂_ijk ← (1 − β)·ρ̂_ijk + β·ρ. The shared step is Σ g'_i; task-specific variables take their plain gradients.
 * The ρ̂ (per ordered task pair and group) are checkpointed; an absent task's pairs are left as they are.
 * `weights` reports 1 per task (LibMTL's batch weights).
 */
function gradientVaccine(spec: GradVacSpec, tasks: readonly string[]): LossCombiner {
  const beta = spec.beta ?? 0.5;
  const groupType = spec.groupType ?? 0;
  const seed = spec.seed ?? 0;
  checkUnit('beta', beta, 'GradVac');
  checkSeed(seed, 'GradVac');
  if (groupType !== 0 && groupType !== 1 && groupType !== 2)
    throw new InvalidArgumentError({
      argument: 'groupType',
      value: groupType,
      message: `The GradVac groupType must be 0 (whole model), 1 (per layer) or 2 (per variable), got ${groupType}.`,
    });
  let steps = 0;
  // ρ̂ per ordered task pair, one entry per group (zeros until the pair's first step)
  const targets = new Map<string, number[]>();
  const pair = (i: string, j: string) => JSON.stringify([i, j]);
  return {
    kind: 'gradvac',
    variables: [],
    combine: (losses) =>
      weightedSum(
        losses,
        tasks,
        tasks.map(() => 1),
      ),
    weights: () => Object.fromEntries(tasks.map((task) => [task, 1])),
    state: () => ({ steps, targets: Object.fromEntries(targets) }),
    restore(state) {
      const saved = state as { steps: number; targets: Record<string, number[]> };
      steps = saved.steps;
      targets.clear();
      for (const [key, values] of Object.entries(saved.targets)) targets.set(key, [...values]);
    },
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const random = stepRandom(seed, steps++);
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const { rows, layout } = flattenShared(perTask, present, shared);
        // groups as lists of positions in the flattened vector: all, per layer (a variable without `/` is its own layer), per variable
        const keys = layout.map(({ name }, index) => {
          if (groupType === 0) return '';
          const slash = name.lastIndexOf('/');
          return groupType === 1 && slash >= 0 ? `layer ${name.slice(0, slash)}` : `variable ${index}`;
        });
        const positions = new Map<string, number[]>();
        let offset = 0;
        for (const [index, { size }] of layout.entries()) {
          const list = positions.get(keys[index] as string) ?? [];
          for (let position = offset; position < offset + size; position++) list.push(position);
          positions.set(keys[index] as string, list);
          offset += size;
        }
        const groups = [...positions.values()];
        const gathered = (row: Float64Array, group: readonly number[]) => Float64Array.from(group, (position) => row[position] as number);
        const originals = groups.map((group) => rows.map((row) => gathered(row, group)));
        const projected = originals.map((group) => group.map((row) => Float64Array.from(row)));
        for (const [i, taskI] of present.entries()) {
          const order = shuffleInPlace(
            present.map((_, other) => other).filter((other) => other !== i),
            random,
          ) as number[];
          for (const j of order) {
            const key = pair(taskI, present[j] as string);
            const target = targets.get(key) ?? groups.map(() => 0);
            for (const k of groups.keys()) {
              const current = projected[k]?.[i] as Float64Array;
              const other = originals[k]?.[j] as Float64Array;
              const currentNorm = Math.sqrt(dot(current, current));
              const otherNorm = Math.sqrt(dot(other, other));
              const rho = dot(current, other) / (currentNorm * otherNorm + 1e-8);
              const goal = (target[k] as number | undefined) ?? 0;
              if (rho < goal) {
                const w =
                  (currentNorm * (goal * Math.sqrt(1 - rho ** 2) - rho * Math.sqrt(1 - goal ** 2))) /
                  (otherNorm * Math.sqrt(1 - goal ** 2) + 1e-8);
                for (let position = 0; position < current.length; position++)
                  current[position] = (current[position] as number) + (other[position] as number) * w;
              }
              target[k] = (1 - beta) * goal + beta * rho;
            }
            targets.set(key, target);
          }
        }
        const combined = new Float64Array(rows[0]?.length ?? 0);
        for (const [k, group] of groups.entries())
          for (const row of projected[k] as Float64Array[])
            for (const [index, position] of group.entries()) combined[position] = (combined[position] as number) + (row[index] as number);
        return mergeShared(perTask, layout, combined);
      },
    },
  };
}

/** GradDrop, gradient sign dropout (Chen et al. 2020), with LibMTL's defaults. */
export interface GradDropSpec {
  readonly kind: 'graddrop';
  /** Share of every gradient kept whatever its sign (LibMTL `GradDrop_leak`). @default 0 */
  readonly leak?: number;
  /** Seed of the uniform draws; step k's draws depend only on (seed, k). @default 0 */
  readonly seed?: number;
}

/**
 * GradDrop on parameter gradients. LibMTL applies it to the gradient of the shared representation
 * (rep_grad=True: per-sample gradients times the sign of the representation, summed over the batch); Polytask
 * has per-parameter gradients only, so here it works per element of the shared variables' per-task gradients:
 * P = ½(1 + Σ_i g_i / (Σ_i |g_i| + 1e-7)), U uniform, task i keeps g_i where (P > U and g_i > 0) or (P < U and
 * g_i < 0), and a `leak` share of it otherwise; the shared step is the sum of what is kept. Task-specific
 * variables take their plain gradients. `weights` reports 1 per task (LibMTL returns none).
 */
function gradientDrop(spec: GradDropSpec, tasks: readonly string[]): LossCombiner {
  const leak = spec.leak ?? 0;
  const seed = spec.seed ?? 0;
  checkUnit('leak', leak, 'GradDrop');
  checkSeed(seed, 'GradDrop');
  let steps = 0;
  return {
    kind: 'graddrop',
    variables: [],
    combine: (losses) =>
      weightedSum(
        losses,
        tasks,
        tasks.map(() => 1),
      ),
    weights: () => Object.fromEntries(tasks.map((task) => [task, 1])),
    state: () => ({ steps }),
    restore(state) {
      steps = (state as { steps: number }).steps;
    },
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const random = stepRandom(seed, steps++);
        const present = [...perTask.keys()];
        const { rows, layout } = flattenShared(perTask, present, sharedOf(perTask, allShared));
        const combined = new Float64Array(rows[0]?.length ?? 0);
        for (let position = 0; position < combined.length; position++) {
          let sum = 0;
          let magnitude = 0;
          for (const row of rows) {
            sum += row[position] as number;
            magnitude += Math.abs(row[position] as number);
          }
          const purity = 0.5 * (1 + sum / (magnitude + 1e-7));
          const draw = random();
          let kept = 0;
          for (const row of rows) {
            const gradient = row[position] as number;
            const keep = (purity > draw && gradient > 0) || (purity < draw && gradient < 0);
            kept += gradient * (leak + (1 - leak) * (keep ? 1 : 0));
          }
          combined[position] = kept;
        }
        return mergeShared(perTask, layout, combined);
      },
    },
  };
}

/** The Gram matrix of `rows` (float64). */
function gramOf(rows: readonly Float64Array[]): number[][] {
  return rows.map((first) => rows.map((second) => dot(first, second)));
}

/**
 * Adds each present task's own gradients of the non-shared (task-specific) variables into `merged`, each
 * times its task's entry of `scales` when given (in `present` order).
 */
function addTaskSpecific(
  merged: tf.NamedTensorMap,
  perTask: ReadonlyMap<string, tf.NamedTensorMap>,
  present: readonly string[],
  shared: ReadonlySet<string>,
  scales?: readonly number[],
): tf.NamedTensorMap {
  for (const [index, task] of present.entries()) {
    for (const [name, gradient] of Object.entries(perTask.get(task) as tf.NamedTensorMap)) {
      if (shared.has(name)) continue;
      const previous = merged[name];
      const term = scales ? tf.mul(gradient, scales[index] as number) : gradient;
      merged[name] = previous ? tf.add(previous, term) : tf.clone(term);
      if (term !== gradient) term.dispose();
      previous?.dispose();
    }
  }
  return merged;
}

/**
 * The min-norm element of the convex hull of the vectors whose Gram matrix is `gram`: LibMTL's
 * `MGDA._find_min_norm_element` (from Sener and Koltun's code), the best pair first, then Frank–Wolfe steps
 * (at most 250, stopping when the solution changes by less than 1e-5 in L1, keeping the earlier one).
 */
function minNormElement(gram: readonly (readonly number[])[]): number[] {
  const n = gram.length;
  const at = (i: number, j: number) => gram[i]?.[j] as number;
  const fromTwo = (v1v1: number, v1v2: number, v2v2: number): [gamma: number, cost: number] => {
    if (v1v2 >= v1v1) return [0.999, v1v1];
    if (v1v2 >= v2v2) return [0.001, v2v2];
    const gamma = -1 * ((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2));
    return [gamma, v2v2 + gamma * (v1v2 - v2v2)];
  };
  // _min_norm_2d (LibMTL fails when no pair costs under 1e8; the first pair is kept then)
  let best: { i: number; j: number; gamma: number } | undefined;
  let smallest = 1e8;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const [gamma, cost] = fromTwo(at(i, i), at(i, j), at(j, j));
      if (cost < smallest || best === undefined) {
        if (cost < smallest) smallest = cost;
        best = { i, j, gamma };
      }
    }
  if (!best) return [1];
  let solution = new Array<number>(n).fill(0);
  solution[best.i] = best.gamma;
  solution[best.j] = 1 - best.gamma;
  // optimal for two vectors
  if (n < 3) return solution;
  const projectToSimplex = (y: readonly number[]) => {
    const sorted = [...y].sort((a, b) => b - a);
    let partial = 0;
    let shift = (y.reduce((sum, value) => sum + value, 0) - 1) / n;
    for (let i = 0; i < n - 1; i++) {
      partial += sorted[i] as number;
      const candidate = (partial - 1) / (i + 1);
      if (candidate > (sorted[i + 1] as number)) {
        shift = candidate;
        break;
      }
    }
    return y.map((value) => Math.max(value - shift, 0));
  };
  const nextPoint = (current: readonly number[], direction: readonly number[]) => {
    const mean = direction.reduce((sum, value) => sum + value, 0) / n;
    const projected = direction.map((value) => value - mean);
    let step = 1;
    const below = projected
      .flatMap((value, index) => (value < 0 ? [(-1 * (current[index] as number)) / value] : []))
      .filter((t) => t > 1e-7);
    const above = projected
      .flatMap((value, index) => (value > 0 ? [(1 - (current[index] as number)) / value] : []))
      .filter((t) => t > 1e-7);
    if (below.length > 0) step = Math.min(...below);
    if (above.length > 0) step = Math.min(step, ...above);
    return projectToSimplex(projected.map((value, index) => value * step + (current[index] as number)));
  };
  const quadratic = (left: readonly number[], right: readonly number[]) => {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += (left[i] as number) * (right[j] as number) * at(i, j);
    return sum;
  };
  for (let iteration = 0; iteration < 250; iteration++) {
    const direction = gram.map((row) => -row.reduce((sum, value, j) => sum + value * (solution[j] as number), 0));
    const next = nextPoint(solution, direction);
    const [gamma] = fromTwo(quadratic(solution, solution), quadratic(solution, next), quadratic(next, next));
    const updated = solution.map((value, index) => gamma * value + (1 - gamma) * (next[index] as number));
    const change = updated.reduce((sum, value, index) => sum + Math.abs(value - (solution[index] as number)), 0);
    if (change < 1e-5) return solution;
    solution = updated;
  }
  return solution;
}

/**
 * MGDA as LibMTL runs it with `rep_grad=False`: the present tasks' shared-parameter gradients g_i are normalised
 * (`gradientNormalization`: none, ‖g_i‖, L_i or L_i·‖g_i‖), the weights w are the min-norm point of their
 * convex hull ({@link minNormElement}), and the shared step is Σ w_i·ĝ_i on the normalised gradients; each
 * task-specific variable takes its task's own gradient. MGDA-UB (the gradient with respect to the shared
 * representation, LibMTL's `rep_grad=True`) is not offered: Polytask's training computes parameter gradients.
 * Absent tasks take no part and keep their reported weight; one present task gets weight 1.
 */
/** The checked MGDA gradient normalisation of a spec. */
function mgdaNormalization(spec: MgdaSpec | MgdaUpperBoundSpec): MgdaGradientNormalization {
  const normalization = spec.gradientNormalization ?? 'none';
  if (!['none', 'l2', 'loss', 'loss+'].includes(normalization))
    throw new InvalidArgumentError({
      argument: 'gradientNormalization',
      value: normalization,
      message: `The MGDA gradientNormalization must be none, l2, loss or loss+, got ${String(normalization)}.`,
    });
  return normalization;
}

/** Divides each row in place by its MGDA normaliser (LibMTL `_gradient_normalizers`). */
function normaliseRows(rows: readonly Float64Array[], losses: readonly number[], normalization: MgdaGradientNormalization): void {
  for (const [index, row] of rows.entries()) {
    const norm = () => Math.sqrt(row.reduce((sum, value) => sum + value * value, 0));
    const loss = losses[index] as number;
    const divisor = normalization === 'l2' ? norm() : normalization === 'loss' ? loss : normalization === 'loss+' ? loss * norm() : 1;
    if (divisor !== 1) for (let position = 0; position < row.length; position++) row[position] = (row[position] as number) / divisor;
  }
}

/**
 * MGDA's solve, shared by MGDA and MGDA-UB: the rows (in place) normalised, the min-norm weights of their convex
 * hull, recorded per present task in `weights`.
 */
function minNormWeights(options: {
  rows: readonly Float64Array[];
  present: readonly string[];
  losses: ReadonlyMap<string, number>;
  normalization: MgdaGradientNormalization;
  weights: Map<string, number>;
}): number[] {
  const { rows, present, losses, normalization, weights } = options;
  normaliseRows(
    rows,
    present.map((task) => losses.get(task) as number),
    normalization,
  );
  const solution = minNormElement(gramOf(rows));
  for (const [index, task] of present.entries()) weights.set(task, solution[index] as number);
  return solution;
}

/**
 * MGDA-UB as LibMTL runs MGDA with rep_grad=True: per task, the representation's gradient summed over the batch,
 * normalised, the min-norm weights w of those vectors, and Σ w_t·(task t's representation gradient) back.
 */
function mgdaUpperBound(spec: MgdaUpperBoundSpec, tasks: readonly string[]): LossCombiner {
  const normalization = mgdaNormalization(spec);
  const { weights, reporting } = reportedWeights(tasks, 1 / tasks.length);
  return {
    kind: 'mgda-ub',
    variables: [],
    combine: (losses) => weightedSum(losses, tasks, [...weights.values()]),
    ...reporting,
    representationGradients: {
      merge(perTask, losses) {
        const present = [...perTask.keys()];
        const rows = present.map((task) => {
          const gradient = perTask.get(task) as tf.Tensor;
          const batch = gradient.shape[0] ?? 1;
          const width = gradient.size / batch;
          const values = gradient.dataSync();
          const row = new Float64Array(width);
          for (let item = 0; item < batch; item++)
            for (let position = 0; position < width; position++)
              row[position] = (row[position] as number) + (values[item * width + position] as number);
          return row;
        });
        const solution = minNormWeights({ rows, present, losses, normalization, weights });
        return tf.tidy(
          () =>
            present.reduce<tf.Tensor | undefined>((sum, task, index) => {
              const term = tf.mul(perTask.get(task) as tf.Tensor, solution[index] as number);
              return sum ? tf.add(sum, term) : term;
            }, undefined) as tf.Tensor,
        );
      },
    },
  };
}

function multipleGradientDescent(spec: MgdaSpec, tasks: readonly string[]): LossCombiner {
  const normalization = mgdaNormalization(spec);
  const { weights, reporting } = reportedWeights(tasks, 1 / tasks.length);
  return {
    kind: 'mgda',
    variables: [],
    combine: (losses) => weightedSum(losses, tasks, [...weights.values()]),
    ...reporting,
    perTaskGradients: {
      merge(perTask, losses, _lastShared, allShared) {
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const { rows, layout } = flattenShared(perTask, present, shared);
        const solution = minNormWeights({ rows, present, losses, normalization, weights });
        return addTaskSpecific(weightedShared(rows, layout, solution), perTask, present, new Set(shared));
      },
    },
  };
}

/**
 * Eigenvalues and eigenvectors (the columns of `vectors`) of the small symmetric matrix `matrix`, by cyclic
 * Jacobi rotations (exact to rounding for the few tasks of a combiner).
 */
function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = matrix.map((_, i) => matrix.map((__, j) => (i === j ? 1 : 0)));
  const get = (m: number[][], i: number, j: number) => m[i]?.[j] as number;
  const set = (m: number[][], i: number, j: number, value: number) => {
    (m[i] as number[])[j] = value;
  };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i !== j) off += get(a, i, j) ** 2;
        scale += get(a, i, j) ** 2;
      }
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = get(a, p, q);
        if (apq === 0) continue;
        const theta = (get(a, q, q) - get(a, p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = get(a, k, p);
          const akq = get(a, k, q);
          set(a, k, p, c * akp - s * akq);
          set(a, k, q, s * akp + c * akq);
        }
        for (let k = 0; k < n; k++) {
          const apk = get(a, p, k);
          const aqk = get(a, q, k);
          set(a, p, k, c * apk - s * aqk);
          set(a, q, k, s * apk + c * aqk);
        }
        for (let k = 0; k < n; k++) {
          const vkp = get(v, k, p);
          const vkq = get(v, k, q);
          set(v, k, p, c * vkp - s * vkq);
          set(v, k, q, s * vkp + c * vkq);
        }
      }
  }
  return { values: a.map((row, i) => row[i] as number), vectors: v };
}

/**
 * Aligned-MTL as LibMTL runs it with `rep_grad=False`: from the Gram matrix M = G·Gᵀ of the present tasks'
 * shared-parameter gradients, its eigenvalues λ and eigenvectors V (those with λ above λ_max·n·ε, ε float32's
 * machine epsilon), B = sqrt(λ_min)·V·diag(λ)^(−1/2)·Vᵀ and α = the column sums of B; the shared step is Σ α_i·g_i,
 * each task-specific variable takes its task's own gradient. Absent tasks take no part and keep their reported
 * α; with all shared gradients zero the step is zero and the weights stay.
 */
function alignedMtl(tasks: readonly string[]): LossCombiner {
  const { weights, reporting } = reportedWeights(tasks, 1);
  return {
    kind: 'aligned-mtl',
    variables: [],
    combine: (losses) => weightedSum(losses, tasks, [...weights.values()]),
    ...reporting,
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const { rows, layout } = flattenShared(perTask, present, shared);
        const gram = gramOf(rows);
        const { values, vectors } = symmetricEigen(gram);
        const tolerance = Math.max(...values) * present.length * 2 ** -23;
        const kept = values
          .map((value, index) => ({ value, index }))
          .filter(({ value }) => value > tolerance)
          .sort((first, second) => second.value - first.value);
        let alpha = present.map((task) => weights.get(task) as number);
        if (kept.length > 0) {
          const smallest = Math.sqrt((kept.at(-1) as { value: number }).value);
          // α_j = Σ_i B_ij, B = sqrt(λ_min)·Σ_k v_k·v_kᵀ / sqrt(λ_k)
          alpha = present.map((_, j) => {
            let sum = 0;
            for (const { value, index } of kept) {
              const columnSum = present.reduce((total, __, i) => total + (vectors[i]?.[index] as number), 0);
              sum += (columnSum * (vectors[j]?.[index] as number)) / Math.sqrt(value);
            }
            return smallest * sum;
          });
          for (const [index, task] of present.entries()) weights.set(task, alpha[index] as number);
        }
        return addTaskSpecific(weightedShared(rows, layout, alpha), perTask, present, new Set(shared));
      },
    },
  };
}

/** Nash-MTL, multi-task learning as a bargaining game (Navon et al. 2022), with LibMTL's defaults. */
export interface NashMtlSpec {
  readonly kind: 'nash-mtl';
  /** Steps between weight updates; the steps in between reuse the last weights (LibMTL `update_weights_every`). @default 1 */
  readonly updateWeightsEvery?: number;
  /** At most this many convex problems per update (LibMTL `optim_niter`). @default 20 */
  readonly optimizationIterations?: number;
  /** The shared parameters' combined gradient is clipped to this L2 norm; 0 leaves it unclipped (LibMTL `max_norm`). @default 1 */
  readonly maxNorm?: number;
}

/**
 * One convex problem of Nash-MTL's sequence, as LibMTL states it for cvxpy: with G the normalised Gram matrix,
 * `scale` its Frobenius norm before normalising and α_p the previous iterate, minimise Σ(G·α) + φ_p·(α − α_p)/scale
 * (φ_p = 1/α_p + G·(1/(G·α_p)), the linearised concave part) subject to log(α_i·scale) + log((G·α)_i) ≥ 0 and
 * α ≥ 0. Solved exactly by a log-barrier interior-point method (Newton steps, barrier weight ×10 until the
 * duality gap is below 1e-13 of the objective); undefined where the problem has no solution (no α ≥ 0 makes every
 * (G·α)_i positive, or the objective is unbounded), where LibMTL's solver fails and its loop stops.
 */
export function nashSubproblem(gram: readonly (readonly number[])[], scale: number, previous: readonly number[]): number[] | undefined {
  const n = previous.length;
  const product = (alpha: readonly number[]) => gram.map((row) => row.reduce((sum, entry, j) => sum + entry * (alpha[j] as number), 0));
  const previousProduct = product(previous);
  const tangent = previous.map(
    (value, i) => 1 / value + gram.reduce((sum, row, k) => sum + (row[i] as number) / (previousProduct[k] as number), 0),
  );
  const ones = product(previous.map(() => 1));
  const cost = ones.map((value, i) => value + (tangent[i] as number) / scale);
  if (!cost.every(Number.isFinite)) return undefined;
  // unbounded (cvxpy with ECOS reports no solution): a direction d ≥ 0 with G·d ≥ 0, along which every
  // constraint stays satisfied, on which the cost falls; d on the simplex, so a small linear programme
  const recession = smallLinearProgramme({
    cost,
    equalities: [...gram.map((row, i) => [...row, ...row.map((_, j) => (j === i ? -1 : 0))]), [...cost.map(() => 1), ...cost.map(() => 0)]],
    right: [...cost.map(() => 0), 1],
  });
  if (recession && recession.value < -1e-12 * Math.max(...cost.map(Math.abs))) return undefined;
  const logScale = Math.log(scale);
  /** The constraints' values h_i = log α_i + log scale + log (Gα)_i, or undefined outside their domain. */
  const constraints = (alpha: readonly number[]): { values: number[]; products: number[] } | undefined => {
    const products = product(alpha);
    if (alpha.some((value) => !(value > 0)) || products.some((value) => !(value > 0))) return undefined;
    return { values: alpha.map((value, i) => Math.log(value) + logScale + Math.log(products[i] as number)), products };
  };
  // a strictly feasible start: the previous iterate, all ones, or the min-norm point of the gradients' hull
  // (where the hull's min-norm vector v is not zero, every g_i·v ≥ ‖v‖² > 0), scaled up until every h_i ≥ 1
  // (h_i(s·α) = h_i(α) + 2·log s)
  const hull = minNormElement(gram).map((value) => value + 1e-3);
  const start = [previous, previous.map(() => 1), hull].find((candidate) => constraints(candidate) !== undefined);
  if (!start) return undefined;
  const lowest = Math.min(...(constraints(start) as { values: number[] }).values);
  const grow = Math.exp(Math.max(0, (1 - lowest) / 2));
  let alpha: number[] = start.map((value) => value * grow);
  const objective = (point: readonly number[]) => point.reduce((sum, value, i) => sum + value * (cost[i] as number), 0);
  const barrier = (point: readonly number[], weight: number): number => {
    const state = constraints(point);
    if (!state || state.values.some((value) => !(value > 0))) return Number.POSITIVE_INFINITY;
    return weight * objective(point) - state.values.reduce((sum, value) => sum + Math.log(value), 0);
  };
  let weight = 1 / Math.max(1e-12, Math.abs(objective(alpha)));
  for (let outer = 0; outer < 200; outer++) {
    // Newton's method on the barrier problem at this weight
    let decrement = Number.POSITIVE_INFINITY;
    for (let inner = 0; inner < 100 && decrement / 2 >= 1e-15; inner++) {
      const state = constraints(alpha) as { values: number[]; products: number[] };
      const gradient = cost.map((value) => weight * value);
      const hessian = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) {
        const h = state.values[i] as number;
        const p = state.products[i] as number;
        const a = alpha[i] as number;
        const row = gram[i] as readonly number[];
        // ∇h_i = e_i/α_i + G_i/(Gα)_i; ∇²h_i = −e_i·e_iᵀ/α_i² − G_i·G_iᵀ/(Gα)_i²
        const dh = row.map((entry, j) => entry / p + (j === i ? 1 / a : 0));
        for (let j = 0; j < n; j++) {
          gradient[j] = (gradient[j] as number) - (dh[j] as number) / h;
          const line = hessian[j] as number[];
          for (let k = 0; k < n; k++) {
            const curvature = ((row[j] as number) * (row[k] as number)) / (p * p) + (j === i && k === i ? 1 / (a * a) : 0);
            line[k] = (line[k] as number) + ((dh[j] as number) * (dh[k] as number)) / (h * h) + curvature / h;
          }
        }
      }
      const direction = solveSmall(
        hessian,
        gradient.map((value) => -value),
      );
      decrement = -direction.reduce((sum, value, j) => sum + value * (gradient[j] as number), 0);
      if (!Number.isFinite(decrement)) return undefined;
      if (decrement / 2 < 1e-15) break;
      const start = barrier(alpha, weight);
      let step = 1;
      let next: number[] = alpha.map((value, j) => value + step * (direction[j] as number));
      while (barrier(next, weight) > start - 0.25 * step * decrement && step > 1e-14) {
        step /= 2;
        next = alpha.map((value, j) => value + step * (direction[j] as number));
      }
      if (step <= 1e-14) break;
      alpha = next;
      if (alpha.some((value) => value > 1e12)) return undefined;
    }
    if (n / weight < 1e-13 * Math.max(1, Math.abs(objective(alpha)))) return alpha;
    weight *= 10;
  }
  return alpha;
}

/**
 * Minimises cost·x (cost padded with zeros to x's length) subject to equalities·x = right and x ≥ 0 by the
 * two-phase simplex method with Bland's rule (no cycling), for the handful of variables of a combiner's
 * subproblem. Undefined when infeasible; `value` is −Infinity when unbounded below.
 */
export function smallLinearProgramme(options: {
  cost: readonly number[];
  equalities: readonly (readonly number[])[];
  right: readonly number[];
}): { x: number[]; value: number } | undefined {
  const rows = options.equalities.length;
  const columns = options.equalities[0]?.length ?? 0;
  const tolerance = 1e-12;
  // tableau rows: [coefficients (columns), artificials (rows), right-hand side]; right-hand sides made ≥ 0
  const tableau = options.equalities.map((row, i) => {
    const sign = (options.right[i] as number) < 0 ? -1 : 1;
    return [
      ...row.map((entry) => sign * entry),
      ...Array.from({ length: rows }, (_, j) => (j === i ? 1 : 0)),
      sign * (options.right[i] as number),
    ];
  });
  const basis = Array.from({ length: rows }, (_, i) => columns + i);
  const width = columns + rows;
  /** Pivots to optimality for `objective` (one entry per column); false when unbounded. */
  const optimise = (objective: readonly number[], allowed: (column: number) => boolean): boolean => {
    for (let iteration = 0; iteration < 10_000; iteration++) {
      // reduced costs: objective − objective_B · tableau
      let entering = -1;
      for (let column = 0; column < width && entering < 0; column++) {
        if (!allowed(column) || basis.includes(column)) continue;
        let reduced = objective[column] as number;
        for (let i = 0; i < rows; i++) reduced -= (objective[basis[i] as number] as number) * (tableau[i]?.[column] as number);
        if (reduced < -tolerance) entering = column;
      }
      if (entering < 0) return true;
      let leaving = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < rows; i++) {
        const entry = tableau[i]?.[entering] as number;
        if (entry <= tolerance) continue;
        const ratio = (tableau[i]?.[width] as number) / entry;
        if (ratio < best - tolerance || (Math.abs(ratio - best) <= tolerance && (basis[i] as number) < (basis[leaving] as number))) {
          best = ratio;
          leaving = i;
        }
      }
      if (leaving < 0) return false;
      const pivotRow = tableau[leaving] as number[];
      const pivot = pivotRow[entering] as number;
      for (let column = 0; column <= width; column++) pivotRow[column] = (pivotRow[column] as number) / pivot;
      for (const [i, row] of tableau.entries()) {
        if (i === leaving) continue;
        const factor = row[entering] as number;
        if (factor !== 0)
          for (let column = 0; column <= width; column++) row[column] = (row[column] as number) - factor * (pivotRow[column] as number);
      }
      basis[leaving] = entering;
    }
    return true;
  };
  // phase one: drive the artificials out (minimise their sum)
  optimise(
    Array.from({ length: width }, (_, column) => (column >= columns ? 1 : 0)),
    () => true,
  );
  const infeasibility = basis.reduce((sum, column, i) => sum + (column >= columns ? (tableau[i]?.[width] as number) : 0), 0);
  if (infeasibility > 1e-9) return undefined;
  // artificials left in the basis at zero: pivoted out where their row has another entry (else the row is redundant)
  for (const [i, column] of basis.entries()) {
    if (column < columns) continue;
    const row = tableau[i] as number[];
    const entering = row.findIndex((entry, other) => other < columns && !basis.includes(other) && Math.abs(entry) > tolerance);
    if (entering < 0) continue;
    const pivot = row[entering] as number;
    for (let position = 0; position <= width; position++) row[position] = (row[position] as number) / pivot;
    for (const [other, line] of tableau.entries()) {
      const factor = line[entering] as number;
      if (other !== i && factor !== 0)
        for (let position = 0; position <= width; position++)
          line[position] = (line[position] as number) - factor * (row[position] as number);
    }
    basis[i] = entering;
  }
  const cost = Array.from({ length: width }, (_, column) => (column < columns ? (options.cost[column] ?? 0) : 0));
  if (!optimise(cost, (column) => column < columns)) return { x: [], value: Number.NEGATIVE_INFINITY };
  const x = new Array<number>(columns).fill(0);
  for (const [i, column] of basis.entries()) if (column < columns) x[column] = tableau[i]?.[width] as number;
  return { x, value: x.reduce((sum, value, column) => sum + value * (cost[column] as number), 0) };
}

/**
 * Nash-MTL as LibMTL runs it (rep_grad=False): every `updateWeightsEvery` steps, with G the present tasks' shared
 * gradients' Gram matrix divided by its Frobenius norm, α is iterated from the last α by {@link nashSubproblem}
 * until ‖G·α − 1/α‖ < 1e-3, α moves by less than 1e-6, a problem has no solution or `optimizationIterations` are
 * done (LibMTL's stopping rule, which keeps the iterate the last problem started from); the step is then the
 * gradient of Σ α_i·L_i (α in float32, as LibMTL casts it) with the shared part clipped to `maxNorm`. `weights`
 * reports α; an absent task takes no part and keeps its α for when it is back.
 */
function nashMtl(spec: NashMtlSpec, tasks: readonly string[]): LossCombiner {
  const every = spec.updateWeightsEvery ?? 1;
  const iterations = spec.optimizationIterations ?? 20;
  const maxNorm = spec.maxNorm ?? 1;
  for (const [argument, value] of [
    ['updateWeightsEvery', every],
    ['optimizationIterations', iterations],
  ] as const)
    if (!(Number.isInteger(value) && value >= 1))
      throw new InvalidArgumentError({ argument, value, message: `The Nash-MTL ${argument} must be a positive integer, got ${value}.` });
  checkOption('maxNorm', maxNorm, 0, true);
  let steps = 0;
  // the last iterate per task (float64, LibMTL's prvs_alpha), from which the next update starts
  const iterates = new Map(tasks.map((task) => [task, 1]));
  const { weights, reporting } = reportedWeights(tasks, 1);
  return {
    kind: 'nash-mtl',
    variables: [],
    combine: (losses) =>
      weightedSum(
        losses,
        tasks,
        tasks.map((task) => weights.get(task) as number),
      ),
    weights: reporting.weights,
    state: () => ({ steps, iterates: Object.fromEntries(iterates), weights: Object.fromEntries(weights) }),
    restore(state) {
      const saved = state as { steps: number; iterates: Record<string, number>; weights: Record<string, number> };
      steps = saved.steps;
      for (const [task, value] of Object.entries(saved.iterates)) iterates.set(task, value);
      for (const [task, value] of Object.entries(saved.weights)) weights.set(task, value);
    },
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const present = [...perTask.keys()];
        const shared = sharedOf(perTask, allShared);
        const { rows, layout } = flattenShared(perTask, present, shared);
        let alpha = present.map((task) => iterates.get(task) as number);
        if (steps % every === 0) {
          const gram = gramOf(rows);
          const scale = Math.sqrt(gram.flat().reduce((sum, entry) => sum + entry * entry, 0));
          const normalised = gram.map((row) => row.map((entry) => entry / scale));
          for (let iteration = 0; iteration < iterations; iteration++) {
            const solution = scale > 0 ? nashSubproblem(normalised, scale, alpha) : undefined;
            const residual = Math.hypot(
              ...normalised.map(
                (row, i) => row.reduce((sum, entry, j) => sum + entry * (alpha[j] as number), 0) - 1 / ((alpha[i] as number) + 1e-10),
              ),
            );
            if (!solution || residual < 1e-3 || Math.hypot(...solution.map((value, i) => value - (alpha[i] as number))) < 1e-6) break;
            alpha = solution;
          }
          for (const [index, task] of present.entries()) iterates.set(task, alpha[index] as number);
        }
        steps++;
        const used = alpha.map((value) => Math.fround(value));
        for (const [index, task] of present.entries()) weights.set(task, used[index] as number);
        const merged = weightedShared(rows, layout, used);
        if (maxNorm > 0) {
          // torch.nn.utils.clip_grad_norm_ over the shared parameters
          let squared = 0;
          for (const gradient of Object.values(merged)) for (const value of gradient.dataSync()) squared += value * value;
          const factor = Math.min(1, maxNorm / (Math.sqrt(squared) + 1e-6));
          if (factor < 1)
            for (const [name, gradient] of Object.entries(merged)) {
              merged[name] = tf.mul(gradient, factor);
              gradient.dispose();
            }
        }
        return addTaskSpecific(merged, perTask, present, new Set(shared), used);
      },
    },
  };
}

/**
 * PCGrad: per task, its gradient projected off every other task's gradient it conflicts with (negative dot
 * product), in a random order per task and step, then summed. `weights` reports LibMTL's `batch_weight`: 1 per
 * task less the projection coefficients taken off its gradient by the others in the step.
 */
function projectingConflicts(spec: PcgradSpec, tasks: readonly string[]): LossCombiner {
  const scope = spec.scope ?? 'all';
  if (scope !== 'all' && scope !== 'shared')
    throw new InvalidArgumentError({
      argument: 'scope',
      value: scope,
      message: `The PCGrad scope must be all or shared, got ${String(scope)}.`,
    });
  checkSeed(spec.seed ?? 0, 'PCGrad');
  // each step's projection order comes from (seed, step), so the state is the step count (and the last weights)
  let steps = 0;
  const { weights, reporting } = reportedWeights(tasks, 1);
  /** Projects the rows (float64, in place on copies) and returns their sum and the batch weights. */
  const project = (rows: readonly Float64Array[], random: () => number, withSelf: boolean, epsilon: number) => {
    const norms = rows.map((row) => dot(row, row));
    const batchWeight = rows.map(() => 1);
    const projected = rows.map((row, index) => {
      const result = Float64Array.from(row);
      const order = shuffleInPlace(
        rows.map((_, other) => other).filter((other) => withSelf || other !== index),
        random,
      ) as number[];
      for (const other of order) {
        const otherRow = rows[other] as Float64Array;
        const product = dot(result, otherRow);
        if (product < 0) {
          const coefficient = product / ((norms[other] as number) + epsilon);
          for (let position = 0; position < result.length; position++)
            result[position] = (result[position] as number) - coefficient * (otherRow[position] as number);
          batchWeight[other] = (batchWeight[other] as number) - coefficient;
        }
      }
      return result;
    });
    const total = new Float64Array(rows[0]?.length ?? 0);
    for (const row of projected)
      for (let position = 0; position < total.length; position++) total[position] = (total[position] as number) + (row[position] as number);
    return { total, batchWeight };
  };
  return {
    kind: 'pcgrad',
    variables: [],
    combine: (losses) =>
      weightedSum(
        losses,
        tasks,
        tasks.map(() => 1),
      ),
    weights: reporting.weights,
    state: () => ({ steps, weights: Object.fromEntries(weights) }),
    restore(state) {
      const saved = state as { steps: number; weights?: Record<string, number> };
      steps = saved.steps;
      for (const [task, weight] of Object.entries(saved.weights ?? {})) weights.set(task, weight);
    },
    perTaskGradients: {
      merge(perTask, _losses, _lastShared, allShared) {
        const random = stepRandom(spec.seed ?? 0, steps++);
        const present = [...perTask.keys()];
        if (scope === 'shared') {
          const shared = sharedOf(perTask, allShared);
          const { rows, layout } = flattenShared(perTask, present, shared);
          const { total, batchWeight } = project(rows, random, true, 1e-8);
          for (const [index, task] of present.entries()) weights.set(task, batchWeight[index] as number);
          return mergeShared(perTask, layout, total);
        }
        // every variable: the present tasks' gradients laid end to end (a task without a variable's gradient has zeros there)
        const names = [...new Set(present.flatMap((task) => Object.keys(perTask.get(task) as tf.NamedTensorMap)))];
        const { rows, layout } = flattenShared(perTask, present, names);
        const { total, batchWeight } = project(rows, random, false, 1e-12);
        for (const [index, task] of present.entries()) weights.set(task, batchWeight[index] as number);
        return tensorsOf(layout, total);
      },
    },
  };
}
