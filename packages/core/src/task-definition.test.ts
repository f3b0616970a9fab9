import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './polytask-error';
import { defineTask, isRegressionTask, isTaskKind, labelIndex, sameTask, taskKinds, taskOutputSize } from './task-definition';

describe('defineTask', () => {
  it('freezes a valid definition and copies the labels', () => {
    const labels = ['yes', 'no'];
    const task = defineTask({ name: 'keyword', kind: 'multi-class', labels });
    labels.push('up');
    expect(task.labels).toEqual(['yes', 'no']);
    expect(Object.isFrozen(task)).toBe(true);
    expect(Object.isFrozen(task.labels)).toBe(true);
  });

  it.each([
    [{ name: '', kind: 'multi-class', labels: ['a', 'b'] }, 'name'],
    [{ name: 't', kind: 'ranking', labels: ['a', 'b'] }, 'kind'],
    [{ name: 't', kind: 'regression', outputs: ['a', 'a'] }, 'labels'],
    [{ name: 't', kind: 'regression', outputs: ['a'], labels: ['b'] }, 'outputs'],
    [{ name: 't', kind: 'multi-label', labels: ['a'], outputs: ['a'] }, 'outputs'],
    [{ name: 't', kind: 'multi-class', labels: ['a', 'a'] }, 'labels'],
    [{ name: 't', kind: 'multi-class', labels: ['a'] }, 'labels'],
    [{ name: 't', kind: 'binary', labels: ['a', 'b', 'c'] }, 'labels'],
    [{ name: 't', kind: 'multi-label', labels: [] }, 'labels'],
    [{ name: 't', kind: 'multi-label', labels: [''] }, 'labels'],
  ])('rejects %o naming the argument', (options, argument) => {
    const attempt = () => defineTask(options as never);
    expect(attempt).toThrow(InvalidArgumentError);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
  });

  it('sizes outputs by kind', () => {
    expect(taskOutputSize(defineTask({ name: 'g', kind: 'binary', labels: ['female', 'male'] }))).toBe(1);
    expect(taskOutputSize(defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b', 'c'] }))).toBe(3);
    expect(taskOutputSize(defineTask({ name: 'e', kind: 'multi-label', labels: ['dog'] }))).toBe(1);
  });

  it('looks labels up without throwing on a miss', () => {
    const task = defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b'] });
    expect(labelIndex(task, 'b')).toBe(1);
    expect(labelIndex(task, 'z')).toBeUndefined();
  });

  it('compares tasks by name, kind and ordered labels (a prefix is not the same task)', () => {
    const abc = defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b', 'c'] });
    const ab = defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b'] });
    expect(sameTask(abc, defineTask({ name: 'k', kind: 'multi-class', labels: ['a', 'b', 'c'] }))).toBe(true);
    expect(sameTask(abc, ab)).toBe(false);
    expect(sameTask(ab, abc)).toBe(false);
    expect(sameTask(abc, defineTask({ name: 'k', kind: 'multi-label', labels: ['a', 'b', 'c'] }))).toBe(false);
  });

  it('knows the four kinds', () => {
    expect(taskKinds).toEqual(['binary', 'multi-class', 'multi-label', 'regression']);
    expect(isTaskKind('multi-label')).toBe(true);
    expect(isTaskKind('regression')).toBe(true);
    expect(isTaskKind('ranking')).toBe(false);
  });

  it('gives a regression task one column per output', () => {
    const affect = defineTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] });
    expect(taskOutputSize(affect)).toBe(2);
    expect(isRegressionTask(affect)).toBe(true);
    expect(sameTask(affect, defineTask({ name: 'affect', kind: 'regression', labels: ['valence', 'arousal'] }))).toBe(true);
  });
});
