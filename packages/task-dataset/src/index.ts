/**
 * @polytask/task-dataset: tasks with behaviour by kind, TaskDataset, the feature cache and
 * index mode. Filled in by the task-dataset issue.
 */
export {};
