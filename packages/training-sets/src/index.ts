/**
 * @polytask/training-sets: leakage-free splits, combined multi-task sets and samplers.
 * Filled in by the training-sets issue.
 */
export {};
