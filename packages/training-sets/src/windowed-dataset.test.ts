import { describe, expect, it } from 'vitest';
import { auditSplit } from './leakage-audit';
import { generatedDataset, keyword } from './test-datasets';
import { createTrainingSets } from './training-sets';
import { windowedDataset } from './windowed-dataset';

describe('windowedDataset', () => {
  const clips = generatedDataset({ name: 'clips', tasks: [keyword], count: 3, shape: [10, 2] });

  it('turns each example into windows that keep their source, labels and group', () => {
    const windows = windowedDataset(clips, { length: 4, hop: 3 });
    // 10 frames, windows of 4 every 3 frames: starts 0, 3, 6 (padded to 10)
    expect(windows.size).toBe(9);
    expect(windows.shapeOf(0)).toEqual([4, 2]);
    expect(windows.idOf(4)).toBe('clips-1#1');
    expect(windows.groupOf(4)).toBe('clips-1');
    expect(windows.metadataOf(4)).toEqual({ sourceId: 'clips-1', window: 1 });
    expect(Array.from(windows.targetsOf('keyword', 4))).toEqual(Array.from(clips.targetsOf('keyword', 1)));
    expect(windows.featuresOf(4).data[0]).toBe(clips.featuresOf(1).data[3 * 2]);
    expect(new Set(Array.from({ length: windows.size }, (_, index) => windows.storedIndexOf(index))).size).toBe(9);
    expect(windows.subset([8, 0]).idOf(0)).toBe('clips-2#2');
    expect(windows.targetMatrix('keyword')).toHaveLength(9 * 3);
  });

  it('windows after the split in training sets, so no clip straddles train and test', () => {
    const pool = generatedDataset({ name: 'pool', tasks: [keyword], count: 12, shape: [9, 2] });
    const { train, test } = createTrainingSets({
      datasets: [pool],
      split: { kind: 'k-fold', folds: 3 },
      preparation: { windows: { length: 3 }, scaling: 'per-feature' },
    }).fold(0);
    expect(train.shapeOf(0)).toEqual([3, 2]);
    expect(train.size + test.size).toBe(12 * 3);
    expect(() => auditSplit(train.datasets[0] as never, test.datasets[0] as never, { features: false })).not.toThrow();
  });
});
