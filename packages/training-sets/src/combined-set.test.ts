import { createTask } from '@polytask/task-dataset';
import { describe, expect, it } from 'vitest';
import { combineDatasets } from './combined-set';
import { emotion, events, gender, generatedDataset, keyword, level } from './test-datasets';

describe('combineDatasets', () => {
  // three datasets with 1, 2 and 3 tasks of mixed kinds; "keyword" appears in two of them
  const a = generatedDataset({ name: 'a', tasks: [keyword], count: 3 });
  const b = generatedDataset({ name: 'b', tasks: [gender, events], count: 4, base: 100 });
  const c = generatedDataset({ name: 'c', tasks: [emotion, keyword, gender], count: 2, base: 200 });
  const set = combineDatasets([a, b, c]);

  it('lists each task once with its columns, shared tasks sharing columns', () => {
    expect(set.tasks.map((entry) => [entry.task.name, entry.columns, entry.datasets])).toEqual([
      ['keyword', [0, 3], [0, 2]],
      ['gender', [3, 4], [1, 2]],
      ['events', [4, 7], [1]],
      ['emotion', [7, 9], [2]],
    ]);
    expect(set.columnCount).toBe(9);
    expect(set.size).toBe(9);
    expect(set.columnsOf('events')).toEqual([4, 7]);
  });

  it('pads target rows and masks the tasks each item has no labels for', () => {
    const row = (index: number) => {
      const target = new Float32Array(set.columnCount + 2).fill(7);
      set.writeTargetRow(index, target, 1);
      return Array.from(target);
    };
    // a[1]: keyword "no"
    expect(row(1)).toEqual([7, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]);
    // b[3] (combined 6): gender male (3 % 2 = 1), events dog+car (binary 011)
    expect(row(6)).toEqual([7, 0, 0, 0, 1, 1, 1, 0, 0, 0, 7]);
    // c[1] (combined 8): emotion happy, keyword no, gender male
    expect(row(8)).toEqual([7, 0, 1, 0, 1, 0, 0, 0, 0, 1, 7]);
    expect(Array.from(set.taskMask(set.datasetOf(1)))).toEqual([1, 0, 0, 0]);
    expect(Array.from(set.taskMask(set.datasetOf(6)))).toEqual([0, 1, 1, 0]);
    expect(Array.from(set.taskMask(set.datasetOf(8)))).toEqual([1, 1, 0, 1]);
  });

  it('locates items and reads their features', () => {
    expect(set.locate(0)).toEqual({ dataset: 0, index: 0 });
    expect(set.locate(3)).toEqual({ dataset: 1, index: 0 });
    expect(set.locate(8)).toEqual({ dataset: 2, index: 1 });
    expect(set.featuresOf(7).data[0]).toBe(200);
    expect(() => set.locate(9)).toThrow(/outside 0\.\.8/);
  });

  it('refuses two different tasks of the same name', () => {
    const other = generatedDataset({
      name: 'd',
      tasks: [createTask({ name: 'keyword', kind: 'multi-class', labels: ['left', 'right'] })],
      count: 2,
    });
    expect(() => combineDatasets([a, other])).toThrow(/Task "keyword" of dataset "d" .* differs from the task of that name in "a"/);
  });
});

describe('combineDatasets with a regression task', () => {
  it('writes real values in the regression columns, zero padding and mask 0 for items without it', () => {
    const set = combineDatasets([
      generatedDataset({ name: 'a', tasks: [keyword], count: 2 }),
      generatedDataset({ name: 'b', tasks: [level], count: 3, base: 100 }),
    ]);
    expect(set.columnsOf('level')).toEqual([3, 5]);
    const row = (index: number) => {
      const target = new Float32Array(set.columnCount);
      set.writeTargetRow(index, target, 0);
      return Array.from(target);
    };
    expect(row(1)).toEqual([0, 1, 0, 0, 0]);
    expect(row(4)).toEqual([0, 0, 0, 1, 8]);
    expect(Array.from(set.taskMask(1))).toEqual([0, 1]);
  });

  it('refuses a regression task and a classification task of one name', () => {
    const other = createTask({ name: 'level', kind: 'multi-class', labels: ['rise', 'fall'] });
    expect(() =>
      combineDatasets([
        generatedDataset({ name: 'a', tasks: [level], count: 2 }),
        generatedDataset({ name: 'b', tasks: [other], count: 2 }),
      ]),
    ).toThrow(/differs from the task of that name/);
  });
});
