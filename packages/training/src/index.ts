/**
 * @polytask/training: backend selection (with the wasm training kernels), the multi-task
 * training loop with masked per-task losses, loss combiners, optimizers and schedules, early
 * stopping, checkpoints and resume.
 */
export { createCheckpoint, restoreCheckpoint } from './checkpoint';
export {
  checkEarlyStoppingSpec,
  createEarlyStopping,
  type EarlyStoppingDecision,
  type EarlyStoppingSpec,
  type EarlyStoppingState,
} from './early-stopping';
export {
  createLossCombiner,
  type DbMtlSpec,
  type FamoSpec,
  type LossCombiner,
  type LossCombinerFactory,
  type LossCombinerOptions,
  type LossCombinerSpec,
  type MgdaGradientNormalization,
  type MgdaSpec,
  type RandomLossWeightingSpec,
} from './loss-combiners';
export {
  createSchedule,
  createTrainingOptimizer,
  type LearningRateSchedule,
  type OptimizerSpec,
  optimizerNames,
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
export {
  balancedClassWeights,
  type ClassWeights,
  crossEntropyLoss,
  registerTensorLoss,
  regressionLoss,
  regressionLossKinds,
  resolveTaskLosses,
  type TaskLossSpec,
  type TensorLoss,
  type TensorLossInput,
} from './task-losses';
export {
  type CheckpointRetention,
  evaluateModel,
  maskedTaskLosses,
  type TrainFoldOptions,
  type TrainFoldResult,
  trainFold,
} from './train-fold';
export { explainMissingKernel, trainingKernelsFor } from './training-kernels';
export { type NamedTensor, type UpdateRuleConfig, type UpdateRuleName, VariableKeyedOptimizer } from './variable-keyed-optimizer';
export { assertKernelsRegistered, registerWasmTrainingKernels, wasmTrainingKernelNames } from './wasm-training-kernels';
