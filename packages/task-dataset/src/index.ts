/**
 * @polytask/task-dataset: tasks with behaviour by kind, TaskDataset (features, targets for
 * several tasks, groups, metadata, predefined splits), the on-disk feature cache and index
 * mode. No tfjs: everything here is typed arrays and files.
 */
export { asCacheWriteError, InvalidCacheError } from './cache-errors';
export {
  type CachedFile,
  type CacheInspection,
  type CacheVerification,
  type DatasetManifest,
  damagedMarkerFileName,
  datasetCacheDirectory,
  datasetCacheSchemaVersion,
  inspectDatasetCache,
  type LoadTaskDatasetOptions,
  loadTaskDataset,
  markDatasetCacheDamaged,
  saveTaskDataset,
  type WriteDatasetCacheOptions,
  writeDatasetCache,
  writeJsonAtomically,
} from './dataset-cache';
export {
  createMemoryFeatureStore,
  elementOffsets,
  type FeatureStore,
  type IndexFeatureStoreOptions,
  openIndexFeatureStore,
} from './feature-store';
export { decodeNpyHeader, encodeNpyHeader, type NpyDtype, type NpyHeader } from './npy';
export { renameTasks } from './rename-tasks';
export {
  argmaxDecision,
  type CreateTaskOptions,
  createTask,
  type DecisionFunction,
  huberLoss,
  type LossTargets,
  meanAbsoluteError,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  type Task,
  type TaskLoss,
  thresholdDecision,
} from './task';
export {
  createTaskDataset,
  type ExampleMetadata,
  type PredefinedSplit,
  predefinedTrainTest,
  type SampleLabelsOptions,
  type TaskDataset,
  type TaskDatasetContents,
} from './task-dataset';
