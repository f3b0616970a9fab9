import { readFileSync } from 'node:fs';
import { defineTask } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import {
  type AveragedMetrics,
  averagePrecision,
  balancedAccuracy,
  computeTaskMetrics,
  equalErrorRate,
  type LabelMetrics,
  minDetectionCost,
  NonFiniteScoresError,
  regressionMetrics,
  rocAuc,
  topKAccuracy,
} from './metrics';

interface Golden {
  kind: string;
  labels: number;
  truth: number[] | number[][];
  predicted: number[] | number[][];
  scores?: number[] | number[][];
  perLabel: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  macro: { precision: number[]; recall: number[]; f1: number[] };
  weighted: { precision: number[]; recall: number[]; f1: number[] };
  micro?: { precision: number[]; recall: number[]; f1: number[] };
  samples?: { precision: number[]; recall: number[]; f1: number[] };
  accuracy?: number;
  subsetAccuracy?: number;
  hammingLoss?: number;
  rocAuc?: number | (number | null)[];
  averagePrecision?: number | (number | null)[];
  meanAveragePrecision?: number;
  confusion: number[][] | number[][][];
}
const cases = (JSON.parse(readFileSync(new URL('./__fixtures__/sklearn-metrics.json', import.meta.url), 'utf8')) as { cases: Golden[] })
  .cases;
const golden = (kind: string) => cases.find((entry) => entry.kind === kind) as Golden;

function oneHot(classes: number[], width: number): Uint8Array {
  const rows = new Uint8Array(classes.length * width);
  classes.forEach((value, row) => {
    rows[row * width + value] = 1;
  });
  return rows;
}

function expectLabels(actual: readonly LabelMetrics[], expected: Golden['perLabel']) {
  expect(actual.map((label) => label.support)).toEqual(expected.support);
  actual.forEach((label, index) => {
    expect(label.precision).toBeCloseTo(expected.precision[index] as number, 12);
    expect(label.recall).toBeCloseTo(expected.recall[index] as number, 12);
    expect(label.f1).toBeCloseTo(expected.f1[index] as number, 12);
  });
}

function expectAverage(
  actual: { precision: number; recall: number; f1: number },
  expected: { precision: number[]; recall: number[]; f1: number[] },
) {
  expect(actual.precision).toBeCloseTo(expected.precision[0] as number, 12);
  expect(actual.recall).toBeCloseTo(expected.recall[0] as number, 12);
  expect(actual.f1).toBeCloseTo(expected.f1[0] as number, 12);
}

