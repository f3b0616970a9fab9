/**
 * Metrics per task with scikit-learn's definitions. Regression tasks: mean squared error, its
 * root, mean absolute error and R² (`r2_score`), per output and averaged uniformly over outputs.
 * Classification tasks: metrics with scikit-learn's definitions and an explicit label
 * list, so labels absent from an epoch get zeros instead of crashing (zero_division = 0):
 * per-label precision, recall, F1 and support; macro, weighted and micro (and, for
 * multi-label, per-sample) averages; accuracy and balanced accuracy, or subset accuracy and
 * Hamming loss; top-5 accuracy for multi-class tasks; ROC-AUC and average precision per label
 * for binary and multi-label tasks; the equal error rate and minimum detection cost for binary
 * tasks. Checked against scikit-learn 1.9.1 (`scripts/generate-fixtures.py`).
 */
import { InvalidArgumentError, PolytaskError, ShapeMismatchError, type TaskDefinition, taskOutputSize } from '@polytask/core';

/** Scores hold NaN or ±Infinity, so no ranking metric is defined (scikit-learn raises `ValueError: Input contains NaN`). */
export class NonFiniteScoresError extends PolytaskError {
  /** The task whose scores these are, when known. */
  readonly task: string | undefined;
  /** Position of the first non-finite score. */
  readonly index: number;
  /** That score. */
  readonly value: number;
  /** How many scores are not finite. */
  readonly count: number;

  constructor(options: { task?: string; index: number; value: number; count: number }) {
    const where = options.task === undefined ? 'The scores' : `Task "${options.task}": the scores`;
    super({
      message: `${where} hold ${options.count} non-finite value(s) (the first, ${options.value}, at position ${options.index}), so ROC-AUC, average precision and error rates are undefined. Check the model's outputs (a diverged training gives NaN).`,
      context: { task: options.task, index: options.index, value: options.value, count: options.count },
    });
    this.name = 'NonFiniteScoresError';
    this.task = options.task;
    this.index = options.index;
    this.value = options.value;
    this.count = options.count;
  }

