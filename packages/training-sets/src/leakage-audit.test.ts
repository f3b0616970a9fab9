import { createTaskDataset } from '@polytask/task-dataset';
import { describe, expect, it } from 'vitest';
import { auditSplit, LeakageError } from './leakage-audit';
import { generatedDataset, keyword } from './test-datasets';

describe('auditSplit', () => {
  const dataset = generatedDataset({ name: 'speech', tasks: [keyword], count: 10, groups: (index) => `speaker-${index % 5}` });

  it('accepts a clean grouped split', () => {
    expect(() =>
      auditSplit(dataset.subset([0, 1, 5, 6]), dataset.subset([2, 3, 4, 7, 8, 9].filter((index) => index % 5 > 1))),
    ).not.toThrow();
  });

  it('catches an example on both sides', () => {
    const attempt = () => auditSplit(dataset.subset([0, 1]), dataset.subset([1, 2]), { features: false });
    expect(attempt).toThrow(LeakageError);
    expect(attempt).toThrow(/1 example\(s\) are in both train and test \(speech-1\)/);
  });

  it('catches a group on both sides', () => {
    try {
      auditSplit(dataset.subset([0, 1]), dataset.subset([5]), { features: false });
      expect.unreachable();
    } catch (error) {
      expect(LeakageError.isInstance(error)).toBe(true);
      expect((error as LeakageError).kind).toBe('group');
      expect((error as LeakageError).examples).toEqual(['speaker-0']);
    }
  });

  it('catches identical feature vectors under different ids', () => {
    const twin = { data: Float32Array.from([1, 2, 3]), shape: [1, 3] };
    const duplicated = createTaskDataset({
      name: 'dup',
      tasks: [keyword],
      features: [twin, { data: Float32Array.from([4, 5, 6]), shape: [1, 3] }, { data: Float32Array.from([1, 2, 3]), shape: [1, 3] }],
      targets: { keyword: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) },
      ids: ['a.wav', 'b.wav', 'a-copy.wav'],
    });
    expect(() => auditSplit(duplicated.subset([0, 1]), duplicated.subset([2]))).toThrow(
      /identical feature vector\(s\) are in both train and test \(a-copy\.wav = a\.wav\)/,
    );
    expect(() => auditSplit(duplicated.subset([0, 1]), duplicated.subset([2]), { features: false })).not.toThrow();
  });

  const datasetOf = (vectors: Float32Array[], name = 'vectors') =>
    createTaskDataset({
      name,
      tasks: [keyword],
      features: vectors.map((data) => ({ data, shape: [1, data.length] })),
      targets: {
        keyword: Uint8Array.from(
          vectors.flatMap((_, index) => [index % 3 === 0 ? 1 : 0, index % 3 === 1 ? 1 : 0, index % 3 === 2 ? 1 : 0]),
        ),
      },
      ids: vectors.map((_, index) => `clip-${index}`),
    });

  it('catches identical feature vectors holding NaN, whatever the NaN bits, and -0 as 0', () => {
    const quietNaN = Float32Array.from([1, Number.NaN, 3]);
    const otherNaN = Float32Array.from([1, 0, 3]);
    new Uint32Array(otherNaN.buffer)[1] = 0x7fc00123; // another NaN payload
    expect(Number.isNaN(otherNaN[1])).toBe(true);
    const dataset = datasetOf([quietNaN, Float32Array.from([7, 8, 9]), otherNaN, Float32Array.from([0, 2]), Float32Array.from([-0, 2])]);
    try {
      auditSplit(dataset.subset([0, 1, 3]), dataset.subset([2, 4]));
      expect.unreachable();
    } catch (error) {
      expect(LeakageError.isInstance(error)).toBe(true);
      expect((error as LeakageError).kind).toBe('features');
      expect((error as LeakageError).examples).toEqual(['clip-2 = clip-0', 'clip-4 = clip-3']);
    }
    // NaN at another position is a different vector
    const shifted = datasetOf([Float32Array.from([1, Number.NaN, 3]), Float32Array.from([Number.NaN, 1, 3])]);
    expect(() => auditSplit(shifted.subset([0]), shifted.subset([1]))).not.toThrow();
  });

  it('finds near-identical feature vectors within the tolerance when asked', () => {
    let state = 7;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const vectors = Array.from({ length: 200 }, () => Float32Array.from({ length: 16 }, () => random() * 10 - 5));
    // a slightly altered copy of example 17 (a standard deviation here is about 2.9)
    const copy = Float32Array.from(vectors[17] as Float32Array, (value, position) => value + (position % 2 ? 0.01 : -0.01));
    const far = Float32Array.from(vectors[30] as Float32Array, (value) => value + 1);
    const dataset = datasetOf([...vectors, copy, far]);
    const train = dataset.subset(Array.from({ length: 200 }, (_, index) => index));
    const test = dataset.subset([200, 201]);
    expect(() => auditSplit(train, test)).not.toThrow();
    try {
      auditSplit(train, test, { nearDuplicates: true });
      expect.unreachable();
    } catch (error) {
      expect((error as LeakageError).kind).toBe('near-features');
      expect((error as LeakageError).examples).toEqual(['clip-200 ≈ clip-17']);
    }
    expect(() => auditSplit(train, test, { nearDuplicates: { tolerance: 0.001 } })).not.toThrow();
    expect(() => auditSplit(train, test, { nearDuplicates: { tolerance: 0.5 } })).toThrow(/2 near-identical/);
    expect(() => auditSplit(train, test, { nearDuplicates: { tolerance: -1 } })).toThrow(/at least 0/);
  });
});
