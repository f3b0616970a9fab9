import { readFileSync } from 'node:fs';
import { createRandom } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import {
  ClassesTooSmallError,
  foldsFromAssignment,
  groupKFoldAssignment,
  iterativeStratificationAssignment,
  kFoldAssignment,
  stratifiedGroupKFoldAssignment,
  stratifiedKFoldAssignment,
  trainTestSplitAssignment,
} from './splitters';

interface GoldenCase {
  labels: number[];
  groups: string[];
  folds: number;
  stratified: number[];
  stratifiedShuffledCounts: number[][];
  kFoldSizes: number[];
  kFold: number[];
  group: number[];
  stratifiedGroup: number[];
}
/** An unshuffled split's folds, or the error scikit-learn raised; `warned` when it gave a UserWarning. */
type Outcome = { folds: number[]; warned: boolean } | { error: string };
interface RandomCase {
  labels: number[];
  groups: string[];
  folds: number;
  kFold: number[];
  stratified: Outcome;
  group?: number[];
  stratifiedGroup?: Outcome;
}
const golden = JSON.parse(readFileSync(new URL('./__fixtures__/sklearn-folds.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  cases: GoldenCase[];
  random: RandomCase[];
};

it('the golden folds come from scikit-learn 1.9.1', () => {
  expect(golden.sklearn).toBe('1.9.1');
  expect(golden.random.length).toBeGreaterThanOrEqual(100);
});

function countsPerFold(assignment: Int32Array, labels: number[], folds: number): number[][] {
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  return Array.from({ length: folds }, (_, fold) =>
    classes.map((label) => labels.filter((value, index) => value === label && assignment[index] === fold).length),
  );
}

describe.each(golden.cases.map((testCase, index) => [index, testCase] as const))('scikit-learn case %i', (_, testCase) => {
  const { labels, groups, folds } = testCase;

  it('k-fold sizes equal KFold', () => {
    const assignment = kFoldAssignment(labels.length, { folds, seed: 3 });
    expect(Array.from({ length: folds }, (__, fold) => assignment.filter((value) => value === fold).length)).toEqual(testCase.kFoldSizes);
  });

  it('stratified k-fold without shuffling equals StratifiedKFold exactly', () => {
    expect(Array.from(stratifiedKFoldAssignment(labels, { folds, shuffle: false }))).toEqual(testCase.stratified);
  });

  it('shuffled stratified k-fold has the fold sizes and per-class counts of StratifiedKFold', () => {
    for (const seed of [0, 1, 2])
      expect(countsPerFold(stratifiedKFoldAssignment(labels, { folds, seed }), labels, folds)).toEqual(testCase.stratifiedShuffledCounts);
  });

  it('group k-fold equals GroupKFold and keeps every group in one fold', () => {
    const assignment = groupKFoldAssignment(groups, { folds });
    const foldOf = new Map<string, number>();
    groups.forEach((group, index) => {
      expect(foldOf.get(group) ?? assignment[index]).toBe(assignment[index]);
      foldOf.set(group, assignment[index] as number);
    });
    expect(Array.from(assignment)).toEqual(testCase.group);
  });

  it('unshuffled k-fold equals KFold exactly', () => {
    expect(Array.from(kFoldAssignment(labels.length, { folds, shuffle: false }))).toEqual(testCase.kFold);
  });

  it('stratified group k-fold equals StratifiedGroupKFold', () => {
    expect(Array.from(stratifiedGroupKFoldAssignment(labels, groups, { folds }))).toEqual(testCase.stratifiedGroup);
  });
});

describe('small random cases against scikit-learn 1.9.1 (unshuffled)', () => {
  const expectOutcome = (run: () => Int32Array, expected: Outcome) => {
    if ('error' in expected) {
      expect(expected.error).toMatch(/cannot be greater than the number of members in each class/);
      expect(run).toThrow(ClassesTooSmallError);
    } else expect(Array.from(run())).toEqual(expected.folds);
  };
  it.each(golden.random.map((testCase, index) => [index, testCase] as const))('case %i', (_, testCase) => {
    const { labels, groups, folds } = testCase;
    expect(Array.from(kFoldAssignment(labels.length, { folds, shuffle: false }))).toEqual(testCase.kFold);
    expectOutcome(() => stratifiedKFoldAssignment(labels, { folds, shuffle: false }), testCase.stratified);
    if (testCase.group) expect(Array.from(groupKFoldAssignment(groups, { folds }))).toEqual(testCase.group);
    if (testCase.stratifiedGroup) expectOutcome(() => stratifiedGroupKFoldAssignment(labels, groups, { folds }), testCase.stratifiedGroup);
  });

  it('covers the cases where scikit-learn raises and where it only warns', () => {
    expect(golden.random.some((testCase) => 'error' in testCase.stratified)).toBe(true);
    expect(golden.random.some((testCase) => 'warned' in testCase.stratified && testCase.stratified.warned)).toBe(true);
  });
});

describe('group k-fold ties', () => {
  it('places equal-size groups as scikit-learn does', () => {
    expect(Array.from(groupKFoldAssignment(['a', 'a', 'b', 'c', 'd'], { folds: 2 }))).toEqual([0, 0, 0, 1, 1]);
  });
});

describe('stratified k-fold with classes smaller than the fold count', () => {
  it('raises a typed error when every class is smaller, as scikit-learn', () => {
    let caught: unknown;
    try {
      stratifiedKFoldAssignment([1, 1, 2, 2, 3], { folds: 3 });
    } catch (error) {
      caught = error;
    }
    expect(ClassesTooSmallError.isInstance(caught)).toBe(true);
    expect((caught as ClassesTooSmallError).classCounts).toEqual({ '1': 2, '2': 2, '3': 1 });
    expect(() => stratifiedGroupKFoldAssignment([1, 1, 2, 2], ['a', 'b', 'c', 'd'], { folds: 3 })).toThrow(ClassesTooSmallError);
  });

  it('returns folds when only some classes are smaller (scikit-learn warns)', () => {
    expect(Array.from(stratifiedKFoldAssignment([1, 1, 1, 2], { folds: 3, shuffle: false }))).toEqual([0, 1, 2, 0]);
  });
});

describe('iterative stratification', () => {
  it('keeps every label within one example per fold of its ideal share', () => {
    const random = createRandom(11);
    for (const [count, labelCount, folds] of [
      [300, 6, 5],
      [157, 9, 3],
      [500, 4, 10],
    ] as const) {
      const rates = Array.from({ length: labelCount }, () => 0.05 + random() * 0.5);
      const targets = new Uint8Array(count * labelCount);
      for (let index = 0; index < count; index++)
        for (let label = 0; label < labelCount; label++) targets[index * labelCount + label] = random() < (rates[label] as number) ? 1 : 0;
      const assignment = iterativeStratificationAssignment(targets, labelCount, { folds, seed: 5 });
      expect(assignment.every((fold) => fold >= 0 && fold < folds)).toBe(true);
      for (let label = 0; label < labelCount; label++) {
        let total = 0;
        const perFold = new Array(folds).fill(0);
        for (let index = 0; index < count; index++) {
          if (targets[index * labelCount + label]) {
            total++;
            perFold[assignment[index] as number]++;
          }
        }
        for (const value of perFold) expect(Math.abs(value - total / folds)).toBeLessThanOrEqual(1);
      }
      const sizes = Array.from({ length: folds }, (_, fold) => assignment.filter((value) => value === fold).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(Math.ceil(count / folds / 5) + 1);
    }
  });

  it('is deterministic for a seed', () => {
    const targets = Uint8Array.from({ length: 200 }, (_, index) => ((index * 7919) % 3 === 0 ? 1 : 0));
    expect(iterativeStratificationAssignment(targets, 4, { folds: 5, seed: 1 })).toEqual(
      iterativeStratificationAssignment(targets, 4, { folds: 5, seed: 1 }),
    );
  });
});

describe('other splits', () => {
  it('turns an assignment into disjoint folds covering every example', () => {
    const folds = foldsFromAssignment(kFoldAssignment(23, { folds: 4 }), 4);
    const tests = folds.flatMap((fold) => Array.from(fold.test)).sort((a, b) => a - b);
    expect(tests).toEqual(Array.from({ length: 23 }, (_, index) => index));
    for (const fold of folds) expect(fold.train.length + fold.test.length).toBe(23);
  });

  it('splits by ratio, stratified when labels are given', () => {
    const labels = Array.from({ length: 100 }, (_, index) => (index < 80 ? 0 : 1));
    const isTest = trainTestSplitAssignment(100, { testFraction: 0.25, seed: 2, labels });
    expect(isTest.reduce((sum, value) => sum + value, 0)).toBe(25);
    expect(labels.filter((label, index) => label === 1 && isTest[index]).length).toBe(5);
    expect(trainTestSplitAssignment(10, { testFraction: 0.25, seed: 2 }).reduce((sum, value) => sum + value, 0)).toBe(3);
    expect(() => trainTestSplitAssignment(10, { testFraction: 1.5 })).toThrow(/between 0 and 1/);
  });

  it('splits by ratio keeping groups on one side, stratified and close to the fraction', () => {
    const random = createRandom(4);
    for (let trial = 0; trial < 20; trial++) {
      const count = 120;
      const groups = Array.from({ length: count }, () => `speaker${Math.floor(random() * 30)}`);
      // labels follow the group mostly, so the groups are class-skewed
      const labels = groups.map((group) => (Number(group.slice(7)) % 3 === 0 || random() < 0.2 ? 1 : 0));
      const isTest = trainTestSplitAssignment(count, { testFraction: 0.25, seed: trial, labels, groups });
      const sideOf = new Map<string, number>();
      groups.forEach((group, index) => {
        expect(sideOf.get(group) ?? isTest[index]).toBe(isTest[index]);
        sideOf.set(group, isTest[index] as number);
      });
      const testCount = isTest.reduce((sum, value) => sum + value, 0);
      expect(Math.abs(testCount - 30)).toBeLessThanOrEqual(2);
      const positives = labels.filter((label) => label === 1).length;
      const testPositives = labels.filter((label, index) => label === 1 && isTest[index]).length;
      expect(Math.abs(testPositives - (positives * 30) / count)).toBeLessThanOrEqual(2);
    }
  });

  it('treats ungrouped examples as groups of one and needs two groups', () => {
    const isTest = trainTestSplitAssignment(8, {
      testFraction: 0.5,
      groups: ['a', 'a', 'a', 'a', undefined, undefined, undefined, undefined],
    });
    expect(isTest[0]).toBe(isTest[3]);
    expect(isTest.reduce((sum, value) => sum + value, 0)).toBe(4);
    expect(() => trainTestSplitAssignment(3, { testFraction: 0.5, groups: ['a', 'a', 'a'] })).toThrow(/at least 2 groups/);
    const two = trainTestSplitAssignment(4, { testFraction: 0.1, groups: ['a', 'a', 'a', 'b'] });
    expect(Array.from(two)).toEqual([0, 0, 0, 1]);
  });

  it('refuses more folds than examples or groups', () => {
    expect(() => kFoldAssignment(3, { folds: 5 })).toThrow(/Cannot make 5 folds from 3 examples/);
    expect(() => groupKFoldAssignment(['a', 'a', 'b'], { folds: 3 })).toThrow(/from 2 groups/);
  });
});