  /** True when `error` is a {@link NonFiniteScoresError}, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is NonFiniteScoresError {
    return PolytaskError.isInstance(error) && error.name === 'NonFiniteScoresError';
  }
}

/** Options of the score-based metrics. */
export interface ScoreMetricOptions {
  /** The task's name, for the error message. */
  readonly task?: string;
}

/** @throws NonFiniteScoresError when a score is NaN or infinite. */
function checkFinite(scores: ArrayLike<number>, task: string | undefined): void {
  let first = -1;
  let count = 0;
  for (let index = 0; index < scores.length; index++) {
    if (!Number.isFinite(scores[index] as number)) {
      if (first === -1) first = index;
      count++;
    }
  }
  if (count > 0)
    throw new NonFiniteScoresError({ ...(task === undefined ? {} : { task }), index: first, value: scores[first] as number, count });
}

/** Precision, recall, F1 and support of one label. */
export interface LabelMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** An average over labels (or samples). */
export interface AveragedMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Error metrics of one regression output, or their uniform average over the outputs (scikit-learn's `multioutput='uniform_average'`). */
export interface RegressionMetrics {
  /** Mean squared error (`mean_squared_error`). */
  readonly meanSquaredError: number;
  /** Root mean squared error (`root_mean_squared_error`; averaged over outputs after the root). */
  readonly rootMeanSquaredError: number;
  /** Mean absolute error (`mean_absolute_error`). */
  readonly meanAbsoluteError: number;
  /**
   * Coefficient of determination (`r2_score`): 1 − SS_res / SS_tot; an output whose truth is constant
   * scores 1 when predicted exactly, else 0 (scikit-learn's `force_finite`).
   */
  readonly r2: number;
}

/** Every metric of one task over one split and epoch. Plain JSON. */
export interface TaskMetrics {
  readonly task: string;
  readonly kind: TaskDefinition['kind'];
  /** Label names; for regression, the output names. */
  readonly labels: readonly string[];
  readonly examples: number;
  /** Per label, in label order (binary tasks report both labels); empty for regression. */
  readonly perLabel: readonly LabelMetrics[];
  /** Macro average over labels (classification only). */
  readonly macro?: AveragedMetrics;
  /** Support-weighted average over labels (classification only). */
  readonly weighted?: AveragedMetrics;
  /** Micro average (classification only; for multi-class and binary this equals accuracy). */
  readonly micro?: AveragedMetrics;
  /** Mean squared error, uniform average over outputs (regression). */
  readonly meanSquaredError?: number;
  /** Root mean squared error, uniform average of each output's (regression). */
  readonly rootMeanSquaredError?: number;
  /** Mean absolute error, uniform average over outputs (regression). */
  readonly meanAbsoluteError?: number;
  /** R², uniform average over outputs (regression; higher is better, 1 is perfect, 0 is the mean's score). */
  readonly r2?: number;
  /** The regression metrics of each output, in output order (regression). */
  readonly perOutput?: readonly RegressionMetrics[];
  /** Per-sample average (multi-label only). */
  readonly samples?: AveragedMetrics;
  /** Fraction of correct decisions (multi-class, binary). */
  readonly accuracy?: number;
  /** Mean recall over the classes present in the truth (scikit-learn's `balanced_accuracy_score`; multi-class, binary). */
  readonly balancedAccuracy?: number;
  /** Fraction of examples whose true class is among the 5 highest scores (multi-class tasks with more than 5 labels and scores). */
  readonly top5Accuracy?: number;
  /** Equal error rate, FAR = FRR on the ROC interpolated linearly (binary tasks with scores; null without both classes). */
  readonly equalErrorRate?: number | null;
  /** Normalised minimum detection cost with the default {@link DetectionCostOptions} (binary tasks with scores; null without both classes). */
  readonly minDetectionCost?: number | null;
  /** Fraction of examples whose every label is right (multi-label). */
  readonly subsetAccuracy?: number;
  /** Fraction of wrong label decisions (multi-label). */
  readonly hammingLoss?: number;
  /** ROC-AUC per positive label (binary: one value); null where a label has one class only. */
  readonly rocAuc?: readonly (number | null)[];
  /**
   * Average precision per positive label; 0 where a label has no positive example, as scikit-learn
   * (records written by earlier versions hold null there).
   */
  readonly averagePrecision?: readonly (number | null)[];
  /** Mean of the per-label average precisions (mAP), labels without positives counted as 0: scikit-learn's `average='macro'`. */
  readonly meanAveragePrecision?: number | null;
  /** `[true][predicted]` counts (multi-class, binary), or per label `[[tn, fp], [fn, tp]]` (multi-label); empty for regression. */
  readonly confusion: readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[];
  /** Mean loss, when given. */
  readonly loss?: number;
}

/** Inputs of {@link computeTaskMetrics}. */
export interface TaskMetricsInput {
  readonly task: TaskDefinition;
  /** True target rows `[examples, outputSize]`: 0/1 for classification, real values for regression. */
  readonly truth: Uint8Array | Float32Array;
  /** Decision rows `[examples, outputSize]` (classification; required there). */
  readonly decisions?: Uint8Array;
  /** Predicted values `[examples, outputSize]`, in the targets' units (regression; required there). */
  readonly predictions?: Float32Array;
  /** Probabilities `[examples, outputSize]`, for ROC-AUC, average precision, top-5 accuracy, EER and min-DCF. */
  readonly scores?: Float32Array;
  /** Mean loss over the examples. */
  readonly loss?: number;
  /** Costs and prior of the min-DCF of binary tasks. @default { targetPrior: 0.01, missCost: 1, falseAlarmCost: 1 } */
  readonly detectionCost?: DetectionCostOptions;
}

const divide = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);

function labelMetrics(truePositives: number, falsePositives: number, falseNegatives: number): LabelMetrics {
  return {
    precision: divide(truePositives, truePositives + falsePositives),
    recall: divide(truePositives, truePositives + falseNegatives),
    f1: divide(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives),
    support: truePositives + falseNegatives,
  };
}

function averages(perLabel: readonly LabelMetrics[]): { macro: AveragedMetrics; weighted: AveragedMetrics } {
  const count = perLabel.length;
  const total = perLabel.reduce((sum, label) => sum + label.support, 0);
  const mean = (key: keyof AveragedMetrics) => perLabel.reduce((sum, label) => sum + label[key], 0) / count;
  const weighted = (key: keyof AveragedMetrics) =>
    divide(
      perLabel.reduce((sum, label) => sum + label[key] * label.support, 0),
      total,
    );
  return {
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    weighted: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1') },
  };
}

/**
 * ROC-AUC by the rank statistic with average ranks for ties (equal to scikit-learn's trapezoidal ROC area); null without both classes.
 * @throws NonFiniteScoresError when a score is NaN or infinite (scikit-learn raises).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>, options: ScoreMetricOptions = {}): number | null {
  checkFinite(scores, options.task);
  const order = Array.from({ length: labels.length }, (_, index) => index).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let position = start; position <= end; position++) {
      if (labels[order[position] as number]) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** One point of the ROC per distinct score (descending), after the point (0, 0): true and false positives at or above it. */
interface RocPoint {
  readonly truePositives: number;
  readonly falsePositives: number;
}

/** The ROC's points, ties grouped as scikit-learn's `roc_curve` (without dropping collinear points). */
function rocPoints(labels: ArrayLike<number>, scores: ArrayLike<number>): { points: RocPoint[]; positives: number; negatives: number } {
  const order = Array.from({ length: labels.length }, (_, index) => index).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const points: RocPoint[] = [{ truePositives: 0, falsePositives: 0 }];
  let truePositives = 0;
  let falsePositives = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    for (let position = start; position <= end; position++) {
      if (labels[order[position] as number]) truePositives++;
      else falsePositives++;
    }
    points.push({ truePositives, falsePositives });
    start = end + 1;
  }
  return { points, positives: truePositives, negatives: falsePositives };
}