describe('computeTaskMetrics against scikit-learn', () => {
  it('multi-class, with a label absent from truth and predictions and one only predicted', () => {
    const reference = golden('multi-class');
    const task = defineTask({ name: 'keyword', kind: 'multi-class', labels: ['a', 'b', 'c', 'd', 'e'] });
    const metrics = computeTaskMetrics({
      task,
      truth: oneHot(reference.truth as number[], 5),
      decisions: oneHot(reference.predicted as number[], 5),
      loss: 0.3,
    });
    expectLabels(metrics.perLabel, reference.perLabel);
    expectAverage(metrics.macro as AveragedMetrics, reference.macro);
    expectAverage(metrics.weighted as AveragedMetrics, reference.weighted);
    expectAverage(metrics.micro as AveragedMetrics, reference.micro as Golden['macro']);
    expect(metrics.accuracy).toBeCloseTo(reference.accuracy as number, 12);
    expect(metrics.confusion).toEqual(reference.confusion);
    expect(metrics.loss).toBe(0.3);
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });

  it('binary, with ROC-AUC and average precision over tied scores', () => {
    const reference = golden('binary');
    const task = defineTask({ name: 'spoof', kind: 'binary', labels: ['genuine', 'spoof'] });
    const metrics = computeTaskMetrics({
      task,
      truth: Uint8Array.from(reference.truth as number[]),
      decisions: Uint8Array.from(reference.predicted as number[]),
      scores: Float32Array.from(reference.scores as number[]),
    });
    expectLabels(metrics.perLabel, reference.perLabel);
    expectAverage(metrics.macro as AveragedMetrics, reference.macro);
    expectAverage(metrics.weighted as AveragedMetrics, reference.weighted);
    expect(metrics.accuracy).toBeCloseTo(reference.accuracy as number, 12);
    // scores were rounded to 2 decimals in Python and stored as float32 here: ties are kept
    expect(metrics.rocAuc?.[0]).toBeCloseTo(reference.rocAuc as number, 6);
    expect(metrics.averagePrecision?.[0]).toBeCloseTo(reference.averagePrecision as number, 6);
    expect(metrics.confusion).toEqual(reference.confusion);
  });

  it('multi-label, with a label that never occurs', () => {
    const reference = golden('multi-label');
    const task = defineTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car', 'siren', 'bird'] });
    const metrics = computeTaskMetrics({
      task,
      truth: Uint8Array.from((reference.truth as number[][]).flat()),
      decisions: Uint8Array.from((reference.predicted as number[][]).flat()),
      scores: Float32Array.from((reference.scores as number[][]).flat()),
    });
    expectLabels(metrics.perLabel, reference.perLabel);
    expectAverage(metrics.macro as AveragedMetrics, reference.macro);
    expectAverage(metrics.weighted as AveragedMetrics, reference.weighted);
    expectAverage(metrics.micro as AveragedMetrics, reference.micro as Golden['macro']);
    expectAverage(
      metrics.samples as Golden['macro'] & { precision: number; recall: number; f1: number },
      reference.samples as Golden['macro'],
    );
    expect(metrics.subsetAccuracy).toBeCloseTo(reference.subsetAccuracy as number, 12);
    expect(metrics.hammingLoss).toBeCloseTo(reference.hammingLoss as number, 12);
    (reference.rocAuc as (number | null)[]).forEach((value, label) => {
      if (value === null) expect(metrics.rocAuc?.[label]).toBeNull();
      else expect(metrics.rocAuc?.[label]).toBeCloseTo(value, 6);
    });
    // label 3 has no positive: scikit-learn scores it 0 and counts it in the macro mean
    expect((reference.averagePrecision as number[])[3]).toBe(0);
    (reference.averagePrecision as number[]).forEach((value, label) => {
      expect(metrics.averagePrecision?.[label]).toBeCloseTo(value, 6);
    });
    expect(metrics.meanAveragePrecision).toBeCloseTo(reference.meanAveragePrecision as number, 6);
    expect(metrics.confusion).toEqual(reference.confusion);
  });

  it('rejects mismatched sizes', () => {
    const task = defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b'] });
    expect(() => computeTaskMetrics({ task, truth: new Uint8Array(4), decisions: new Uint8Array(2) })).toThrow(
      /decisions have 2 values, the truth has 4/,
    );
  });
});

interface DetectionCase {
  truth: number[];
  scores: number[];
  rocAuc: number;
  averagePrecision: number;
  eerLinear: number;
  eerNearest: number;
  minDcf: [number, number, number, number][];
}
interface BalancedCase {
  truth: number[];
  predicted: number[];
  scores: number[][];
  balancedAccuracy: number;
  adjustedBalancedAccuracy: number;
  topK: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/sklearn-metrics.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  detection: DetectionCase[];
  averagePrecision: { truth: number[][]; scores: number[][]; perLabel: number[]; macro: number };
  balanced: BalancedCase[];
  errors: Record<string, string | null>;
};

