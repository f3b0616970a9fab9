/**
 * @polytask/models: hard-sharing multi-task DNN and CNN builders. Filled in by the models
 * issue.
 */
export {};
