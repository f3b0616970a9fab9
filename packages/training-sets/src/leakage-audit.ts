/**
 * The leakage audit: refuses a train/test pair in which an example, a group (speaker,
 * recording, source clip), an identical feature vector or (on request) a near-identical one
 * appears on both sides.
 */
import { InvalidArgumentError, PolytaskError } from '@polytask/core';
import type { TaskDataset } from '@polytask/task-dataset';

/** What leaked: the same example, group, feature vector, or feature vectors within the near-duplicate tolerance. */
export type LeakageKind = 'example' | 'group' | 'features' | 'near-features';

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

const canonicalNaN = 0x7fc00000;

/**
 * 64-bit FNV-1a of the feature values, as two 32-bit halves in a string. Every NaN hashes as one
 * canonical NaN and −0 as 0, so vectors that {@link sameValues} calls equal hash equally.
 */
function fingerprint(values: Float32Array): string {
  const scratch = new Float32Array(1);
  const bits = new Uint32Array(scratch.buffer);
  let low = 0x811c9dc5;
  let high = 0xcbf29ce4;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    if (Number.isNaN(value)) bits[0] = canonicalNaN;
    else scratch[0] = value === 0 ? 0 : value;
    let word = bits[0] as number;
    for (let byte = 0; byte < 4; byte++) {
      low ^= word & 0xff;
      word >>>= 8;
      low = Math.imul(low, 0x01000193);
      high ^= low >>> 24;
      high = Math.imul(high, 0x01000193);
    }
  }
  return `${(low >>> 0).toString(16)}:${(high >>> 0).toString(16)}:${values.length}`;
}

/** Equal values, NaN equal to NaN (a feature missing in both), 0 equal to −0. */
function sameValues(first: Float32Array, second: Float32Array): boolean {
  if (first.length !== second.length) return false;
  for (let index = 0; index < first.length; index++) {
    const a = first[index] as number;
    const b = second[index] as number;
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) return false;
  }
  return true;
}

/** Per-element mean and standard deviation of the training part's finite feature values, per vector length. */
interface FeatureScale {
  readonly location: Float64Array;
  readonly scale: Float64Array;
}

function featureScales(train: TaskDataset): Map<number, FeatureScale> {
  const sums = new Map<number, { count: Float64Array; sum: Float64Array; squares: Float64Array }>();
  for (let index = 0; index < train.size; index++) {
    const values = train.featuresOf(index).data;
    let entry = sums.get(values.length);
    if (!entry) {
      entry = { count: new Float64Array(values.length), sum: new Float64Array(values.length), squares: new Float64Array(values.length) };
      sums.set(values.length, entry);
    }
    for (let position = 0; position < values.length; position++) {
      const value = values[position] as number;
      if (!Number.isFinite(value)) continue;
      entry.count[position] = (entry.count[position] as number) + 1;
      entry.sum[position] = (entry.sum[position] as number) + value;
      entry.squares[position] = (entry.squares[position] as number) + value * value;
    }
  }
  const scales = new Map<number, FeatureScale>();
  for (const [length, { count, sum, squares }] of sums) {
    const location = new Float64Array(length);
    const scale = new Float64Array(length);
    for (let position = 0; position < length; position++) {
      const n = count[position] as number;
      const mean = n ? (sum[position] as number) / n : 0;
      const variance = n ? Math.max(0, (squares[position] as number) / n - mean * mean) : 0;
      location[position] = mean;
      // a constant feature is measured in its own units
      scale[position] = variance > 0 ? Math.sqrt(variance) : 1;
    }
    scales.set(length, { location, scale });
  }
  return scales;
}

/** Mean of the normalised finite values: within `tolerance` for any two vectors within `tolerance` of each other (L∞). */
function sortKey(values: Float32Array, { location, scale }: FeatureScale): number {
  let sum = 0;
  let count = 0;
  for (let position = 0; position < values.length; position++) {
    const value = values[position] as number;
    if (!Number.isFinite(value)) continue;
    sum += (value - (location[position] as number)) / (scale[position] as number);
    count++;
  }
  return count ? sum / count : 0;
}

