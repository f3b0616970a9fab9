/**
 * polytask: the curated Polytask API in one import. Re-exports the contracts of
 * `@polytask/core` and the public pieces of the pipeline packages as they land;
 * dataset readers and tfjs backends are installed and imported separately.
 */
export {
  BackendUnavailableError,
  ConfigError,
  DataFormatError,
  decodeTarget,
  defineTask,
  encodeTarget,
  type FeatureMatrix,
  featureMatrix,
  InvalidArgumentError,
  type LabelledExample,
  MissingDependencyError,
  MissingFileError,
  PolytaskError,
  ShapeMismatchError,
  type TaskDefinition,
  type TaskKind,
  taskOutputSize,
} from '@polytask/core';
export { type DataReader, type DatasetItem, ExtractionFailedError, type ReadDatasetOptions, readDataset } from '@polytask/data-reading';
export {
  type ChannelPolicy,
  createDefaultExtractionRegistry,
  createFrameCountFitter,
  createScaler,
  cutOrPad,
  type DecodedAudio,
  type ExtractionMethod,
  type ExtractionRegistry,
  type ExtractionSpec,
  extractionSpecHash,
  filterbankEnergies,
  logbankSummary,
  logFilterbankEnergies,
  logMelSpectrogram,
  melSpectrogram,
  mfcc,
  readAudioFile,
  resample,
  type Scaler,
  type ScalerState,
  spectrogram,
  windowExamples,
} from '@polytask/extraction';
export { checkModelForTasks, createMultiTaskCnn, createMultiTaskDnn } from '@polytask/models';
export {
  type CheckpointContents,
  computeTaskMetrics,
  createRunStore,
  createRunStoreObserver,
  createTensorBoardObserver,
  createTensorBoardWriter,
  type EpochRecord,
  openRun,
  renderConfusionMatrixPng,
  type TaskMetrics,
  type TrainingObserver,
} from '@polytask/results';
export {
  createTask,
  createTaskDataset,
  datasetCacheDirectory,
  InvalidCacheError,
  loadTaskDataset,
  predefinedTrainTest,
  saveTaskDataset,
  type Task,
  type TaskDataset,
} from '@polytask/task-dataset';
export {
  type BackendName,
  type BackendSelection,
  type EarlyStoppingSpec,
  type LearningRateSchedule,
  type LossCombinerSpec,
  type OptimizerSpec,
  type SelectBackendOptions,
  selectBackend,
  type TrainFoldOptions,
  type TrainFoldResult,
  trainFold,
} from '@polytask/training';
export {
  type Batch,
  type CombinedSet,
  combineDatasets,
  createBatchSampler,
  createTrainingSets,
  type FoldSets,
  iterateBatches,
  LeakageError,
  type SamplingStrategy,
  type SplitPolicy,
  type TrainingSetsOptions,
} from '@polytask/training-sets';
export {
  applyOverride,
  type ExperimentConfig,
  experimentConfigSchema,
  loadExperimentConfig,
  parseExperimentConfig,
} from './experiment-config';
export {
  type ExperimentResult,
  evaluateRunCheckpoints,
  type RunExperimentOptions,
  readExperimentDatasets,
  resumeExperiment,
  runExperiment,
  type TaskSummary,
} from './run-experiment';
