/**
 * @polytask/models: hard-sharing multi-task DNN and CNN builders with one head per task, and
 * the check that a model (built here or by the user) fits the tasks.
 */
export {
  type CnnOptions,
  checkModelForTasks,
  createMultiTaskCnn,
  createMultiTaskDnn,
  type DnnOptions,
  type HeadActivation,
  type HeadSpec,
  headActivation,
  type TrunkOptions,
} from './multi-task-model';
