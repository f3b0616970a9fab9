/**
 * @polytask/results: what a run leaves behind. Metrics with scikit-learn's definitions,
 * confusion matrices (numbers and PNG heat maps), a TensorBoard event-file writer, the run
 * store with atomic checkpoints, and the observer hooks the training loop reports through.
 */

export { type ConfusionMatrixPngOptions, renderConfusionMatrixPng } from './confusion-matrix-png';
export { crc32c, maskedCrc32c } from './internal/crc32c';
export { ProtoWriter } from './internal/protobuf';
export { lockFileName, lockRun, RunInUseError } from './lock-run';
export {
  type AveragedMetrics,
  averagePrecision,
  type BalancedAccuracyOptions,
  balancedAccuracy,
  computeTaskMetrics,
  type DetectionCostOptions,
  type EqualErrorRateOptions,
  equalErrorRate,
  type LabelMetrics,
  minDetectionCost,
  NonFiniteScoresError,
  type RegressionMetrics,
  type RegressionMetricsOptions,
  regressionMetrics,
  rocAuc,
  type ScoreMetricOptions,
  type TaskMetrics,
  type TaskMetricsInput,
  type TopKAccuracyOptions,
  topKAccuracy,
} from './metrics';
export {
  type CheckpointContents,
  createRunStore,
  type EpochRecord,
  type GradientOverhead,
  type LoadedRun,
  openRun,
  type RunStore,
  type WeightSpec,
  writeFileAtomically,
} from './run-store';
export { createTensorBoardWriter, type HparamValue, type TensorBoardWriter, type TensorBoardWriterOptions } from './tensorboard-writer';
export {
  type BatchEndInfo,
  type CheckpointStateInfo,
  createRunStoreObserver,
  createTensorBoardObserver,
  type EpochEndInfo,
  notifyObservers,
  type RunEndInfo,
  type RunStartInfo,
  type TensorBoardObserverOptions,
  type TrainingEndInfo,
  type TrainingObserver,
  type TrainingStartInfo,
} from './training-observer';
