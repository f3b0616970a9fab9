import { encodeTarget, InvalidArgumentError, NonFiniteTargetError, ShapeMismatchError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { createTask } from './task';
import { createTaskDataset, predefinedTrainTest } from './task-dataset';

const spoof = createTask({ name: 'spoof', kind: 'binary', labels: ['genuine', 'spoof'] });
const gender = createTask({ name: 'gender', kind: 'multi-class', labels: ['female', 'male'] });
const features = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ data: Float32Array.from([index, index * 10]), shape: [1, 2] }));

function asvspoofLike(count = 6) {
  return createTaskDataset({
    name: 'asvspoof',
    tasks: [spoof, gender],
    features: features(count),
    targets: {
      spoof: Array.from({ length: count }, (_, index) => encodeTarget(spoof, index % 3 === 0 ? 'genuine' : 'spoof')),
      gender: Array.from({ length: count }, (_, index) => encodeTarget(gender, index < count / 2 ? 'female' : 'male')),
    },
    ids: Array.from({ length: count }, (_, index) => `D${index}.wav`),
    groups: Array.from({ length: count }, (_, index) => `speaker-${index % 2}`),
    metadata: Array.from({ length: count }, (_, index) => ({ sourceFile: `D${index}.wav`, windowIndex: 0 })),
    predefinedSplit: { kind: 'train-test', isTest: Uint8Array.from({ length: count }, (_, index) => (index >= count - 2 ? 1 : 0)) },
  });
}

describe('createTaskDataset', () => {
  it('holds several tasks over the same examples, with groups and metadata', () => {
    const dataset = asvspoofLike();
    expect(dataset.size).toBe(6);
    expect(dataset.tasks.map((task) => task.name)).toEqual(['spoof', 'gender']);
    expect([...dataset.targetsOf('spoof', 3)]).toEqual([0]);
    expect([...dataset.targetsOf('gender', 3)]).toEqual([0, 1]);
    expect([...dataset.targetMatrix('spoof')]).toEqual([0, 1, 1, 0, 1, 1]);
    expect(dataset.groupOf(3)).toBe('speaker-1');
    expect(dataset.metadataOf(2)).toEqual({ sourceFile: 'D2.wav', windowIndex: 0 });
    expect(dataset.featuresOf(4).data).toEqual(Float32Array.from([4, 40]));
    expect(dataset.idOf(5)).toBe('D5.wav');
  });

  it('makes subsets as views that keep stored positions, groups and split', () => {
    const dataset = asvspoofLike();
    const view = dataset.subset([5, 1]);
    expect(view.size).toBe(2);
    expect(view.idOf(0)).toBe('D5.wav');
    expect(view.storedIndexOf(0)).toBe(5);
    expect(view.subset([1]).storedIndexOf(0)).toBe(1);
    expect(view.predefinedSplit).toEqual({ kind: 'train-test', isTest: Uint8Array.from([1, 0]) });
    expect(dataset.size).toBe(6);
  });

  it('splits into the predefined train and test parts', () => {
    const { train, test } = predefinedTrainTest(asvspoofLike());
    expect([train.size, test.size]).toEqual([4, 2]);
    expect(test.idOf(0)).toBe('D4.wav');
  });

  it('limits examples per label with a seeded choice, and 0 removes a label', () => {
    const dataset = asvspoofLike(12);
    const limited = dataset.sampleLabels({ limits: { spoof: 3 }, seed: 1 });
    expect(limited.size).toBe(4 + 3);
    expect([...limited.targetMatrix('spoof')].filter((value) => value === 1)).toHaveLength(3);
    expect(
      dataset
        .sampleLabels({ limits: { spoof: 3 }, seed: 1 })
        .subset([0, 1, 2, 3, 4, 5, 6])
        .idOf(6),
    ).toBe(limited.idOf(6));
    const removed = dataset.sampleLabels({ task: 'gender', limits: { female: 0 } });
    expect(removed.size).toBe(6);
    expect(new Set(Array.from({ length: removed.size }, (_, index) => removed.targetsOf('gender', index)[1]))).toEqual(new Set([1]));
    expect(() => dataset.sampleLabels({ limits: { bonafide: 2 } })).toThrow(/has no label "bonafide"; its labels are genuine, spoof/);
  });

  it('rejects wrong label counts and inconsistent lengths with typed errors', () => {
    const base = { name: 'd', tasks: [gender], features: features(2) };
    expect(() => createTaskDataset({ ...base, targets: { gender: [encodeTarget(gender, 'male')] } })).toThrow(ShapeMismatchError);
    expect(() => createTaskDataset({ ...base, targets: { gender: Uint8Array.from([1, 1, 0, 1]) } })).toThrow(
      /has 2 labels for multi-class task "gender"/,
    );
    expect(() => createTaskDataset({ ...base, targets: {} })).toThrow(/No targets were given for task "gender"/);
    expect(() => createTaskDataset({ ...base, targets: { gender: Uint8Array.from([1, 0, 0, 1]), age: new Uint8Array(2) } })).toThrow(
      /"age", which is not a task/,
    );
    expect(() => createTaskDataset({ ...base, targets: { gender: Uint8Array.from([1, 0, 0, 1]) }, groups: ['a'] })).toThrow(
      /2 examples but 1 groups/,
    );
    expect(() => createTaskDataset({ ...base, targets: { gender: Uint8Array.from([1, 0, 0, 1]) }, ids: ['a', 'a'] })).toThrow(
      /duplicate example ids/,
    );
    const dataset = createTaskDataset({ ...base, targets: { gender: Uint8Array.from([1, 0, 0, 1]) } });
    expect(() => dataset.featuresOf(2)).toThrow(InvalidArgumentError);
    expect(() => dataset.targetsOf('age', 0)).toThrow(/has no task "age"/);
  });
});

