import { encodeTarget } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { renameTasks } from './rename-tasks';
import { createTask } from './task';
import { createTaskDataset } from './task-dataset';

const sound = createTask({ name: 'sound', kind: 'multi-class', labels: ['dog', 'rain', 'siren'] });
const loud = createTask({ name: 'loud', kind: 'binary', labels: ['no', 'yes'] });
const dataset = createTaskDataset({
  name: 'clips',
  tasks: [sound, loud],
  features: Array.from({ length: 6 }, (_, index) => ({ data: Float32Array.of(index, 1), shape: [1, 2] })),
  targets: {
    sound: Array.from({ length: 6 }, (_, index) => encodeTarget(sound, sound.labels[index % 3] as string)),
    loud: Array.from({ length: 6 }, (_, index) => encodeTarget(loud, index < 2 ? 'yes' : 'no')),
  },
  groups: ['a', 'a', 'b', 'b', 'c', 'c'],
});

describe('renameTasks', () => {
  it('gives tasks new names; targets, behaviour and views follow', () => {
    const renamed = renameTasks(dataset, { sound: 'clips_sound' });
    expect(renamed.tasks.map((task) => task.name)).toEqual(['clips_sound', 'loud']);
    expect(renamed.task('clips_sound')?.labels).toEqual(sound.labels);
    expect(renamed.task('sound')).toBeUndefined();
    expect(Array.from(renamed.targetsOf('clips_sound', 4))).toEqual(Array.from(dataset.targetsOf('sound', 4)));
    expect(Array.from(renamed.targetMatrix('loud'))).toEqual(Array.from(dataset.targetMatrix('loud')));
    const part = renamed.subset([5, 1]);
    expect(part.tasks.map((task) => task.name)).toEqual(['clips_sound', 'loud']);
    expect(Array.from(part.targetsOf('clips_sound', 0))).toEqual(Array.from(dataset.targetsOf('sound', 5)));
    expect(part.groupOf(1)).toBe('a');
    expect(renamed.sampleLabels({ task: 'clips_sound', limits: { dog: 1 } }).size).toBe(5);
    expect(Array.from(renamed.task('clips_sound')?.decide(Float32Array.of(0.1, 0.7, 0.2), 1) ?? [])).toEqual([0, 1, 0]);
    expect(() => renamed.targetsOf('sound', 0)).toThrow();
  });

  it('refuses unknown tasks and two tasks with one name', () => {
    expect(() => renameTasks(dataset, { sounds: 'x' })).toThrow(/has no task "sounds" to rename; its tasks are sound, loud/);
    expect(() => renameTasks(dataset, { sound: 'loud' })).toThrow(/two of them one name/);
    expect(() => renameTasks(dataset, { sound: 'a b' })).toThrow(/letters, digits/);
  });
});
