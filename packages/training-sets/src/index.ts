/**
 * @polytask/training-sets: leakage-free train/test sets. Seeded splitters matching
 * scikit-learn, a leakage audit, preparation and scaling fitted per fold on training data
 * only, the combined multi-task set (padded targets, task masks, dataset ids), resumable
 * samplers and batches as typed arrays with prefetch.
 */
export { type Batch, buildBatch, type IterateBatchesOptions, iterateBatches } from './batch-loader';
export {
  type BatchSampler,
  type BatchSamplerFactory,
  type BatchSamplerOptions,
  createBatchSampler,
  type SamplerState,
  type SamplingStrategy,
  samplerFeedsEveryTask,
  samplingStrategies,
} from './batch-sampler';
export { type CombinedSet, type CombinedTask, combineDatasets } from './combined-set';
export { applyPreparation, type FittedPreparation, fitPreparation, type PreparationSpec } from './fold-preparation';
export { type AuditOptions, auditSplit, LeakageError, type LeakageKind } from './leakage-audit';
export {
  ClassesTooSmallError,
  type Fold,
  foldsFromAssignment,
  groupKFoldAssignment,
  iterativeStratificationAssignment,
  kFoldAssignment,
  type SplitOptions,
  stratifiedGroupKFoldAssignment,
  stratifiedKFoldAssignment,
  type TrainTestSplitOptions,
  trainTestSplitAssignment,
} from './splitters';
export {
  fitTargetScaler,
  type OutputScaling,
  type ScaleTargetRowsOptions,
  scaleTargetRows,
  scaleTaskValues,
  type TargetScaler,
  type TaskValuesOptions,
  unscaleTaskValues,
} from './target-scaler';
export {
  createTrainingSets,
  type ExperimentFoldCountOptions,
  experimentFoldCount,
  type FoldSets,
  type SplitPolicy,
  type TrainingSets,
  type TrainingSetsOptions,
  type ValidationPolicy,
} from './training-sets';
export { type WindowSpec, windowedDataset } from './windowed-dataset';
