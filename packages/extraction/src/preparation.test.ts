import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameCountFitter, cutOrPad, type FramePadMode, windowCount, windowExamples } from './preparation';

const matrix = (frames: number, columns = 2) => ({
  data: Float32Array.from({ length: frames * columns }, (_, index) => index + 1),
  shape: [frames, columns],
});
const padModes: FramePadMode[] = ['zeros', 'edge', 'wrap'];

describe('cutOrPad', () => {
  it('gives [frameCount, columns] for every pad mode and any input length, including shorter than one frame', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(...padModes),
        (frames, frameCount, padMode) => {
          const result = cutOrPad(matrix(frames), { frameCount, padMode });
          expect(result.shape).toEqual([frameCount, 2]);
          expect(result.data).toHaveLength(frameCount * 2);
          expect(Array.from(result.data.subarray(0, Math.min(frames, frameCount) * 2))).toEqual(
            Array.from(matrix(frames).data.subarray(0, Math.min(frames, frameCount) * 2)),
          );
        },
      ),
    );
  });

  it('pads with zeros, the last frame, or wrapping around', () => {
    const short = matrix(2);
    expect([...cutOrPad(short, { frameCount: 5, padMode: 'zeros' }).data]).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
    expect([...cutOrPad(short, { frameCount: 5, padMode: 'edge' }).data]).toEqual([1, 2, 3, 4, 3, 4, 3, 4, 3, 4]);
    expect([...cutOrPad(short, { frameCount: 5, padMode: 'wrap' }).data]).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2]);
    expect([...cutOrPad(matrix(4), { frameCount: 2 }).data]).toEqual([1, 2, 3, 4]);
  });

  it('keeps trailing dimensions', () => {
    expect(cutOrPad({ data: new Float32Array(24), shape: [3, 4, 2] }, { frameCount: 5 }).shape).toEqual([5, 4, 2]);
  });

  it('rejects bad frame counts and modes', () => {
    expect(() => cutOrPad(matrix(3), { frameCount: 0 })).toThrow(/frameCount must be a positive integer/);
    expect(() => cutOrPad(matrix(3), { frameCount: 2, padMode: 'mirror' as never })).toThrow(/Unknown pad mode/);
  });
});

describe('createFrameCountFitter', () => {
  it('picks the median, minimum, maximum or a percentile of the training frame counts', () => {
    const counts = [10, 40, 20, 30, 100];
    const fit = (options: Parameters<typeof createFrameCountFitter>[0]) => {
      const fitter = createFrameCountFitter(options);
      for (const count of counts) fitter.add(count);
      return fitter.result();
    };
    expect(fit({})).toBe(30);
    expect(fit({ statistic: 'minimum' })).toBe(10);
    expect(fit({ statistic: 'maximum' })).toBe(100);
    expect(fit({ statistic: 'percentile', percentile: 90 })).toBe(76);
    expect(() => createFrameCountFitter({ statistic: 'percentile' })).toThrow(/percentile from 0 to 100/);
    expect(() => createFrameCountFitter().result()).toThrow(/saw no training examples/);
  });

  it('restores from its saved counts', () => {
    const fitter = createFrameCountFitter({ statistic: 'maximum' });
    fitter.add(7);
    fitter.add(9);
    expect(createFrameCountFitter(fitter.toJSON()).result()).toBe(9);
  });
});

describe('windowExamples', () => {
  it('covers every frame, remembers sources, and pads short examples to one window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (lengths, windowLength, hopLength) => {
          const result = windowExamples(
            lengths.map((frames) => matrix(frames)),
            { windowLength, hopLength },
          );
          const expectedCount = lengths.reduce((sum, frames) => sum + windowCount(frames, windowLength, hopLength), 0);
          expect(result.windows).toHaveLength(expectedCount);
          expect(result.sourceIndex).toHaveLength(expectedCount);
          for (const window of result.windows) expect(window.shape).toEqual([windowLength, 2]);
          lengths.forEach((frames, source) => {
            const mine = [...result.windowIndex].filter((_, index) => result.sourceIndex[index] === source);
            expect(mine).toEqual(Array.from({ length: windowCount(frames, windowLength, hopLength) }, (_, index) => index));
            expect((mine.length - 1) * hopLength + windowLength).toBeGreaterThanOrEqual(frames);
          });
        },
      ),
    );
  });

  it('takes windows at the hop', () => {
    const { windows } = windowExamples([matrix(5, 1)], { windowLength: 3, hopLength: 2 });
    expect(windows.map((window) => [...window.data])).toEqual([
      [1, 2, 3],
      [3, 4, 5],
    ]);
  });
});
