/**
 * @polytask/models: hard-sharing multi-task DNN and CNN builders, soft-sharing ones (cross-stitch,
 * MMoE, CGC/PLE, MTAN-style attention) with their custom layers, all with one head per task, and
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
export {
  type CgcOptions,
  type CrossStitchCnnOptions,
  type CrossStitchOptions,
  createCgcDnn,
  createCrossStitchCnn,
  createCrossStitchDnn,
  createMmoeDnn,
  createMtanCnn,
  type ExpertOptions,
  type MmoeOptions,
} from './sharing-architectures';
export { CrossStitch, type CrossStitchArgs, ExpertMixture } from './sharing-layers';
export { StepDropout, type StepDropoutArgs, type TrainingStepPosition } from './step-dropout';
