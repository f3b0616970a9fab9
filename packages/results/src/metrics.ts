/**
 * Classification metrics per task with scikit-learn's definitions and an explicit label
 * list, so labels absent from an epoch get zeros instead of crashing (zero_division = 0):
 * per-label precision, recall, F1 and support; macro, weighted and micro (and, for
 * multi-label, per-sample) averages; accuracy, or subset accuracy and Hamming loss; ROC-AUC
 * and average precision per label for binary and multi-label tasks.
 */
import { InvalidArgumentError, ShapeMismatchError, type TaskDefinition, taskOutputSize } from '@polytask/core';

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

/** Every metric of one task over one split and epoch. Plain JSON. */
export interface TaskMetrics {
  readonly task: string;
  readonly kind: TaskDefinition['kind'];
  readonly labels: readonly string[];
  readonly examples: number;
  /** Per label, in label order (binary tasks report both labels). */
  readonly perLabel: readonly LabelMetrics[];
  readonly macro: AveragedMetrics;
  readonly weighted: AveragedMetrics;
  /** Micro average (for multi-class and binary this equals accuracy). */
  readonly micro: AveragedMetrics;
  /** Per-sample average (multi-label only). */
  readonly samples?: AveragedMetrics;
  /** Fraction of correct decisions (multi-class, binary). */
  readonly accuracy?: number;
  /** Fraction of examples whose every label is right (multi-label). */
  readonly subsetAccuracy?: number;
  /** Fraction of wrong label decisions (multi-label). */
  readonly hammingLoss?: number;
  /** ROC-AUC per positive label (binary: one value); null where a label has one class only. */
  readonly rocAuc?: readonly (number | null)[];
  /** Average precision per positive label; null where a label has no positive example. */
  readonly averagePrecision?: readonly (number | null)[];
  /** Mean of the defined average precisions (mAP), or null. */
  readonly meanAveragePrecision?: number | null;
  /** `[true][predicted]` counts (multi-class, binary), or per label `[[tn, fp], [fn, tp]]` (multi-label). */
  readonly confusion: readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[];
  /** Mean loss, when given. */
  readonly loss?: number;
}

/** Inputs of {@link computeTaskMetrics}. */
export interface TaskMetricsInput {
  readonly task: TaskDefinition;
  /** True target rows `[examples, outputSize]`. */
  readonly truth: Uint8Array;
  /** Decision rows `[examples, outputSize]`. */
  readonly decisions: Uint8Array;
  /** Probabilities `[examples, outputSize]`, for ROC-AUC and average precision. */
  readonly scores?: Float32Array;
  readonly loss?: number;
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

/** ROC-AUC by the rank statistic with average ranks for ties (equal to scikit-learn's trapezoidal ROC area); null without both classes. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
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

/** Average precision as scikit-learn: Σ (R_k − R_{k−1}) P_k over distinct thresholds, descending; null without positives. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const order = Array.from({ length: labels.length }, (_, index) => index).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let positives = 0;
  for (let index = 0; index < labels.length; index++) positives += labels[index] ? 1 : 0;
  if (positives === 0) return null;
  let truePositives = 0;
  let falsePositives = 0;
  let previousRecall = 0;
  let result = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    for (let position = start; position <= end; position++) {
      if (labels[order[position] as number]) truePositives++;
      else falsePositives++;
    }
    const recall = truePositives / positives;
    result += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
    previousRecall = recall;
    start = end + 1;
  }
  return result;
}

/**
 * Computes every metric of one task.
 * @throws ShapeMismatchError when truth, decisions and scores do not have `[examples, outputSize]` values.
 */
export function computeTaskMetrics(input: TaskMetricsInput): TaskMetrics {
  const { task, truth, decisions, scores } = input;
  const width = taskOutputSize(task);
  const examples = truth.length / width;
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
    const defined = precisions?.filter((value): value is number => value !== null) ?? [];
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
            meanAveragePrecision: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null,
          }
        : {}),
      confusion,
    };
  }

  // multi-class and binary: one class per example
  const classCount = task.labels.length;
  const classOf = (rows: Uint8Array, row: number) => {
    if (task.kind === 'binary') return rows[row] ? 1 : 0;
    const index = rows.subarray(row * width, (row + 1) * width).indexOf(1);
    if (index === -1)
      throw new InvalidArgumentError({ argument: 'rows', value: row, message: `Task "${task.name}": row ${row} has no label set.` });
    return index;
  };
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  let correct = 0;
  for (let row = 0; row < examples; row++) {
    const actual = classOf(truth, row);
    const predicted = classOf(decisions, row);
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
  return {
    ...base,
    perLabel,
    ...averages(perLabel),
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    accuracy,
    ...(binaryScores
      ? (() => {
          const precision = averagePrecision(truth, scores);
          return { rocAuc: [rocAuc(truth, scores)], averagePrecision: [precision], meanAveragePrecision: precision };
        })()
      : {}),
    confusion,
  };
}
