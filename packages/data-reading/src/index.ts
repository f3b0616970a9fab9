/**
 * @polytask/data-reading: the base every dataset reader package builds on. Filled in by the
 * data-reading issue.
 */
export {};
