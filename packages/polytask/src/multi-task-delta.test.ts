import { describe, expect, it } from 'vitest';
import { multiTaskDelta } from './multi-task-delta';

describe('multiTaskDelta (Δm)', () => {
  it('averages the signed relative changes over tasks, in percent', () => {
    // a: +12.5%, b: 0% → 6.25%
    expect(multiTaskDelta({ multiTask: { a: 0.9, b: 0.5 }, singleTask: { a: 0.8, b: 0.5 } })).toBeCloseTo(6.25, 12);
    // a worse task counts negatively: (0.6 − 0.8) / 0.8 = −25%, (0.75 − 0.5) / 0.5 = +50% → +12.5%
    expect(multiTaskDelta({ multiTask: { a: 0.6, b: 0.75 }, singleTask: { a: 0.8, b: 0.5 } })).toBeCloseTo(12.5, 12);
  });

  it('flips the sign of lower-is-better metrics and divides by the baseline magnitude', () => {
    // an error falling from 2 to 1.5 is +25%; an R² rising from −0.5 to −0.25 is +50%
    expect(
      multiTaskDelta({
        multiTask: { error: 1.5, r2: -0.25 },
        singleTask: { error: 2, r2: -0.5 },
        lowerIsBetter: (task) => task === 'error',
      }),
    ).toBeCloseTo(37.5, 12);
  });

  it('leaves out tasks without a baseline or with a zero or non-finite one; NaN when none is left', () => {
    expect(multiTaskDelta({ multiTask: { a: 0.9, b: 0.4, c: 0.3 }, singleTask: { a: 0.6, b: 0 } })).toBeCloseTo(50, 12);
    expect(multiTaskDelta({ multiTask: { a: 0.9 }, singleTask: {} })).toBeNaN();
    expect(multiTaskDelta({ multiTask: { a: Number.NaN }, singleTask: { a: 0.5 } })).toBeNaN();
  });
});
