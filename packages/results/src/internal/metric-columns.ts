/** The per-task metrics every results file names the same way: the CSV's columns and TensorBoard's tags. */
import type { TaskMetrics } from '../metrics';

/** A metric's name (CSV column, TensorBoard tag `<task>/<name>`) and its value; undefined or null when the task kind has none. */
export type MetricColumn = readonly [string, (metrics: TaskMetrics) => number | null | undefined];

/** The first metric columns, between `task` and `examples` in metrics.csv. Never reorder: scripts read the CSV by position. */
export const metricColumns: readonly MetricColumn[] = [
  ['loss', (metrics) => metrics.loss],
  ['accuracy', (metrics) => metrics.accuracy],
  ['macro_precision', (metrics) => metrics.macro?.precision],
  ['macro_recall', (metrics) => metrics.macro?.recall],
  ['macro_f1', (metrics) => metrics.macro?.f1],
  ['weighted_f1', (metrics) => metrics.weighted?.f1],
  ['micro_f1', (metrics) => metrics.micro?.f1],
  ['subset_accuracy', (metrics) => metrics.subsetAccuracy],
  ['hamming_loss', (metrics) => metrics.hammingLoss],
  ['mean_average_precision', (metrics) => metrics.meanAveragePrecision],
];

/** Metric columns added later, after `model` at the end of metrics.csv so earlier columns keep their positions; append new ones here. */
export const appendedMetricColumns: readonly MetricColumn[] = [
  ['balanced_accuracy', (metrics) => metrics.balancedAccuracy],
  ['top_5_accuracy', (metrics) => metrics.top5Accuracy],
  ['equal_error_rate', (metrics) => metrics.equalErrorRate],
  ['min_detection_cost', (metrics) => metrics.minDetectionCost],
  ['mean_squared_error', (metrics) => metrics.meanSquaredError],
  ['root_mean_squared_error', (metrics) => metrics.rootMeanSquaredError],
  ['mean_absolute_error', (metrics) => metrics.meanAbsoluteError],
  ['r2', (metrics) => metrics.r2],
];

/** Every metric column, in CSV order: the TensorBoard scalars of a task. */
export const allMetricColumns: readonly MetricColumn[] = [...metricColumns, ...appendedMetricColumns];
