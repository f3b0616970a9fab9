/**
 * The logbank summary of the thesis (Georgiev et al.): statistics of each log filterbank
 * band over time, giving a fixed-size `[statistics, bands]` matrix per clip whatever its
 * length, for DNNs.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { type FilterbankOptions, logFilterbankEnergies } from './filterbank';
import { type MelSpectrogramOptions, melPower } from './mel-spectrogram';
import { compressInPlace } from './power-to-db';

/** Statistics a summary can hold. Standard deviation, skewness and kurtosis are the biased (population) estimates; kurtosis is excess (Fisher). */
export type SummaryStatistic =
  | 'mean'
  | 'standardDeviation'
  | 'minimum'
  | 'maximum'
  | 'skewness'
  | 'kurtosis'
  | 'median'
  | 'percentile25'
  | 'percentile75';

/** Every summary statistic. */
export const summaryStatistics: readonly SummaryStatistic[] = Object.freeze([
  'mean',
  'standardDeviation',
  'minimum',
  'maximum',
  'skewness',
  'kurtosis',
  'median',
  'percentile25',
  'percentile75',
]);

/** The default statistics: mean, standard deviation, minimum, maximum, skewness, kurtosis. */
export const defaultSummaryStatistics: readonly SummaryStatistic[] = Object.freeze([
  'mean',
  'standardDeviation',
  'minimum',
  'maximum',
  'skewness',
  'kurtosis',
]);

function percentile(sorted: Float64Array, fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * (position - lower);
}

/**
 * Statistics of each column over the rows of `[frames, columns]`: returns `[statistics, columns]`.
 * Skewness and kurtosis of a constant column are 0 (scipy returns NaN).
 */
export function summarizeFrames(matrix: FeatureMatrix, statistics: readonly SummaryStatistic[] = defaultSummaryStatistics): FeatureMatrix {
  const [frames = 0, columns = 1] = matrix.shape;
  if (frames === 0)
    throw new InvalidArgumentError({ argument: 'matrix', value: matrix.shape, message: 'Cannot summarise a matrix with no frames.' });
  for (const statistic of statistics) {
    if (!summaryStatistics.includes(statistic)) {
      throw new InvalidArgumentError({
        argument: 'statistics',
        value: statistic,
        message: `Unknown statistic "${statistic}"; use ${summaryStatistics.join(', ')}.`,
      });
    }
  }
  const output = new Float32Array(statistics.length * columns);
  const column = new Float64Array(frames);
  for (let index = 0; index < columns; index++) {
    let sum = 0;
    for (let frame = 0; frame < frames; frame++) {
      const value = matrix.data[frame * columns + index] as number;
      column[frame] = value;
      sum += value;
    }
    const mean = sum / frames;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const value of column) {
      const deviation = value - mean;
      m2 += deviation ** 2;
      m3 += deviation ** 3;
      m4 += deviation ** 4;
    }
    m2 /= frames;
    m3 /= frames;
    m4 /= frames;
    const sorted = column.slice().sort();
    const values: Record<SummaryStatistic, () => number> = {
      mean: () => mean,
      standardDeviation: () => Math.sqrt(m2),
      minimum: () => sorted[0] as number,
      maximum: () => sorted[frames - 1] as number,
      skewness: () => (m2 > 0 ? m3 / m2 ** 1.5 : 0),
      kurtosis: () => (m2 > 0 ? m4 / m2 ** 2 - 3 : 0),
      median: () => percentile(sorted, 0.5),
      percentile25: () => percentile(sorted, 0.25),
      percentile75: () => percentile(sorted, 0.75),
    };
    statistics.forEach((statistic, row) => {
      output[row * columns + index] = values[statistic]();
    });
  }
  return { data: output, shape: [statistics.length, columns] };
}

/** Logbank summary options: the source bands and the statistics. */
export type LogbankSummaryOptions =
  | (FilterbankOptions & {
      /** Log filterbank energies (python_speech_features `logfbank`, the thesis's source). */
      readonly source?: 'filterbank';
      /** Statistics, one output row each. @default mean, standardDeviation, minimum, maximum, skewness, kurtosis */
      readonly statistics?: readonly SummaryStatistic[];
    })
  | (MelSpectrogramOptions & {
      /** librosa mel power compressed as `log(mel + logOffset)`. */
      readonly source: 'mel';
      /** Offset added before the logarithm. @default 1e-6 */
      readonly logOffset?: number;
      /** Statistics, one output row each. */
      readonly statistics?: readonly SummaryStatistic[];
    });

/**
 * The logbank summary `[statistics, bands]` of a signal.
 * @example logbankSummary(signal, { sampleRate: 8000, windowDuration: 0.03, filterCount: 24, fftSize: 256 })
 */
export function logbankSummary(signal: Float32Array, options: LogbankSummaryOptions): FeatureMatrix {
  if (options.source === 'mel') {
    const { values, frames, melBandCount } = melPower(signal, options);
    compressInPlace(values, { kind: 'natural', offset: options.logOffset ?? 1e-6 });
    return summarizeFrames({ data: new Float32Array(values), shape: [frames, melBandCount] }, options.statistics);
  }
  return summarizeFrames(logFilterbankEnergies(signal, options), options.statistics);
}
