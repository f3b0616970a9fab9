/**
 * @polytask/core: the contracts every Polytask package shares. Task kinds and
 * definitions, labelled examples, and the typed error hierarchy. Depends on nothing.
 */

export { importOptional, isModuleNotFound, MissingDependencyError } from './import-optional';
export {
  decodeTarget,
  type EncodeRegressionTargetOptions,
  encodeRegressionTarget,
  encodeTarget,
  type FeatureMatrix,
  featureMatrix,
  type LabelledExample,
  shapeSize,
  type TargetRow,
} from './labelled-example';
export { type HeldLock, isProcessAlive, type LockHolder, readLockFile, tryLockFile } from './lock-file';
export {
  generatedSection,
  generatedSectionMarker,
  normalizeMarkdownTables,
  replaceGeneratedSections,
} from './markdown-sections';
export {
  BackendUnavailableError,
  ConfigError,
  DataFormatError,
  type ErrorContext,
  InvalidArgumentError,
  MissingFileError,
  NonFiniteTargetError,
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
  isRegressionTask,
  isTaskKind,
  labelIndex,
  sameTask,
  type TaskDefinition,
  type TaskKind,
  taskKinds,
  taskOutputSize,
} from './task-definition';
