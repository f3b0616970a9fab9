/**
 * Tasks as plain data: a name, a kind and the ordered label names (output names for
 * regression) whose order is the column order of target rows and model outputs.
 */
import { InvalidArgumentError } from './polytask-error';

/** The kinds of task Polytask trains: three classification kinds and regression (real-valued outputs). */
export type TaskKind = 'binary' | 'multi-class' | 'multi-label' | 'regression';

/** Every task kind, in a stable order. */
export const taskKinds: readonly TaskKind[] = Object.freeze(['binary', 'multi-class', 'multi-label', 'regression']);

/** True for a regression task (real-valued targets, no labels to decide between). */
export function isRegressionTask(task: Pick<TaskDefinition, 'kind'>): boolean {
  return task.kind === 'regression';
}

/** True when `value` names a task kind. */
export function isTaskKind(value: unknown): value is TaskKind {
  return typeof value === 'string' && (taskKinds as readonly string[]).includes(value);
}

/**
 * A task.
 * - `binary`: exactly two labels, `[negative, positive]`; one output column, 1 meaning `labels[1]`.
 * - `multi-class`: two or more mutually exclusive labels; one column per label, exactly one set.
 * - `multi-label`: one or more labels; one column per label, any number set.
 * - `regression`: one or more named real-valued outputs (`labels` holds the output names); one column per output.
 */
export interface TaskDefinition {
  /** Unique name of the task, e.g. `emotion` or `speaker-gender`. */
  readonly name: string;
  /** How the labels relate to each other. */
  readonly kind: TaskKind;
  /** Ordered label names; for regression, the output names. */
  readonly labels: readonly string[];
}

/** Options of {@link defineTask}. */
export interface DefineTaskOptions {
  /** Unique name of the task. */
  readonly name: string;
  /** The task kind. */
  readonly kind: TaskKind;
  /** Ordered label names; for `binary`, `[negative, positive]`. Required for classification; for regression, an alias of `outputs`. */
  readonly labels?: readonly string[];
  /** Regression only: ordered output names. @default [name] (one output named after the task) */
  readonly outputs?: readonly string[];
}

const minimumLabelCount: Readonly<Record<TaskKind, number>> = { binary: 2, 'multi-class': 2, 'multi-label': 1, regression: 1 };

/** The label (or output) names the options give, after checking that regression alone uses `outputs`. */
function givenLabels(options: DefineTaskOptions): readonly string[] {
  const { name, kind, labels, outputs } = options;
  if (kind !== 'regression') {
    if (outputs !== undefined)
      throw new InvalidArgumentError({
        argument: 'outputs',
        value: outputs,
        message: `Task "${name}" is ${kind}: outputs name the columns of regression tasks; give labels instead.`,
      });
    if (!Array.isArray(labels))
      throw new InvalidArgumentError({ argument: 'labels', value: labels, message: `The ${kind} task "${name}" needs its labels.` });
    return labels;
  }
  if (outputs !== undefined && labels !== undefined && !sameNames(outputs, labels))
    throw new InvalidArgumentError({
      argument: 'outputs',
      value: outputs,
      message: `Regression task "${name}" gives outputs [${outputs.join(', ')}] and different labels [${labels.join(', ')}]; give outputs only.`,
    });
  return outputs ?? labels ?? [name];
}

function sameNames(first: readonly string[], second: readonly string[]): boolean {
  return first.length === second.length && first.every((value, index) => value === second[index]);
}

/**
 * Checks and freezes a task definition.
 * @throws InvalidArgumentError for an empty name, an unknown kind, duplicate or empty labels,
 * or a label count the kind does not allow.
 * @example defineTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'up'] })
 * @example defineTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] })
 */
export function defineTask(options: DefineTaskOptions): TaskDefinition {
  const { name, kind } = options;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidArgumentError({ argument: 'name', value: name, message: 'A task needs a non-empty name.' });
  }
  if (!isTaskKind(kind)) {
    throw new InvalidArgumentError({
      argument: 'kind',
      value: kind,
      message: `Task "${name}" has kind ${JSON.stringify(kind)}; use one of ${taskKinds.join(', ')}.`,
    });
  }
  const labels = givenLabels(options);
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label === '') {
      throw new InvalidArgumentError({ argument: 'labels', value: labels, message: `Task "${name}" has an empty or non-string label.` });
    }
    if (seen.has(label)) {
      throw new InvalidArgumentError({
        argument: 'labels',
        value: labels,
        message: `Task "${name}" lists label "${label}" twice; labels must be unique.`,
      });
    }
    seen.add(label);
  }
  if (kind === 'binary' && labels.length !== 2) {
    throw new InvalidArgumentError({
      argument: 'labels',
      value: labels,
      message: `Binary task "${name}" needs exactly two labels [negative, positive], got ${labels.length}.`,
    });
  }
  if (labels.length < minimumLabelCount[kind]) {
    throw new InvalidArgumentError({
      argument: 'labels',
      value: labels,
      message: `A ${kind} task needs at least ${minimumLabelCount[kind]} labels; "${name}" has ${labels.length}.`,
    });
  }
  return Object.freeze({ name, kind, labels: Object.freeze([...labels]) });
}

/** Number of target columns (and model outputs) of a task: 1 for binary, one per label (or regression output) otherwise. */
export function taskOutputSize(task: TaskDefinition): number {
  return task.kind === 'binary' ? 1 : task.labels.length;
}

/** Index of `label` in the task's labels, or `undefined` when the task has no such label. */
export function labelIndex(task: TaskDefinition, label: string): number | undefined {
  const index = task.labels.indexOf(label);
  return index === -1 ? undefined : index;
}

/** True when two definitions describe the same task: same name, kind and labels in the same order. */
export function sameTask(first: TaskDefinition, second: TaskDefinition): boolean {
  return (
    first.name === second.name &&
    first.kind === second.kind &&
    first.labels.length === second.labels.length &&
    first.labels.every((label, index) => label === second.labels[index])
  );
}