/**
 * Average precision as scikit-learn: Σ (R_k − R_{k−1}) P_k over distinct thresholds, descending;
 * 0 without positives (scikit-learn warns and returns 0).
 * @throws NonFiniteScoresError when a score is NaN or infinite (scikit-learn raises).
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>, options: ScoreMetricOptions = {}): number {
  checkFinite(scores, options.task);
  const { points, positives } = rocPoints(labels, scores);
  if (positives === 0) return 0;
  let previousRecall = 0;
  let result = 0;
  for (const { truePositives, falsePositives } of points.slice(1)) {
    const recall = truePositives / positives;
    result += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
    previousRecall = recall;
  }
  return result;
}

/** Options of {@link balancedAccuracy}. */
export interface BalancedAccuracyOptions {
  /** Rescale so that chance is 0 and perfect is 1: (score − 1/classes) / (1 − 1/classes), scikit-learn's `adjusted=True`. @default false */
  readonly adjusted?: boolean;
}

/**
 * Balanced accuracy, scikit-learn's `balanced_accuracy_score`: the mean recall over the classes
 * present in `truth` (a class only predicted is left out, where scikit-learn warns).
 * @param truth true class of each example.
 * @param predicted predicted class of each example.
 * @example balancedAccuracy([0, 0, 0, 1], [0, 0, 1, 1]) // (2/3 + 1) / 2
 */
export function balancedAccuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>, options: BalancedAccuracyOptions = {}): number {
  if (truth.length !== predicted.length)
    throw new ShapeMismatchError({
      expected: truth.length,
      actual: predicted.length,
      message: `balancedAccuracy: ${predicted.length} predictions for ${truth.length} true classes.`,
    });
  const totals = new Map<number, number>();
  const hits = new Map<number, number>();
  for (let index = 0; index < truth.length; index++) {
    const label = truth[index] as number;
    totals.set(label, (totals.get(label) ?? 0) + 1);
    if (predicted[index] === label) hits.set(label, (hits.get(label) ?? 0) + 1);
  }
  // classes in sorted order, as scikit-learn's confusion matrix, so the sum adds in the same order
  const classes = [...totals.keys()].sort((a, b) => a - b);
  let sum = 0;
  for (const label of classes) sum += (hits.get(label) ?? 0) / (totals.get(label) as number);
  const score = sum / classes.length;
  if (!options.adjusted) return score;
  const chance = 1 / classes.length;
  return (score - chance) / (1 - chance);
}

/** Options of {@link topKAccuracy}. */
export interface TopKAccuracyOptions {
  /** How many of the highest scores may hold the true class. */
  readonly k: number;
  /** Columns of `scores` (the task's label count). */
  readonly classCount: number;
  /** The task's name, for the error message. */
  readonly task?: string;
}

/**
 * Top-k accuracy for one class per example, scikit-learn's `top_k_accuracy_score` (multi-class):
 * the fraction of rows whose true class is among the `k` highest scores; between equal scores the
 * higher class index ranks first (scikit-learn's reversed stable argsort). 1 when `k` ≥ `classCount`.
 * @param truth true class of each example.
 * @param scores `[examples, classCount]` scores.
 * @throws NonFiniteScoresError when a score is NaN or infinite.
 */
