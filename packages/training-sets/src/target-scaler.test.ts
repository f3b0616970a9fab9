import { describe, expect, it } from 'vitest';
import { combineDatasets } from './combined-set';
import { fitTargetScaler, scaleTargetRows, scaleTaskValues, unscaleTaskValues } from './target-scaler';
import { generatedDataset, keyword, level } from './test-datasets';

describe('target scaler', () => {
  // "a" has no regression task; "b" carries level = [i / 2, 10 − i] for i = 0..3
  const a = generatedDataset({ name: 'a', tasks: [keyword], count: 3 });
  const b = generatedDataset({ name: 'b', tasks: [level, keyword], count: 4, base: 100 });
  const set = combineDatasets([a, b]);

  it('fits mean and population standard deviation over the items that carry the task only', () => {
    // rise 0, 0.5, 1, 1.5: mean 0.75, std sqrt(0.3125) = 0.5590...; fall 10, 9, 8, 7: mean 8.5, std sqrt(1.25) = 1.1180...
    const scaler = fitTargetScaler(set);
    expect(Object.keys(scaler.tasks)).toEqual(['level']);
    expect(scaler.tasks.level?.mean).toEqual([0.75, 8.5]);
    expect(scaler.tasks.level?.scale[0]).toBeCloseTo(0.5590169943749475, 12);
    expect(scaler.tasks.level?.scale[1]).toBeCloseTo(1.118033988749895, 12);
    expect(JSON.parse(JSON.stringify(scaler))).toEqual(scaler);
  });

  it('gives a constant output scale 1', () => {
    const single = generatedDataset({ name: 'c', tasks: [level], count: 1 });
    expect(fitTargetScaler(combineDatasets([single])).tasks.level).toEqual({ mean: [0, 10], scale: [1, 1] });
  });

  it('scales and unscales values as inverses', () => {
    const scaler = fitTargetScaler(set);
    const values = Float32Array.of(0.75, 8.5, 1.5, 7);
    const scaled = scaleTaskValues({ scaler, taskName: 'level', values });
    expect(scaled[0]).toBe(0);
    expect(scaled[1]).toBe(0);
    expect(scaled[2]).toBeCloseTo(0.75 / 0.5590169943749475, 5);
    expect(Array.from(unscaleTaskValues({ scaler, taskName: 'level', values: scaled }))).toEqual(
      Array.from(values).map((value) => expect.closeTo(value, 5)),
    );
    expect(() => scaleTaskValues({ scaler, taskName: 'keyword', values })).toThrow(/no regression task "keyword"/);
  });

  it('scales the regression columns of carried rows only; padding and classification columns stay', () => {
    const scaler = fitTargetScaler(set);
    // columns: keyword [0, 3), level [3, 5); row 0 from "a" (no level), row 1 = b[3]
    const targets = new Float32Array(2 * set.columnCount);
    set.writeTargetRow(0, targets, 0);
    set.writeTargetRow(6, targets, set.columnCount);
    const masks = Uint8Array.of(...set.taskMask(0), ...set.taskMask(1));
    const scaled = scaleTargetRows({ scaler, set, targets, masks });
    expect(Array.from(scaled.subarray(0, 5))).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(scaled.subarray(5, 8))).toEqual(Array.from(targets.subarray(5, 8)));
    expect(scaled[8]).toBeCloseTo((1.5 - 0.75) / 0.5590169943749475, 5);
    expect(scaled[9]).toBeCloseTo((7 - 8.5) / 1.118033988749895, 5);
  });
});