describe('createTaskDataset with a regression task', () => {
  const affect = createTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] });
  const moods = (targets: Float32Array | number[][]) =>
    createTaskDataset({
      name: 'moods',
      tasks: [affect, spoof],
      features: features(3),
      targets: { affect: targets, spoof: Uint8Array.of(0, 1, 1) },
      ids: ['a.wav', 'b.wav', 'c.wav'],
    });

  it('keeps Float32Array targets (flat or as rows) next to 0/1 classification targets', () => {
    const flat = moods(Float32Array.of(0.5, -1, 2.25, 3, -4, 0));
    expect(flat.targetMatrix('affect')).toBeInstanceOf(Float32Array);
    expect(Array.from(flat.targetsOf('affect', 1))).toEqual([2.25, 3]);
    expect(Array.from(flat.subset([2, 0]).targetMatrix('affect'))).toEqual([-4, 0, 0.5, -1]);
    expect(flat.targetMatrix('spoof')).toBeInstanceOf(Uint8Array);
    const rows = moods([
      [0.5, -1],
      [2.25, 3],
      [-4, 0],
    ]);
    expect(rows.targetMatrix('affect')).toEqual(flat.targetMatrix('affect'));
  });

  it('rejects NaN targets naming the dataset and item, and uint8 targets for regression', () => {
    const attempt = () => moods(Float32Array.of(0.5, -1, 2.25, Number.NaN, -4, 0));
    expect(attempt).toThrow(NonFiniteTargetError);
    expect(attempt).toThrow(/"b\.wav" of dataset "moods"/);
    expect(() => moods(new Uint8Array(6) as unknown as Float32Array)).toThrow(/real-valued targets/);
    expect(() => moods(Float32Array.of(1, 2, 3))).toThrow(ShapeMismatchError);
  });

  it('refuses Float32Array targets for a classification task and label sampling of a regression task', () => {
    expect(() =>
      createTaskDataset({ name: 'x', tasks: [spoof], features: features(2), targets: { spoof: new Float32Array(2) as never } }),
    ).toThrow(/Float32Array targets are for regression tasks/);
    expect(() => moods(new Float32Array(6)).sampleLabels({ task: 'affect', limits: {} })).toThrow(/regression task/);
  });
});