export function topKAccuracy(truth: ArrayLike<number>, scores: ArrayLike<number>, options: TopKAccuracyOptions): number {
  const { k, classCount } = options;
  if (!Number.isInteger(k) || k < 1)
    throw new InvalidArgumentError({ argument: 'k', value: k, message: `k must be a positive integer, got ${k}.` });
  if (scores.length !== truth.length * classCount)
    throw new ShapeMismatchError({
      expected: truth.length * classCount,
      actual: scores.length,
      message: `topKAccuracy: ${scores.length} scores for ${truth.length} examples of ${classCount} classes.`,
    });
  checkFinite(scores, options.task);
  if (truth.length === 0) return 0;
  if (k >= classCount) return 1;
  let hits = 0;
  for (let row = 0; row < truth.length; row++) {
    const label = truth[row] as number;
    const own = scores[row * classCount + label] as number;
    // classes ranked above the true one: higher scores, or equal scores at a higher index
    let above = 0;
    for (let column = 0; column < classCount; column++) {
      const value = scores[row * classCount + column] as number;
      if (value > own || (value === own && column > label)) above++;
    }
    if (above < k) hits++;
  }
  return hits / truth.length;
}

/** Options of {@link equalErrorRate}. */
export interface EqualErrorRateOptions extends ScoreMetricOptions {
  /**
   * Where FAR = FRR is read:
   * - `'linear'`: the crossing of FRR = 1 − TPR and FAR = FPR on the ROC (ties grouped) with linear
   *   interpolation between its points, as the common speaker-verification recipe
   *   `brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1)` over scikit-learn's `roc_curve`;
   * - `'nearest'`: ASVspoof's `eval_metrics.py` `compute_eer` (ASVspoof 2019 to 2021): the
   *   threshold where |FRR − FAR| is smallest on a per-score curve (positives first, then
   *   negatives, stably sorted, ties not grouped), EER = (FRR + FAR) / 2 there.
   * @default 'linear'
   */
  readonly method?: 'linear' | 'nearest';
}

/**
 * Equal error rate of a binary detector: the error rate where the false-acceptance rate (negatives
 * scored at or above the threshold) equals the false-rejection rate (positives below it). Positives
 * are the examples with a true label, higher scores meaning positive. Null without both classes.
 * @throws NonFiniteScoresError when a score is NaN or infinite.
 */
export function equalErrorRate(labels: ArrayLike<number>, scores: ArrayLike<number>, options: EqualErrorRateOptions = {}): number | null {
  checkFinite(scores, options.task);
  if ((options.method ?? 'linear') === 'nearest') return nearestEqualErrorRate(labels, scores);
  const { points, positives, negatives } = rocPoints(labels, scores);
  if (positives === 0 || negatives === 0) return null;
  // d = FRR − FAR falls from 1 at (0, 0) to −1 at (1, 1)
  let previousFar = 0;
  let previousDifference = 1;
  for (const { truePositives, falsePositives } of points.slice(1)) {
    const far = falsePositives / negatives;
    const difference = 1 - truePositives / positives - far;
    if (difference <= 0) {
      if (difference === 0) return far;
      const fraction = previousDifference / (previousDifference - difference);
      return previousFar + fraction * (far - previousFar);
    }
    previousFar = far;
    previousDifference = difference;
  }
  return null;
}

/** ASVspoof's `compute_eer` (see {@link EqualErrorRateOptions}). */
function nearestEqualErrorRate(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const entries: { score: number; target: number }[] = [];
  for (const target of [1, 0])
    for (let index = 0; index < labels.length; index++)
      if ((labels[index] ? 1 : 0) === target) entries.push({ score: scores[index] as number, target });
  const targets = entries.filter((entry) => entry.target).length;
  const nonTargets = entries.length - targets;
  if (targets === 0 || nonTargets === 0) return null;
  entries.sort((a, b) => a.score - b.score); // stable, as NumPy's mergesort
  let bestDifference = Math.abs(0 - 1);
  let best = (0 + 1) / 2;
  let targetsBelow = 0;
  for (const [position, entry] of entries.entries()) {
    targetsBelow += entry.target;
    const frr = targetsBelow / targets;
    const far = (nonTargets - (position + 1 - targetsBelow)) / nonTargets;
    if (Math.abs(frr - far) < bestDifference) {
      bestDifference = Math.abs(frr - far);
      best = (frr + far) / 2;
    }
  }
  return best;
}

