/**
 * @polytask/results: metrics, confusion matrices, TensorBoard event files and checkpoints.
 * Filled in by the results issue.
 */
export {};
