import { encodeTarget } from '@polytask/core';
import { createTaskDataset } from '@polytask/task-dataset';
import { describe, expect, it } from 'vitest';
import { LeakageError } from './leakage-audit';
import { events, gender, generatedDataset, keyword, level } from './test-datasets';
import { createTrainingSets } from './training-sets';

describe('createTrainingSets', () => {
  it("carves a grouped validation part from each fold's training part; the scaler sees neither validation nor test", () => {
    const dataset = generatedDataset({ name: 'speakers', tasks: [keyword], count: 60, groups: (index) => `speaker-${index % 12}` });
    const plain = generatedDataset({ name: 'plain', tasks: [gender], count: 40, base: 500 });
    const sets = createTrainingSets({
      datasets: [dataset, plain],
      split: { kind: 'k-fold', folds: 3, seed: 1 },
      validation: { fraction: 0.25, seed: 2 },
      preparation: { scaling: 'per-feature' },
    });
    for (const { train, validation, test, preparations } of sets.folds()) {
      if (!validation) throw new Error('no validation part');
      expect(train.size + validation.size + test.size).toBe(100);
      const ids = (set: typeof train) =>
        new Set(
          Array.from({ length: set.size }, (_, index) => {
            const place = set.locate(index);
            return `${place.dataset}:${set.datasets[place.dataset]?.idOf(place.index)}`;
          }),
        );
      const [trainIds, validationIds, testIds] = [ids(train), ids(validation), ids(test)];
      for (const id of validationIds) expect(trainIds.has(id) || testIds.has(id)).toBe(false);
      // speakers never straddle training and validation
      const speakers = (set: typeof train) =>
        new Set(Array.from({ length: set.datasets[0]?.size ?? 0 }, (_, index) => set.datasets[0]?.groupOf(index)));
      for (const speaker of speakers(validation)) expect(speakers(train).has(speaker)).toBe(false);
      // validation takes about a quarter of each dataset's training part
      expect(validation.datasets[0]?.size).toBeGreaterThan(0);
      expect(validation.datasets[1]?.size).toBe(Math.round(0.25 * ((train.datasets[1]?.size ?? 0) + (validation.datasets[1]?.size ?? 0))));
      // the scaler is fitted on the remaining training part only
      expect(preparations[0]?.scaler?.count).toBe(4 * (train.datasets[0]?.size ?? 0)); // 4 frames each
    }
    expect(() => createTrainingSets({ datasets: [plain], validation: { fraction: 1.5 } }).fold(0)).toThrow(/fraction between 0 and 1/);
  });

  it('carves validation by groups alone from a part whose every class is smaller than the inner fold count', () => {
    // 12 examples of 3 classes in 6 groups: a 0.15 fraction means 7 inner folds, more than any class holds
    const small = generatedDataset({ name: 'small', tasks: [keyword], count: 12, groups: (index) => `site-${index % 6}` });
    const { train, validation } = createTrainingSets({
      datasets: [small],
      split: { kind: 'ratio', testFraction: 0.2, seed: 1 },
      validation: { fraction: 0.15 },
    }).fold(0);
    expect(validation?.size).toBeGreaterThan(0);
    const groupsOf = (set: typeof train) => new Set(Array.from({ length: set.size }, (_, index) => set.datasets[0]?.groupOf(index)));
    for (const group of groupsOf(validation as typeof train)) expect(groupsOf(train).has(group)).toBe(false);
  });

  it('fits the scaler on the training part only: a test-only outlier does not move it', () => {
    const count = 20;
    const features = Array.from({ length: count }, (_, index) => ({
      data: Float32Array.from([index === 19 ? 1e6 : index % 4, 1]),
      shape: [1, 2],
    }));
    const dataset = createTaskDataset({
      name: 'outlier',
      tasks: [keyword],
      features,
      targets: { keyword: Array.from({ length: count }, (_, index) => encodeTarget(keyword, keyword.labels[index % 3] as string)) },
      predefinedSplit: { kind: 'train-test', isTest: Uint8Array.from({ length: count }, (_, index) => (index === 19 ? 1 : 0)) },
    });
    const { train, test, preparations } = createTrainingSets({ datasets: [dataset], preparation: { scaling: 'per-feature' } }).fold(0);
    const scaler = preparations[0]?.scaler;
    expect(scaler?.count).toBe(19);
    // training values are index % 4 for indices 0..18: five 0s, 1s and 2s and four 3s
    expect(scaler?.location[0]).toBeCloseTo(27 / 19, 10);
    // the training part is standardised; the outlier stays huge in the test part
    let sum = 0;
    for (let index = 0; index < train.size; index++) sum += train.featuresOf(index).data[0] as number;
    expect(Math.abs(sum / train.size)).toBeLessThan(1e-5);
    expect(test.featuresOf(0).data[0]).toBeGreaterThan(1e5);
  });

  it('fits a fresh preparation per fold, and cuts or pads to the fitted frame count', () => {
    const dataset = generatedDataset({ name: 'pool', tasks: [keyword], count: 30 });
    const sets = createTrainingSets({
      datasets: [dataset],
      split: { kind: 'k-fold', folds: 3, seed: 4 },
      preparation: { frames: { count: 6 }, scaling: 'per-feature' },
    });
    const folds = [...sets.folds()];
    expect(folds).toHaveLength(3);
    const means = folds.map((fold) => fold.preparations[0]?.scaler?.location[0]);
    expect(new Set(means).size).toBe(3);
    for (const fold of folds) {
      expect(fold.train.size + fold.test.size).toBe(30);
      expect(fold.train.shapeOf(0)).toEqual([6, 3]);
      expect(fold.train.featuresOf(0).data).toHaveLength(18);
    }
    const tested = folds.flatMap((fold) => Array.from({ length: fold.test.size }, (_, index) => fold.test.datasets[0]?.idOf(index)));
    expect(new Set(tested).size).toBe(30);
  });

  it('keeps groups on one side and stratifies by the first task', () => {
    const dataset = generatedDataset({ name: 'speakers', tasks: [keyword, gender], count: 60, groups: (index) => `speaker-${index % 12}` });
    for (const { train, test } of createTrainingSets({ datasets: [dataset], split: { kind: 'k-fold', folds: 4, seed: 1 } }).folds()) {
      const trainGroups = new Set(Array.from({ length: train.size }, (_, index) => train.datasets[0]?.groupOf(index)));
      for (let index = 0; index < test.size; index++) expect(trainGroups.has(test.datasets[0]?.groupOf(index))).toBe(false);
    }
  });

  it('stratifies a dataset whose main task is regression by its first classification task', () => {
    // keyword cycles yes/no/up; a stratified 3-fold split puts 4 of each in every test part
    const dataset = generatedDataset({ name: 'levels', tasks: [level, keyword], count: 36 });
    const sets = createTrainingSets({ datasets: [dataset], split: { kind: 'k-fold', folds: 3, seed: 1 }, audit: false });
    for (const { test } of sets.folds()) {
      const part = test.datasets[0];
      if (!part) throw new Error('no test part');
      const counts = [0, 0, 0];
      for (let index = 0; index < part.size; index++) {
        const label = (part.targetsOf('keyword', index) as Uint8Array).indexOf(1);
        counts[label] = (counts[label] as number) + 1;
      }
      expect(counts).toEqual([4, 4, 4]);
    }
  });

  it('splits a regression-only dataset by plain (grouped) k-fold, and carves validation from it', () => {
    const dataset = generatedDataset({ name: 'levels', tasks: [level], count: 30, groups: (index) => `speaker-${index % 6}` });
    const ungrouped = generatedDataset({ name: 'plain', tasks: [level], count: 20, base: 500 });
    const sets = createTrainingSets({
      datasets: [dataset, ungrouped],
      split: { kind: 'k-fold', folds: 3, seed: 1 },
      validation: { fraction: 0.25 },
    });
    const tested = [new Set<string>(), new Set<string>()];
    for (const { train, validation, test } of sets.folds()) {
      expect(train.size + (validation?.size ?? 0) + test.size).toBe(50);
      test.datasets.forEach((part, datasetIndex) => {
        for (let index = 0; index < part.size; index++) tested[datasetIndex]?.add(part.idOf(index));
      });
      const trainGroups = new Set(Array.from({ length: train.datasets[0]?.size ?? 0 }, (_, index) => train.datasets[0]?.groupOf(index)));
      for (let index = 0; index < (test.datasets[0]?.size ?? 0); index++)
        expect(trainGroups.has(test.datasets[0]?.groupOf(index))).toBe(false);
    }
    // every example is tested exactly once over the folds
    expect(tested.map((ids) => ids.size)).toEqual([30, 20]);
    expect(createTrainingSets({ datasets: [ungrouped], split: { kind: 'ratio', testFraction: 0.25 } }).fold(0).test.size).toBe(5);
  });

  it('repeats a predefined train/test split in every fold, and uses predefined folds as folds', () => {
    const fixed = generatedDataset({
      name: 'fixed',
      tasks: [keyword],
      count: 8,
      split: { kind: 'train-test', isTest: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1]) },
    });
    const folded = generatedDataset({
      name: 'folded',
      tasks: [events],
      count: 10,
      split: { kind: 'folds', foldCount: 5, fold: Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]) },
    });
    const sets = createTrainingSets({ datasets: [fixed, folded] });
    expect(sets.foldCount).toBe(5);
    for (const { fold, test } of sets.folds()) {
      expect(test.datasets[0]?.size).toBe(2);
      expect(test.datasets[1]?.size).toBe(2);
      expect(test.datasets[1]?.idOf(0)).toBe(`folded-${fold}`);
    }
    expect(() => createTrainingSets({ datasets: [folded], split: { kind: 'k-fold', folds: 10 } })).toThrow(
      /predefined folds \(5\) cannot be grouped into 10 folds/,
    );
  });

  it('pairs predefined folds of different counts (ESC-50 5, UrbanSound8K 10): fold j of the larger is tested in fold j mod 5', () => {
    const five = generatedDataset({
      name: 'five',
      tasks: [keyword],
      count: 10,
      split: { kind: 'folds', foldCount: 5, fold: Int32Array.from({ length: 10 }, (_, index) => index % 5) },
    });
    const ten = generatedDataset({
      name: 'ten',
      tasks: [gender],
      count: 20,
      base: 100,
      split: { kind: 'folds', foldCount: 10, fold: Int32Array.from({ length: 20 }, (_, index) => index % 10) },
    });
    const sets = createTrainingSets({ datasets: [five, ten] });
    expect(sets.foldCount).toBe(5);
    const tested = new Set<string>();
    for (const { fold, test } of sets.folds()) {
      expect(test.datasets[0]?.size).toBe(2);
      expect(test.datasets[1]?.size).toBe(4);
      for (let index = 0; index < 4; index++) {
        const id = test.datasets[1]?.idOf(index) as string;
        expect(Number(id.split('-')[1]) % 5).toBe(fold);
        tested.add(id);
      }
    }
    // every example of the 10-fold dataset is tested exactly once
    expect(tested.size).toBe(20);
    expect(() => createTrainingSets({ datasets: [five, ten], split: { kind: 'k-fold', folds: 3 } })).toThrow(
      /multiple of the experiment's/,
    );
  });

  it('audits by default: a predefined split that leaks a group is refused', () => {
    const leaky = generatedDataset({
      name: 'leaky',
      tasks: [keyword],
      count: 6,
      groups: (index) => `clip-${index % 3}`,
      split: { kind: 'train-test', isTest: Uint8Array.from([0, 0, 0, 1, 1, 1]) },
    });
    expect(() => createTrainingSets({ datasets: [leaky] }).fold(0)).toThrow(LeakageError);
    expect(() => createTrainingSets({ datasets: [leaky], audit: false }).fold(0)).not.toThrow();
  });

  it('splits multi-label datasets with iterative stratification and supports a ratio split', () => {
    const tagged = generatedDataset({ name: 'tagged', tasks: [events], count: 40 });
    expect(createTrainingSets({ datasets: [tagged], split: { kind: 'k-fold', folds: 4 } }).foldCount).toBe(4);
    const ratio = createTrainingSets({
      datasets: [generatedDataset({ name: 'r', tasks: [keyword], count: 20 })],
      split: { kind: 'ratio', testFraction: 0.25, seed: 3 },
    });
    expect(ratio.foldCount).toBe(1);
    expect(ratio.fold(0).test.size).toBe(5);
  });

  it('keeps groups on one side of a ratio split unless told not to', () => {
    const grouped = generatedDataset({ name: 'g', tasks: [keyword], count: 40, groups: (index) => `speaker${index % 8}` });
    const { train, test } = createTrainingSets({ datasets: [grouped], split: { kind: 'ratio', testFraction: 0.25, seed: 1 } }).fold(0);
    const groupsOf = (part: typeof train) =>
      new Set(Array.from({ length: part.datasets[0]?.size ?? 0 }, (_, index) => part.datasets[0]?.groupOf(index)));
    const trainGroups = groupsOf(train);
    for (const group of groupsOf(test)) expect(trainGroups.has(group)).toBe(false);
    expect(test.datasets[0]?.size).toBe(10);
    expect(() => createTrainingSets({ datasets: [grouped], split: { kind: 'ratio', testFraction: 0.25, grouped: false } }).fold(0)).toThrow(
      LeakageError,
    );
  });
});