/**
 * Costs and prior of the detection cost function (NIST SRE convention):
 * DCF(θ) = C_miss · P_miss(θ) · P_target + C_fa · P_fa(θ) · (1 − P_target), normalised by
 * min(C_miss · P_target, C_fa · (1 − P_target)), the cost of always accepting or always rejecting.
 * The defaults (P_target 0.01, C_miss = C_fa = 1) are those of Kaldi's `compute_min_dcf.py` and
 * one of NIST SRE 2016's operating points; set the challenge's own values when reporting for one.
 * The positive class (label 1 of a binary task) is the target.
 */
export interface DetectionCostOptions {
  /** P_target, the prior of the positive class. @default 0.01 */
  readonly targetPrior?: number;
  /** C_miss, the cost of rejecting a positive. @default 1 */
  readonly missCost?: number;
  /** C_fa, the cost of accepting a negative. @default 1 */
  readonly falseAlarmCost?: number;
}

/**
 * Normalised minimum detection cost of a binary detector (see {@link DetectionCostOptions}): the
 * smallest normalised DCF over every threshold of the ROC (ties grouped, both extremes included, so
 * it is at most 1). Positives are the examples with a true label, higher scores meaning positive.
 * Null without both classes.
 * @throws NonFiniteScoresError when a score is NaN or infinite.
 * @throws InvalidArgumentError when the prior is outside (0, 1) or a cost is not positive.
 */
export function minDetectionCost(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: DetectionCostOptions & ScoreMetricOptions = {},
): number | null {
  const targetPrior = options.targetPrior ?? 0.01;
  const missCost = options.missCost ?? 1;
  const falseAlarmCost = options.falseAlarmCost ?? 1;
  if (!(targetPrior > 0 && targetPrior < 1) || !(missCost > 0) || !(falseAlarmCost > 0))
    throw new InvalidArgumentError({
      argument: 'detectionCost',
      value: { targetPrior, missCost, falseAlarmCost },
      message: `The detection cost needs a target prior in (0, 1) and positive costs, got ${JSON.stringify({ targetPrior, missCost, falseAlarmCost })}.`,
    });
  checkFinite(scores, options.task);
  const { points, positives, negatives } = rocPoints(labels, scores);
  if (positives === 0 || negatives === 0) return null;
  let smallest = Number.POSITIVE_INFINITY;
  for (const { truePositives, falsePositives } of points) {
    const cost =
      missCost * (1 - truePositives / positives) * targetPrior + falseAlarmCost * (falsePositives / negatives) * (1 - targetPrior);
    if (cost < smallest) smallest = cost;
  }
  return smallest / Math.min(missCost * targetPrior, falseAlarmCost * (1 - targetPrior));
}

/** Options of {@link regressionMetrics}. */
export interface RegressionMetricsOptions {
  /** Output columns of each row. @default 1 */
  readonly outputCount?: number;
  /** The task's name, for the error message. */
  readonly task?: string;
}

/**
 * MSE, RMSE, MAE and R² of real-valued predictions, per output and averaged uniformly over the
 * outputs, as scikit-learn's regression metrics with `multioutput='uniform_average'`.
 * @param truth true values `[examples, outputCount]`, row-major.
 * @param predictions predicted values, same shape.
 * @throws ShapeMismatchError when the shapes differ. @throws NonFiniteScoresError when a prediction is NaN or infinite.
 * @example regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]).average.r2 // 0.9486…
 */
