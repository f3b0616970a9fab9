/**
 * @polytask/training: backend selection today; the multi-task training loop, loss
 * combination, early stopping and resume build on it.
 */
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