describe('regression metrics against scikit-learn 1.9.1', () => {
  // references: sklearn.metrics r2_score, mean_squared_error, mean_absolute_error, root_mean_squared_error
  // (scikit-learn 1.9.1) on these values, multioutput='uniform_average' and 'raw_values'
  const truth = [3, -0.5, -0.5, 2, 2, 7, 7, 1.5, 1, 3];
  const predictions = [2.5, 0, 0, 2, 2, 8, 8, 1, 0.5, -1];
  const level = defineTask({ name: 'level', kind: 'regression', outputs: ['rise', 'fall'] });

  it('averages MSE, RMSE, MAE and R² uniformly over two outputs, and gives each output its own', () => {
    const metrics = computeTaskMetrics({
      task: level,
      truth: Float32Array.from(truth),
      predictions: Float32Array.from(predictions),
      loss: 1,
    });
    expect(metrics.kind).toBe('regression');
    expect(metrics.labels).toEqual(['rise', 'fall']);
    expect(metrics.examples).toBe(5);
    expect(metrics.meanSquaredError).toBeCloseTo(1.925, 12);
    expect(metrics.rootMeanSquaredError).toBeCloseTo(1.231218335848466, 12);
    expect(metrics.meanAbsoluteError).toBeCloseTo(0.85, 12);
    expect(metrics.r2).toBeCloseTo(0.687639963355049, 12);
    expect(metrics.perOutput?.map((output) => output.r2)).toEqual([expect.closeTo(0.9453125, 12), expect.closeTo(0.4299674267100978, 12)]);
    expect(metrics.perOutput?.map((output) => output.meanSquaredError)).toEqual([expect.closeTo(0.35, 12), expect.closeTo(3.5, 12)]);
    expect(metrics.perOutput?.map((output) => output.meanAbsoluteError)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(1.2, 12)]);
    expect(metrics.perOutput?.map((output) => output.rootMeanSquaredError)).toEqual([
      expect.closeTo(0.5916079783099616, 12),
      expect.closeTo(1.8708286933869707, 12),
    ]);
    expect(metrics.confusion).toEqual([]);
    expect(metrics.macro).toBeUndefined();
    expect(metrics.loss).toBe(1);
  });

  it('scores one output as r2_score does, a constant truth as 1 when exact and 0 otherwise (force_finite)', () => {
    // r2_score([3, -0.5, 2, 7], [2.5, 0, 2, 8]) = 0.9486081370449679
    expect(regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]).average.r2).toBeCloseTo(0.9486081370449679, 12);
    // r2_score([[1, 2], [1, 3], [1, 4]], [[1, 2], [1, 3.5], [1, 3]], multioutput='raw_values') = [1, 0.375]
    expect(regressionMetrics([1, 2, 1, 3, 1, 4], [1, 2, 1, 3.5, 1, 3], { outputCount: 2 }).perOutput.map((output) => output.r2)).toEqual([
      1, 0.375,
    ]);
    // and [0, 1] with the constant output mispredicted
    expect(regressionMetrics([1, 2, 1, 3, 1, 4], [1.5, 2, 1, 3, 1, 4], { outputCount: 2 }).average.r2).toBe(0.5);
  });

  it('refuses NaN predictions, mismatched shapes and missing predictions', () => {
    expect(() => regressionMetrics([1, 2], [1, Number.NaN], { task: 'level' })).toThrow(NonFiniteScoresError);
    expect(() => regressionMetrics([1, 2, 3], [1, 2], {})).toThrow(/2 predictions for 3 true values/);
    expect(() => computeTaskMetrics({ task: level, truth: Float32Array.of(1, 2) })).toThrow(/needs its predictions/);
  });
});