export function regressionMetrics(
  truth: ArrayLike<number>,
  predictions: ArrayLike<number>,
  options: RegressionMetricsOptions = {},
): { average: RegressionMetrics; perOutput: RegressionMetrics[] } {
  const width = options.outputCount ?? 1;
  if (predictions.length !== truth.length || truth.length % width !== 0)
    throw new ShapeMismatchError({
      expected: truth.length,
      actual: predictions.length,
      message: `${options.task === undefined ? 'Regression' : `Task "${options.task}"`}: ${predictions.length} predictions for ${truth.length} true values of ${width} output(s).`,
    });
  checkFinite(predictions, options.task);
  const rows = truth.length / width;
  const perOutput = Array.from({ length: width }, (_, column) => {
    let mean = 0;
    for (let row = 0; row < rows; row++) mean += truth[row * width + column] as number;
    mean = rows > 0 ? mean / rows : 0;
    let squared = 0;
    let absolute = 0;
    let total = 0;
    for (let row = 0; row < rows; row++) {
      const actual = truth[row * width + column] as number;
      const error = actual - (predictions[row * width + column] as number);
      squared += error * error;
      absolute += Math.abs(error);
      total += (actual - mean) ** 2;
    }
    const meanSquaredError = divide(squared, rows);
    // scikit-learn's force_finite: a constant truth scores 1 when predicted exactly, else 0
    const r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
    return { meanSquaredError, rootMeanSquaredError: Math.sqrt(meanSquaredError), meanAbsoluteError: divide(absolute, rows), r2 };
  });
  const mean = (key: keyof RegressionMetrics) => perOutput.reduce((sum, output) => sum + output[key], 0) / width;
  return {
    average: {
      meanSquaredError: mean('meanSquaredError'),
      rootMeanSquaredError: mean('rootMeanSquaredError'),
      meanAbsoluteError: mean('meanAbsoluteError'),
      r2: mean('r2'),
    },
    perOutput,
  };
}

/**
 * Computes every metric of one task.
 * @throws ShapeMismatchError when truth, decisions and scores do not have `[examples, outputSize]` values.
 * @throws NonFiniteScoresError when a score is NaN or infinite and a score-based metric needs it
 *   (binary and multi-label tasks, multi-class tasks with more than 5 labels).
 */
