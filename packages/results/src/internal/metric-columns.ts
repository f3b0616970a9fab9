/** The per-task metrics every results file names the same way: the CSV's columns and TensorBoard's tags. */
import type { TaskMetrics } from '../metrics';

/** Each metric's name (CSV column, TensorBoard tag `<task>/<name>`) and its value; undefined or null when the task kind has none. */
export const metricColumns: readonly (readonly [string, (metrics: TaskMetrics) => number | null | undefined])[] = [
  ['loss', (metrics) => metrics.loss],
  ['accuracy', (metrics) => metrics.accuracy],
  ['macro_precision', (metrics) => metrics.macro.precision],
  ['macro_recall', (metrics) => metrics.macro.recall],
  ['macro_f1', (metrics) => metrics.macro.f1],
  ['weighted_f1', (metrics) => metrics.weighted.f1],
  ['micro_f1', (metrics) => metrics.micro.f1],
  ['subset_accuracy', (metrics) => metrics.subsetAccuracy],
  ['hamming_loss', (metrics) => metrics.hammingLoss],
  ['mean_average_precision', (metrics) => metrics.meanAveragePrecision],
];