describe('ranking and detection metrics against scikit-learn 1.9.1', () => {
  it('was generated by scikit-learn 1.9.1', () => expect(fixture.sklearn).toBe('1.9.1'));

  it('mean average precision counts labels without positives as 0, as average="macro"', () => {
    const reference = fixture.averagePrecision;
    const task = defineTask({ name: 'tags', kind: 'multi-label', labels: ['a', 'b', 'c', 'd', 'e'] });
    const truth = Uint8Array.from(reference.truth.flat());
    const metrics = computeTaskMetrics({ task, truth, decisions: truth, scores: Float32Array.from(reference.scores.flat()) });
    for (const [label, value] of reference.perLabel.entries()) expect(metrics.averagePrecision?.[label]).toBeCloseTo(value, 6);
    expect(metrics.meanAveragePrecision).toBeCloseTo(reference.macro, 6);
    expect(averagePrecision([0, 0, 0], [0.1, 0.2, 0.3])).toBe(0);
  });

  it.each(fixture.detection.map((testCase, index) => [index, testCase] as const))('binary case %i', (_, reference) => {
    const scores = Float32Array.from(reference.scores);
    expect(rocAuc(reference.truth, scores)).toBeCloseTo(reference.rocAuc, 12);
    expect(averagePrecision(reference.truth, scores)).toBeCloseTo(reference.averagePrecision, 12);
    // brentq stops within 2e-12 of the crossing
    expect(equalErrorRate(reference.truth, scores)).toBeCloseTo(reference.eerLinear, 9);
    expect(equalErrorRate(reference.truth, scores, { method: 'nearest' })).toBeCloseTo(reference.eerNearest, 12);
    for (const [targetPrior, missCost, falseAlarmCost, value] of reference.minDcf)
      expect(minDetectionCost(reference.truth, scores, { targetPrior, missCost, falseAlarmCost })).toBeCloseTo(value, 12);
  });

  it('records EER and min-DCF (default costs) for binary tasks', () => {
    const reference = fixture.detection[0] as DetectionCase;
    const task = defineTask({ name: 'spoof', kind: 'binary', labels: ['bonafide', 'spoof'] });
    const truth = Uint8Array.from(reference.truth);
    const metrics = computeTaskMetrics({ task, truth, decisions: truth, scores: Float32Array.from(reference.scores) });
    expect(metrics.equalErrorRate).toBeCloseTo(reference.eerLinear, 9);
    expect(metrics.minDetectionCost).toBeCloseTo((reference.minDcf[0] as number[])[3] as number, 12);
    expect(equalErrorRate([1, 1], [0.2, 0.4])).toBeNull();
    expect(minDetectionCost([0, 0], [0.2, 0.4])).toBeNull();
    expect(() => minDetectionCost([0, 1], [0.2, 0.4], { targetPrior: 1 })).toThrow(/target prior in \(0, 1\)/);
  });

  it.each(fixture.balanced.map((testCase, index) => [index, testCase] as const))('balanced and top-k accuracy, case %i', (_, reference) => {
    expect(balancedAccuracy(reference.truth, reference.predicted)).toBeCloseTo(reference.balancedAccuracy, 12);
    expect(balancedAccuracy(reference.truth, reference.predicted, { adjusted: true })).toBeCloseTo(reference.adjustedBalancedAccuracy, 12);
    const scores = Float32Array.from(reference.scores.flat());
    for (const [index, value] of reference.topK.entries())
      expect(topKAccuracy(reference.truth, scores, { k: index + 1, classCount: 6 })).toBeCloseTo(value, 12);
    const task = defineTask({ name: 'scene', kind: 'multi-class', labels: ['a', 'b', 'c', 'd', 'e', 'f'] });
    const metrics = computeTaskMetrics({
      task,
      truth: oneHot(reference.truth, 6),
      decisions: oneHot(reference.predicted, 6),
      scores,
    });
    expect(metrics.balancedAccuracy).toBeCloseTo(reference.balancedAccuracy, 12);
    expect(metrics.top5Accuracy).toBeCloseTo(reference.topK[4] as number, 12);
  });

  it('raises a typed error naming the task for NaN or infinite scores, where scikit-learn raises', () => {
    for (const key of ['rocAuc-nan', 'rocAuc-inf', 'averagePrecision-nan', 'averagePrecision-inf'])
      expect(fixture.errors[key]).toMatch(/Input contains/);
    expect(() => rocAuc([0, 1, 0, 1], [0.1, Number.NaN, 0.3, 0.4])).toThrow(NonFiniteScoresError);
    expect(() => averagePrecision([0, 1, 0, 1], [0.1, Number.POSITIVE_INFINITY, 0.3, 0.4])).toThrow(NonFiniteScoresError);
    expect(() => equalErrorRate([0, 1], [Number.NaN, 0.4])).toThrow(NonFiniteScoresError);
    const task = defineTask({ name: 'spoof', kind: 'binary', labels: ['bonafide', 'spoof'] });
    let caught: unknown;
    try {
      computeTaskMetrics({
        task,
        truth: Uint8Array.from([0, 1, 1]),
        decisions: Uint8Array.from([0, 1, 1]),
        scores: Float32Array.from([0.1, Number.NaN, Number.NaN]),
      });
    } catch (error) {
      caught = error;
    }
    expect(NonFiniteScoresError.isInstance(caught)).toBe(true);
    expect((caught as NonFiniteScoresError).task).toBe('spoof');
    expect((caught as NonFiniteScoresError).count).toBe(2);
    expect((caught as Error).message).toMatch(/Task "spoof"/);
    // a multi-class task of up to 5 labels uses no score-based metric, so its scores are not checked
    const small = defineTask({ name: 'keyword', kind: 'multi-class', labels: ['a', 'b'] });
    const rows = Uint8Array.from([1, 0, 0, 1]);
    expect(
      computeTaskMetrics({ task: small, truth: rows, decisions: rows, scores: Float32Array.from([Number.NaN, 0, 0, 1]) }).accuracy,
    ).toBe(1);
  });
});