export function computeTaskMetrics(input: TaskMetricsInput): TaskMetrics {
  const { task, truth, scores } = input;
  const width = taskOutputSize(task);
  const examples = truth.length / width;
  if (task.kind === 'regression') {
    const predictions = input.predictions;
    if (!predictions)
      throw new InvalidArgumentError({
        argument: 'predictions',
        value: task.name,
        message: `Regression task "${task.name}" needs its predictions (in the targets' units) for metrics.`,
      });
    const { average, perOutput } = regressionMetrics(truth, predictions, { outputCount: width, task: task.name });
    return {
      task: task.name,
      kind: task.kind,
      labels: task.labels,
      examples,
      perLabel: [],
      ...average,
      perOutput,
      confusion: [],
      ...(input.loss === undefined ? {} : { loss: input.loss }),
    };
  }
  const decisions = input.decisions;
  if (!decisions)
    throw new InvalidArgumentError({
      argument: 'decisions',
      value: task.name,
      message: `Task "${task.name}" needs its decision rows for metrics.`,
    });
  for (const [name, values] of [
    ['decisions', decisions],
    ['scores', scores],
  ] as const) {
    if (values && values.length !== truth.length) {
      throw new ShapeMismatchError({
        expected: truth.length,
        actual: values.length,
        message: `Task "${task.name}": ${name} have ${values.length} values, the truth has ${truth.length}.`,
      });
    }
  }
  // scores feed ROC-AUC, average precision, EER and min-DCF (binary, multi-label) and top-5 accuracy (multi-class, > 5 labels)
  if (scores && (task.kind !== 'multi-class' || task.labels.length > 5)) checkFinite(scores, task.name);
  if (!Number.isInteger(examples))
    throw new ShapeMismatchError({
      expected: width,
      actual: truth.length,
      message: `Task "${task.name}": the truth is not a whole number of ${width}-column rows.`,
    });
  const base = {
    task: task.name,
    kind: task.kind,
    labels: task.labels,
    examples,
    ...(input.loss === undefined ? {} : { loss: input.loss }),
  };

  if (task.kind === 'multi-label') {
    const labelCount = width;
    const confusion = Array.from({ length: labelCount }, () => [
      [0, 0],
      [0, 0],
    ]);
    let exact = 0;
    let wrong = 0;
    let samplePrecision = 0;
    let sampleRecall = 0;
    let sampleF1 = 0;
    for (let row = 0; row < examples; row++) {
      let rowCorrect = true;
      let shared = 0;
      let trueCount = 0;
      let predictedCount = 0;
      for (let label = 0; label < labelCount; label++) {
        const actual = truth[row * labelCount + label] ? 1 : 0;
        const predicted = decisions[row * labelCount + label] ? 1 : 0;
        ((confusion[label] as number[][])[actual] as number[])[predicted] =
          (((confusion[label] as number[][])[actual] as number[])[predicted] as number) + 1;
        if (actual !== predicted) {
          rowCorrect = false;
          wrong++;
        }
        shared += actual & predicted;
        trueCount += actual;
        predictedCount += predicted;
      }
      if (rowCorrect) exact++;
      samplePrecision += divide(shared, predictedCount);
      sampleRecall += divide(shared, trueCount);
      sampleF1 += divide(2 * shared, trueCount + predictedCount);
    }
    const perLabel = confusion.map((matrix) => labelMetrics(matrix[1]?.[1] as number, matrix[0]?.[1] as number, matrix[1]?.[0] as number));
    const sum = (pick: (matrix: number[][]) => number) => confusion.reduce((total, matrix) => total + pick(matrix), 0);
    const micro = labelMetrics(
      sum((m) => m[1]?.[1] as number),
      sum((m) => m[0]?.[1] as number),
      sum((m) => m[1]?.[0] as number),
    );
    const column = (label: number, values: ArrayLike<number>) =>
      Array.from({ length: examples }, (_, row) => values[row * labelCount + label] as number);
    const rocAucs = scores
      ? Array.from({ length: labelCount }, (_, label) => rocAuc(column(label, truth), column(label, scores)))
      : undefined;
    const precisions = scores
      ? Array.from({ length: labelCount }, (_, label) => averagePrecision(column(label, truth), column(label, scores)))
      : undefined;
    return {
      ...base,
      perLabel,
      ...averages(perLabel),
      micro: { precision: micro.precision, recall: micro.recall, f1: micro.f1 },
      samples: { precision: divide(samplePrecision, examples), recall: divide(sampleRecall, examples), f1: divide(sampleF1, examples) },
      subsetAccuracy: divide(exact, examples),
      hammingLoss: divide(wrong, examples * labelCount),
      ...(rocAucs && precisions
        ? {
            rocAuc: rocAucs,
            averagePrecision: precisions,
            meanAveragePrecision: precisions.reduce((a, b) => a + b, 0) / precisions.length,
          }
        : {}),
      confusion,
    };
  }

  // multi-class and binary: one class per example
  const classCount = task.labels.length;
  const classOf = (rows: Uint8Array | Float32Array, row: number) => {
    if (task.kind === 'binary') return rows[row] ? 1 : 0;
    const index = rows.subarray(row * width, (row + 1) * width).indexOf(1);
    if (index === -1)
      throw new InvalidArgumentError({ argument: 'rows', value: row, message: `Task "${task.name}": row ${row} has no label set.` });
    return index;
  };
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  const trueClasses = new Int32Array(examples);
  const predictedClasses = new Int32Array(examples);
  let correct = 0;
  for (let row = 0; row < examples; row++) {
    const actual = classOf(truth, row);
    const predicted = classOf(decisions, row);
    trueClasses[row] = actual;
    predictedClasses[row] = predicted;
    (confusion[actual] as number[])[predicted] = ((confusion[actual] as number[])[predicted] as number) + 1;
    if (actual === predicted) correct++;
  }
  const perLabel = confusion.map((rowCounts, label) => {
    const truePositives = rowCounts[label] as number;
    const predictedTotal = confusion.reduce((total, other) => total + (other[label] as number), 0);
    const actualTotal = rowCounts.reduce((total, value) => total + value, 0);
    return labelMetrics(truePositives, predictedTotal - truePositives, actualTotal - truePositives);
  });
  const accuracy = divide(correct, examples);
  const binaryScores = task.kind === 'binary' && scores;
  const topScores = task.kind === 'multi-class' && scores && classCount > 5;
  return {
    ...base,
    perLabel,
    ...averages(perLabel),
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    accuracy,
    ...(examples > 0 ? { balancedAccuracy: balancedAccuracy(trueClasses, predictedClasses) } : {}),
    ...(topScores ? { top5Accuracy: topKAccuracy(trueClasses, scores, { k: 5, classCount, task: task.name }) } : {}),
    ...(binaryScores
      ? (() => {
          const precision = averagePrecision(truth, scores);
          return {
            rocAuc: [rocAuc(truth, scores)],
            averagePrecision: [precision],
            meanAveragePrecision: precision,
            equalErrorRate: equalErrorRate(truth, scores),
            minDetectionCost: minDetectionCost(truth, scores, input.detectionCost ?? {}),
          };
        })()
      : {}),
    confusion,
  };
}
