import { readFileSync } from 'node:fs';
import { defineTask } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { computeTaskMetrics, type LabelMetrics } from './metrics';

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
    expectAverage(metrics.macro, reference.macro);
    expectAverage(metrics.weighted, reference.weighted);
    expectAverage(metrics.micro, reference.micro as Golden['macro']);
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
    expectAverage(metrics.macro, reference.macro);
    expectAverage(metrics.weighted, reference.weighted);
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
    expectAverage(metrics.macro, reference.macro);
    expectAverage(metrics.weighted, reference.weighted);
    expectAverage(metrics.micro, reference.micro as Golden['macro']);
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
    (reference.averagePrecision as (number | null)[]).forEach((value, label) => {
      if (value === null) expect(metrics.averagePrecision?.[label]).toBeNull();
      else expect(metrics.averagePrecision?.[label]).toBeCloseTo(value, 6);
    });
    expect(metrics.confusion).toEqual(reference.confusion);
  });

  it('rejects mismatched sizes', () => {
    const task = defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b'] });
    expect(() => computeTaskMetrics({ task, truth: new Uint8Array(4), decisions: new Uint8Array(2) })).toThrow(
      /decisions have 2 values, the truth has 4/,
    );
  });
});
