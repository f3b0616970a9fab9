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
  MissingFileError,
  PolytaskError,
  ShapeMismatchError,
  type TaskDefinition,
  type TaskKind,
  taskOutputSize,
} from '@polytask/core';
export { type BackendName, type BackendSelection, type SelectBackendOptions, selectBackend } from '@polytask/training';