/** Every normalised element within `tolerance`; non-finite elements must match exactly (NaN matching NaN). */
function withinTolerance(first: Float32Array, second: Float32Array, { scale }: FeatureScale, tolerance: number): boolean {
  for (let position = 0; position < first.length; position++) {
    const a = first[position] as number;
    const b = second[position] as number;
    if (Number.isFinite(a) && Number.isFinite(b)) {
      if (Math.abs(a - b) / (scale[position] as number) > tolerance) return false;
    } else if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) return false;
  }
  return true;
}

/**
 * Test examples whose features are within `tolerance` of a training example's, as `test = train` pairs.
 * Train vectors are sorted by their mean normalised value; a test vector is compared in full only
 * with those whose mean lies within `tolerance` of its own (a necessary condition).
 */
function nearDuplicates(train: TaskDataset, test: TaskDataset, tolerance: number): string[] {
  const scales = featureScales(train);
  const keys = new Map<number, { key: number; index: number }[]>();
  for (let index = 0; index < train.size; index++) {
    const values = train.featuresOf(index).data;
    const entries = keys.get(values.length) ?? [];
    entries.push({ key: sortKey(values, scales.get(values.length) as FeatureScale), index });
    keys.set(values.length, entries);
  }
  for (const entries of keys.values()) entries.sort((a, b) => a.key - b.key);
  const found: string[] = [];
  for (let index = 0; index < test.size; index++) {
    const values = test.featuresOf(index).data;
    const entries = keys.get(values.length);
    const scale = scales.get(values.length);
    if (!entries || !scale) continue;
    const key = sortKey(values, scale);
    // first entry with key ≥ key − tolerance (binary search), then forward while within tolerance
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((entries[middle] as { key: number }).key < key - tolerance - 1e-9) low = middle + 1;
      else high = middle;
    }
    for (let position = low; position < entries.length; position++) {
      const entry = entries[position] as { key: number; index: number };
      if (entry.key > key + tolerance + 1e-9) break;
      if (withinTolerance(values, train.featuresOf(entry.index).data, scale, tolerance)) {
        found.push(`${test.idOf(index)} ≈ ${train.idOf(entry.index)}`);
        break;
      }
    }
  }
  return found;
}

/** Options of {@link auditSplit}. */
export interface AuditOptions {
  /**
   * Also look for identical feature vectors (one pass over the data; NaN counts as equal to NaN,
   * so vectors with the same missing values are caught). @default true
   */
  readonly features?: boolean;
  /**
   * Also look for near-identical feature vectors (a re-encoded or slightly gained copy): a test
   * vector is a near-duplicate of a training vector of the same length when every element differs
   * by at most `tolerance` standard deviations of that element over the training part (constant
   * elements: `tolerance` in their own units; NaN and ±Infinity must match exactly).
   * `true` means `{ tolerance: 0.01 }`. Cost: two more passes over the training part (per-element
   * mean and deviation, then a sort key each; memory O(elements + examples)), one over the test part,
   * and a full comparison with each training vector whose mean normalised value is within
   * `tolerance` of the test vector's: O((train + test) × elements) when vectors are spread, up to
   * O(train × test × elements) when every vector has the same mean. @default false
   */
  readonly nearDuplicates?: boolean | { readonly tolerance?: number };
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
  if (options.nearDuplicates) {
    const tolerance = options.nearDuplicates === true ? 0.01 : (options.nearDuplicates.tolerance ?? 0.01);
    if (!(tolerance >= 0 && Number.isFinite(tolerance)))
      throw new InvalidArgumentError({
        argument: 'nearDuplicates.tolerance',
        value: tolerance,
        message: `nearDuplicates.tolerance must be a finite number of standard deviations of at least 0, got ${tolerance}.`,
      });
    const near = nearDuplicates(train, test, tolerance);
    if (near.length > 0) report('near-features', near, `near-identical feature vector(s) (within ${tolerance} standard deviations) are`);
  }
}
