/**
 * @polytask/training: backend selection (with the wasm training kernels), the multi-task
 * training loop with masked per-task losses, loss combiners, optimizers and schedules, early
 * stopping, checkpoints and resume.
 */
export { createCheckpoint, restoreCheckpoint } from './checkpoint';
export { createEarlyStopping, type EarlyStoppingDecision, type EarlyStoppingSpec, type EarlyStoppingState } from './early-stopping';
export { createLossCombiner, type LossCombiner, type LossCombinerSpec } from './loss-combiners';
export {
  createSchedule,
  createTrainingOptimizer,
  type LearningRateSchedule,
  type OptimizerSpec,
  type ScheduleState,
  type TrainingOptimizer,
} from './optimizer';
export {
  type BackendAttempt,
  type BackendName,
  type BackendPreference,
  type BackendSelection,
  backendPreferences,
  type ModuleImporter,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend';
export { evaluateModel, maskedTaskLosses, type TrainFoldOptions, type TrainFoldResult, trainFold } from './train-fold';
export { explainMissingKernel, trainingKernelsFor } from './training-kernels';
export { assertKernelsRegistered, registerWasmTrainingKernels, wasmTrainingKernelNames } from './wasm-training-kernels';
