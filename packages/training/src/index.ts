/**
 * @polytask/training: backend selection (with the wasm training kernels), the multi-task
 * training loop with masked per-task losses, loss combiners, optimizers and schedules, early
 * stopping, checkpoints and resume, and training-batch augmentations (SpecAugment, mixup, random
 * gain, time shift, noise mixing).
 */
export {
  type AugmentationInput,
  type AugmentationRandomOptions,
  type AugmentationResult,
  type AugmentationTaskColumns,
  type AugmentBatchOptions,
  augmentationRandom,
  augmentBatch,
  type BatchAugmentation,
  checkAugmentations,
} from './batch-augmentation';
export { createCheckpoint, restoreCheckpoint } from './checkpoint';
export { type CompiledInference, compileInference } from './compile-inference';
export { type AugmentationSpec, augmentationKinds, createAugmentation } from './create-augmentation';
export {
  checkEarlyStoppingSpec,
  createEarlyStopping,
  type EarlyStoppingDecision,
  type EarlyStoppingSpec,
  type EarlyStoppingState,
} from './early-stopping';
export { checkFeatureScale, type FeatureScale, featureScales } from './feature-scale';
export {
  createLossCombiner,
  type DbMtlSpec,
  type FamoSpec,
  gradientCombinerKinds,
  type LossCombiner,
  type LossCombinerFactory,
  type LossCombinerOptions,
  type LossCombinerSpec,
  type MgdaGradientNormalization,
  type MgdaSpec,
  type RandomLossWeightingSpec,
} from './loss-combiners';
export { createMixup, type MixupOptions } from './mixup';
export { createNoiseMixing, type NoiseMixingOptions } from './noise-mixing';
export {
  createSchedule,
  createTrainingOptimizer,
  type LearningRateSchedule,
  type OptimizerSpec,
  optimizerNames,
  type ScheduleState,
  type TrainingOptimizer,
} from './optimizer';
export { createRandomGain, type RandomGainOptions } from './random-gain';
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
export { createSpecAugment, type SpecAugmentOptions } from './spec-augment';
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
export { createTimeShift, type TimeShiftOptions } from './time-shift';
export {
  type CheckpointRetention,
  evaluateModel,
  maskedTaskLosses,
  type TrainFoldOptions,
  type TrainFoldResult,
  type TrainingStepLayer,
  trainFold,
} from './train-fold';
export { explainMissingKernel, trainingKernelsFor } from './training-kernels';
export { type NamedTensor, type UpdateRuleConfig, type UpdateRuleName, VariableKeyedOptimizer } from './variable-keyed-optimizer';
export { assertKernelsRegistered, registerWasmTrainingKernels, wasmTrainingKernelNames } from './wasm-training-kernels';
