import { InvalidArgumentError, ShapeMismatchError } from '@polytask/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScaler, type ScalingMode } from './scaler';

const columns = 3;
const examplesArbitrary = fc.array(
  fc.integer({ min: 1, max: 6 }).chain((frames) =>
    fc
      .float32Array({
        minLength: frames * columns,
        maxLength: frames * columns,
        min: -1e3,
        max: 1e3,
        noNaN: true,
        noDefaultInfinity: true,
      })
      .map((data) => ({ data, shape: [frames, columns] })),
  ),
  { minLength: 1, maxLength: 8 },
);

function batchStatistics(examples: { data: Float32Array }[]) {
  const values: number[][] = Array.from({ length: columns }, () => []);
  for (const example of examples) for (const [index, value] of example.data.entries()) values[index % columns]?.push(value);
  return values.map((column) => {
    const mean = column.reduce((sum, value) => sum + value, 0) / column.length;
    const variance = column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / column.length;
    return { mean, deviation: Math.sqrt(variance), minimum: Math.min(...column), maximum: Math.max(...column) };
  });
}

describe('createScaler', () => {
  it.each(['per-feature', 'min-max'] as ScalingMode[])('%s: transform then inverse returns the input', (mode) => {
    fc.assert(
      fc.property(examplesArbitrary, (examples) => {
        const scaler = createScaler({ mode });
        for (const example of examples) scaler.partialFit(example);
        const magnitude = examples.reduce(
          (largest, example) => example.data.reduce((inner, value) => Math.max(inner, Math.abs(value)), largest),
          1,
        );
        for (const example of examples) {
          const restored = scaler.inverseTransform(scaler.transform(example));
          for (const [index, value] of example.data.entries()) {
            expect(Math.abs((restored.data[index] as number) - value)).toBeLessThanOrEqual(1e-5 * magnitude);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('per-feature: the streaming fit equals the batch statistics', () => {
    fc.assert(
      fc.property(examplesArbitrary, (examples) => {
        const scaler = createScaler({ mode: 'per-feature' });
        for (const example of examples) scaler.partialFit(example);
        const { offset, scale } = scaler.parameters();
        batchStatistics(examples).forEach(({ mean, deviation }, column) => {
          expect(offset[column]).toBeCloseTo(mean, 6);
          expect(scale[column]).toBeCloseTo(deviation > 0 ? deviation : 1, 4);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('min-max: maps the training range onto [0, 1]', () => {
    fc.assert(
      fc.property(examplesArbitrary, (examples) => {
        const scaler = createScaler({ mode: 'min-max' });
        for (const example of examples) scaler.partialFit(example);
        const { offset, scale } = scaler.parameters();
        batchStatistics(examples).forEach(({ minimum, maximum }, column) => {
          expect(offset[column]).toBe(minimum);
          expect(scale[column]).toBe(maximum > minimum ? maximum - minimum : 1);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('per-cell: statistics per [row, column] across examples', () => {
    const scaler = createScaler({ mode: 'per-cell' });
    scaler.partialFit({ data: Float32Array.from([1, 10, 100, 1000]), shape: [2, 2] });
    scaler.partialFit({ data: Float32Array.from([3, 30, 300, 3000]), shape: [2, 2] });
    const { offset, scale } = scaler.parameters();
    expect([...offset]).toEqual([2, 20, 200, 2000]);
    expect([...scale]).toEqual([1, 10, 100, 1000]);
    expect([...scaler.transform({ data: Float32Array.from([3, 10, 200, 4000]), shape: [2, 2] }).data]).toEqual([1, -1, 0, 2]);
    expect(() => scaler.partialFit({ data: new Float32Array(6), shape: [3, 2] })).toThrow(ShapeMismatchError);
  });

  it('survives a JSON round trip with the same transform', () => {
    const scaler = createScaler({ mode: 'per-feature' });
    scaler.partialFit({ data: Float32Array.from([1, 2, 3, 5, 8, 13]), shape: [2, 3] });
    const restored = createScaler({ state: JSON.parse(JSON.stringify(scaler.toJSON())) });
    const example = { data: Float32Array.from([4, 4, 4]), shape: [1, 3] };
    expect(restored.transform(example)).toEqual(scaler.transform(example));
    expect(restored.fitted).toBe(true);
  });

  it('gives a constant column scale 1 and leaves inputs untouched', () => {
    const scaler = createScaler({ mode: 'per-feature' });
    const example = { data: Float32Array.from([5, 1, 5, 3]), shape: [2, 2] };
    scaler.partialFit(example);
    expect([...scaler.transform(example).data]).toEqual([0, -1, 0, 1]);
    expect([...example.data]).toEqual([5, 1, 5, 3]);
  });

  it('refuses NaN features, use before fitting, wrong widths and unknown modes', () => {
    const scaler = createScaler({ mode: 'per-feature' });
    expect(() => scaler.transform({ data: new Float32Array(3), shape: [1, 3] })).toThrow(/not fitted/);
    expect(() => scaler.partialFit({ data: Float32Array.from([1, Number.NaN]), shape: [1, 2] })).toThrow(/hold NaN at flat index 1/);
    scaler.partialFit({ data: new Float32Array(3), shape: [1, 3] });
    expect(() => scaler.transform({ data: new Float32Array(4), shape: [1, 4] })).toThrow(ShapeMismatchError);
    expect(() => createScaler({ mode: 'robust' as never })).toThrow(InvalidArgumentError);
  });
});
