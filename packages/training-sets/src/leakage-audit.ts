/**
 * The leakage audit: refuses a train/test pair in which an example, a group (speaker,
 * recording, source clip) or an identical feature vector appears on both sides.
 */
import { PolytaskError } from '@polytask/core';
import type { TaskDataset } from '@polytask/task-dataset';

/** What leaked. */
export type LeakageKind = 'example' | 'group' | 'features';

/** A split puts the same example, group or features in train and test. */
export class LeakageError extends PolytaskError {
  readonly kind: LeakageKind;
  readonly dataset: string;
  /** Up to five offending ids (example ids or group names). */
  readonly examples: readonly string[];

  constructor(options: { kind: LeakageKind; dataset: string; examples: readonly string[]; message: string }) {
    super({ message: options.message, context: { kind: options.kind, dataset: options.dataset, examples: options.examples } });
    this.name = 'LeakageError';
    this.kind = options.kind;
    this.dataset = options.dataset;
    this.examples = options.examples;
  }

  static override isInstance(error: unknown): error is LeakageError {
    return PolytaskError.isInstance(error) && error.name === 'LeakageError';
  }
}

/** 64-bit FNV-1a of the feature bytes, as two 32-bit halves in a string. */
function fingerprint(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let low = 0x811c9dc5;
  let high = 0xcbf29ce4;
  for (let index = 0; index < bytes.length; index++) {
    low ^= bytes[index] as number;
    low = Math.imul(low, 0x01000193);
    high ^= low >>> 24;
    high = Math.imul(high, 0x01000193);
  }
  return `${(low >>> 0).toString(16)}:${(high >>> 0).toString(16)}:${values.length}`;
}

function sameValues(first: Float32Array, second: Float32Array): boolean {
  if (first.length !== second.length) return false;
  for (let index = 0; index < first.length; index++) if (first[index] !== second[index]) return false;
  return true;
}

/** Options of {@link auditSplit}. */
export interface AuditOptions {
  /** Also look for identical feature vectors (one pass over the data). @default true */
  readonly features?: boolean;
}

/**
 * Checks one dataset's train and test parts (views of the same stored dataset).
 * @throws LeakageError naming the kind of leak and the first offenders.
 */
export function auditSplit(train: TaskDataset, test: TaskDataset, options: AuditOptions = {}): void {
  const report = (kind: LeakageKind, examples: string[], what: string) => {
    throw new LeakageError({
      kind,
      dataset: train.name,
      examples: examples.slice(0, 5),
      message: `Leakage in dataset "${train.name}": ${examples.length} ${what} in both train and test (${examples.slice(0, 5).join(', ')}${examples.length > 5 ? ', ...' : ''}). Split by group, deduplicate the data, or fix the reader's predefined split.`,
    });
  };
  const trainStored = new Set(Array.from({ length: train.size }, (_, index) => train.storedIndexOf(index)));
  const trainIds = new Set(Array.from({ length: train.size }, (_, index) => train.idOf(index)));
  const sharedExamples: string[] = [];
  for (let index = 0; index < test.size; index++) {
    if (trainStored.has(test.storedIndexOf(index)) || trainIds.has(test.idOf(index))) sharedExamples.push(test.idOf(index));
  }
  if (sharedExamples.length > 0) report('example', sharedExamples, 'example(s) are');
  const trainGroups = new Set<string>();
  for (let index = 0; index < train.size; index++) {
    const group = train.groupOf(index);
    if (group !== undefined) trainGroups.add(group);
  }
  const sharedGroups = new Set<string>();
  for (let index = 0; index < test.size; index++) {
    const group = test.groupOf(index);
    if (group !== undefined && trainGroups.has(group)) sharedGroups.add(group);
  }
  if (sharedGroups.size > 0) report('group', [...sharedGroups], 'group(s) are');
  if (options.features ?? true) {
    const trainPrints = new Map<string, number>();
    for (let index = 0; index < train.size; index++) trainPrints.set(fingerprint(train.featuresOf(index).data), index);
    const duplicates: string[] = [];
    for (let index = 0; index < test.size; index++) {
      const values = test.featuresOf(index).data;
      const match = trainPrints.get(fingerprint(values));
      if (match !== undefined && sameValues(train.featuresOf(match).data, values))
        duplicates.push(`${test.idOf(index)} = ${train.idOf(match)}`);
    }
    if (duplicates.length > 0) report('features', duplicates, 'identical feature vector(s) are');
  }
}
