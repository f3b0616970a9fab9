/**
 * Preparation to equal shapes: cut or pad `[frames, columns]` features to a frame count
 * (chosen by a fitter from the training data), or split them into fixed-length windows
 * that remember their source example so evaluation can aggregate per recording.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';

/** How missing frames are filled: zeros, repeating the last frame, or wrapping around. */
export type FramePadMode = 'zeros' | 'edge' | 'wrap';

/** Statistic a frame-count fitter picks over the training examples' frame counts. */
export type FrameCountStatistic = 'median' | 'minimum' | 'maximum' | 'percentile';

function checkMatrix(matrix: FeatureMatrix): { frames: number; columns: number } {
  const [frames = 0, ...rest] = matrix.shape;
  const columns = rest.reduce((product, dimension) => product * dimension, 1);
  if (frames === 0)
    throw new InvalidArgumentError({ argument: 'matrix', value: matrix.shape, message: 'Cannot prepare a feature matrix with no frames.' });
  return { frames, columns };
}

function positive(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError({ argument, value, message: `${argument} must be a positive integer, got ${value}.` });
}

function sourceFrame(frame: number, frames: number, padMode: FramePadMode): number {
  if (frame < frames) return frame;
  if (padMode === 'edge') return frames - 1;
  if (padMode === 'wrap') return frame % frames;
  return -1;
}

/** Options of {@link cutOrPad}. */
export interface CutOrPadOptions {
  /** Frames wanted. */
  readonly frameCount: number;
  /** Filling of missing frames. @default 'zeros' */
  readonly padMode?: FramePadMode;
  /** Frame at which to start reading (cuts the beginning). @default 0 */
  readonly startFrame?: number;
}

/**
 * Returns `[frameCount, ...]`: the first `frameCount` frames from `startFrame`, padded at the end.
 * @example cutOrPad(logMel, { frameCount: 98, padMode: 'wrap' })
 */
export function cutOrPad(matrix: FeatureMatrix, options: CutOrPadOptions): FeatureMatrix {
  const { frames, columns } = checkMatrix(matrix);
  const { frameCount, padMode = 'zeros', startFrame = 0 } = options;
  positive('frameCount', frameCount);
  if (!['zeros', 'edge', 'wrap'].includes(padMode)) {
    throw new InvalidArgumentError({
      argument: 'padMode',
      value: padMode,
      message: `Unknown pad mode "${padMode}"; use zeros, edge or wrap.`,
    });
  }
  const data = new Float32Array(frameCount * columns);
  for (let frame = 0; frame < frameCount; frame++) {
    const source = sourceFrame(startFrame + frame, frames, padMode);
    if (source >= 0) data.set(matrix.data.subarray(source * columns, (source + 1) * columns), frame * columns);
  }
  return { data, shape: [frameCount, ...matrix.shape.slice(1)] };
}

/** Picks a frame count from training examples, one count at a time. */
export interface FrameCountFitter {
  /** Records one training example's frame count. */
  add(frameCount: number): void;
  /** The chosen frame count (rounded to an integer, at least 1). */
  result(): number;
  /** Serialisable state. */
  toJSON(): { statistic: FrameCountStatistic; percentile: number; counts: number[] };
}

/**
 * Creates a frame-count fitter: `median` (default), `minimum`, `maximum` or a `percentile` (0-100, linear interpolation).
 * @example const fitter = createFrameCountFitter({ statistic: 'percentile', percentile: 90 });
 */
export function createFrameCountFitter(
  options: { statistic?: FrameCountStatistic; percentile?: number; counts?: readonly number[] } = {},
): FrameCountFitter {
  const statistic = options.statistic ?? 'median';
  const percentile =
    statistic === 'median' ? 50 : statistic === 'minimum' ? 0 : statistic === 'maximum' ? 100 : (options.percentile ?? Number.NaN);
  if (!(percentile >= 0 && percentile <= 100)) {
    throw new InvalidArgumentError({
      argument: 'percentile',
      value: options.percentile,
      message: `A percentile fitter needs percentile from 0 to 100, got ${options.percentile}.`,
    });
  }
  const counts: number[] = [...(options.counts ?? [])];
  return {
    add(frameCount) {
      positive('frameCount', frameCount);
      counts.push(frameCount);
    },
    result() {
      if (counts.length === 0)
        throw new InvalidArgumentError({ argument: 'fitter', value: 0, message: 'The frame-count fitter saw no training examples.' });
      const sorted = [...counts].sort((a, b) => a - b);
      const position = ((sorted.length - 1) * percentile) / 100;
      const lower = Math.floor(position);
      const upper = Math.min(lower + 1, sorted.length - 1);
      const value = (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * (position - lower);
      return Math.max(1, Math.round(value));
    },
    toJSON: () => ({ statistic, percentile, counts: [...counts] }),
  };
}

/** Options of {@link windowExamples}. */
export interface WindowOptions {
  /** Frames per window. */
  readonly windowLength: number;
  /** Frames between window starts. @default windowLength */
  readonly hopLength?: number;
  /** Filling of the last window (and of examples shorter than one window). @default 'zeros' */
  readonly padMode?: FramePadMode;
}

/** Windows cut from many examples, each knowing where it came from. */
export interface WindowedExamples {
  /** Every window, `[windowLength, ...]`. */
  readonly windows: readonly FeatureMatrix[];
  /** Index of the source example of each window. */
  readonly sourceIndex: Int32Array;
  /** Position of each window within its source example. */
  readonly windowIndex: Int32Array;
}

/** Number of windows for `frames` frames: every frame is covered; the last window is padded. */
export function windowCount(frames: number, windowLength: number, hopLength: number): number {
  return frames <= windowLength ? 1 : 1 + Math.ceil((frames - windowLength) / hopLength);
}

/**
 * Splits each example into fixed-length windows (one example to many).
 * @example windowExamples(clips, { windowLength: 98, hopLength: 24 })
 */
export function windowExamples(examples: readonly FeatureMatrix[], options: WindowOptions): WindowedExamples {
  const { windowLength, padMode = 'zeros' } = options;
  const hopLength = options.hopLength ?? windowLength;
  positive('windowLength', windowLength);
  positive('hopLength', hopLength);
  const windows: FeatureMatrix[] = [];
  const sources: number[] = [];
  const positions: number[] = [];
  examples.forEach((example, source) => {
    const { frames } = checkMatrix(example);
    const count = windowCount(frames, windowLength, hopLength);
    for (let window = 0; window < count; window++) {
      windows.push(cutOrPad(example, { frameCount: windowLength, padMode, startFrame: window * hopLength }));
      sources.push(source);
      positions.push(window);
    }
  });
  return { windows, sourceIndex: Int32Array.from(sources), windowIndex: Int32Array.from(positions) };
}
