/**
 * @polytask/core: the contracts every Polytask package shares. Task kinds and
 * definitions, labelled examples, and the typed error hierarchy. Depends on nothing.
 */

export { importOptional, isModuleNotFound, MissingDependencyError } from './import-optional';
export {
  decodeTarget,
  encodeTarget,
  type FeatureMatrix,
  featureMatrix,
  type LabelledExample,
  shapeSize,
  type TargetRow,
} from './labelled-example';
export { type HeldLock, isProcessAlive, type LockHolder, readLockFile, tryLockFile } from './lock-file';
export {
  BackendUnavailableError,
  ConfigError,
  DataFormatError,
  type ErrorContext,
  InvalidArgumentError,
  MissingFileError,
  PolytaskError,
  type PolytaskErrorOptions,
  ShapeMismatchError,
  StorageError,
  type StorageProblem,
} from './polytask-error';
export { createRandom, type RandomSource, shuffleInPlace } from './random';
export {
  type DefineTaskOptions,
  defineTask,
  isTaskKind,
  labelIndex,
  sameTask,
  type TaskDefinition,
  type TaskKind,
  taskKinds,
  taskOutputSize,
} from './task-definition';
