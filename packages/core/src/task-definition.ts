/**
 * Tasks as plain data: a name, a kind and the ordered label names whose order is
 * the column order of target rows and model outputs.
 */
import { InvalidArgumentError } from './polytask-error';

/** The three kinds of classification task Polytask trains. */
export type TaskKind = 'binary' | 'multi-class' | 'multi-label';

/** Every task kind, in a stable order. */
export const taskKinds: readonly TaskKind[] = Object.freeze(['binary', 'multi-class', 'multi-label']);

/** True when `value` names a task kind. */
export function isTaskKind(value: unknown): value is TaskKind {
  return typeof value === 'string' && (taskKinds as readonly string[]).includes(value);
}

/**
 * A classification task.
 * - `binary`: exactly two labels, `[negative, positive]`; one output column, 1 meaning `labels[1]`.
 * - `multi-class`: two or more mutually exclusive labels; one column per label, exactly one set.
 * - `multi-label`: one or more labels; one column per label, any number set.
 */
export interface TaskDefinition {
  /** Unique name of the task, e.g. `emotion` or `speaker-gender`. */
  readonly name: string;
  /** How the labels relate to each other. */
  readonly kind: TaskKind;
  /** Ordered label names. */
  readonly labels: readonly string[];
}

/** Options of {@link defineTask}. */
export interface DefineTaskOptions {
  /** Unique name of the task. */
  readonly name: string;
  /** The task kind. */
  readonly kind: TaskKind;
  /** Ordered label names; for `binary`, `[negative, positive]`. */
  readonly labels: readonly string[];
}

const minimumLabelCount: Readonly<Record<TaskKind, number>> = { binary: 2, 'multi-class': 2, 'multi-label': 1 };

/**
 * Checks and freezes a task definition.
 * @throws InvalidArgumentError for an empty name, an unknown kind, duplicate or empty labels,
 * or a label count the kind does not allow.
 * @example defineTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'up'] })
 */
export function defineTask(options: DefineTaskOptions): TaskDefinition {
  const { name, kind, labels } = options;
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

/** Number of target columns (and model outputs) of a task: 1 for binary, one per label otherwise. */
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
