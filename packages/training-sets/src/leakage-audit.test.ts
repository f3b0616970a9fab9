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
});
