/**
 * @polytask/data-reading: the base of every dataset reader. A reader lists a corpus's
 * items and labels (`DataReader`); `readDataset` does the rest: feature cache, parallel
 * extraction in worker processes, progress, failure handling, index mode. `defineReaderOptions`
 * declares the options schema every reader package exports, which hosts check configs against.
 */
export type { DataReader, DatasetItem } from './data-reader';
export type { CacheKeyInputs, SourceCheck } from './internal/cache-key';
export { CacheLockedError } from './internal/cache-lock';
export type { ProgressEvent, ProgressOption } from './internal/progress';
export { assertFilesExist, type ReadCsvOptions, readCsv } from './read-csv';
export {
  ExtractionFailedError,
  ExtractionInterruptedError,
  type ReadDatasetOptions,
  type ReadDatasetResult,
  readDataset,
  type SkippedItem,
} from './read-dataset';
export {
  defineReaderOptions,
  findReaderOptionIssues,
  isReaderOptionsSchema,
  type ReaderOptionField,
  type ReaderOptionFields,
  type ReaderOptionIssue,
  type ReaderOptionsSchema,
  type ReaderOptionType,
  readerOptionsMarkdown,
  type ValidateReaderOptionsOptions,
  validateReaderOptions,
} from './reader-options';
