/**
 * One entry point from task datasets to (train, test) pairs per fold: split every dataset
 * (predefined parts or folds when it has them; otherwise stratified, grouped or iterative
 * k-fold by its first task, or a ratio split), audit each split for leakage, fit the
 * preparation and scaling on each fold's training part only, and combine the datasets.
 *
 * Fold policy: a dataset with a predefined train/test split repeats it in every fold (the
 * thesis's behaviour). Datasets with predefined folds (ESC-50, UrbanSound8K) use them as the
 * folds: the experiment has `split.folds` folds, by default the smallest predefined count, and
 * experiment fold k tests on each such dataset's folds j with j mod foldCount = k (UrbanSound8K's
 * 10 folds pair up next to ESC-50's 5), so every predefined count must be a multiple of it.
 */
import { InvalidArgumentError } from '@polytask/core';
import type { TaskDataset } from '@polytask/task-dataset';
import { type CombinedSet, combineDatasets } from './combined-set';
import { applyPreparation, type FittedPreparation, fitPreparation, type PreparationSpec } from './fold-preparation';
import { type AuditOptions, auditSplit } from './leakage-audit';
import {
  canStratify,
  groupKFoldAssignment,
  iterativeStratificationAssignment,
  kFoldAssignment,
  stratifiedGroupKFoldAssignment,
  stratifiedKFoldAssignment,
  trainTestSplitAssignment,
} from './splitters';
import { windowedDataset } from './windowed-dataset';

/** How datasets without a predefined split are split. */
export type SplitPolicy =
  | {
      readonly kind: 'k-fold';
      /** @default 5 */
      readonly folds?: number;
      /** Stratify by the first task's labels. @default true */
      readonly stratify?: boolean;
      /** Keep groups (speakers, recordings) within one fold when the dataset has them. @default true */
      readonly grouped?: boolean;
      /** @default 0 */
      readonly seed?: number;
    }
  | {
      readonly kind: 'ratio';
      /** Fraction of the examples in the test part (as close as whole groups allow when grouped). */
      readonly testFraction: number;
      /** @default 0 */
      readonly seed?: number;
      /** Stratify by the first task's labels (one class per example). @default true */
      readonly stratify?: boolean;
      /** Keep groups (speakers, recordings) on one side when the dataset has them. @default true */
      readonly grouped?: boolean;
    };

/** Options of {@link createTrainingSets}. */
export interface TrainingSetsOptions {
  readonly datasets: readonly TaskDataset[];
  /** @default { kind: 'k-fold', folds: 5 } */
  readonly split?: SplitPolicy;
  /** Preparation fitted per fold and dataset on the training part. @default none */
  readonly preparation?: PreparationSpec;
  /** Run the leakage audit on every split. @default true */
  readonly audit?: boolean | AuditOptions;
  /**
   * Carve a validation part from each fold's training part (grouped and stratified like the outer
   * split), for early stopping, schedules and choosing the best epoch; the preparation is then fitted
   * on the rest of the training part. `fraction` of the training part, or one of `folds` inner folds.
   * @default none
   */
  readonly validation?: ValidationPolicy;
}

/** How the validation part is carved from a fold's training part. */
export type ValidationPolicy = { readonly fraction: number; readonly seed?: number } | { readonly folds: number; readonly seed?: number };

/** One fold, ready for training. */
export interface FoldSets {
  readonly fold: number;
  readonly train: CombinedSet;
  /** Held out from the training data of this fold (when a validation policy is given); model selection watches it. */
  readonly validation?: CombinedSet;
  /** Only evaluated and reported, never used to choose anything. */
  readonly test: CombinedSet;
  /** The preparation fitted on this fold's training part, per dataset (save it with the run). */
  readonly preparations: readonly FittedPreparation[];
}

/** The folds of an experiment. */
export interface TrainingSets {
  readonly foldCount: number;
  /** Builds fold `fold` (fitting happens here, so folds are built one at a time). */
  fold(fold: number): FoldSets;
  /** Every fold in order. */
  folds(): Generator<FoldSets>;
}

/**
 * The labels splits stratify by: those of the dataset's first classification task (its main task
 * unless that is a regression task). A dataset with regression tasks only gives `none`: its
 * splits are plain (grouped) k-fold or shuffle splits, since real values have no classes to balance.
 */
function stratificationLabels(
  dataset: TaskDataset,
): { kind: 'classes'; labels: Int32Array } | { kind: 'multi-label'; targets: Uint8Array; width: number } | { kind: 'none' } {
  if (dataset.tasks.length === 0)
    throw new InvalidArgumentError({ argument: 'datasets', value: dataset.name, message: `Dataset "${dataset.name}" has no task.` });
  const task = dataset.tasks.find((candidate) => candidate.kind !== 'regression');
  if (!task) return { kind: 'none' };
  const matrix = dataset.targetMatrix(task.name) as Uint8Array;
  if (task.kind === 'multi-label') return { kind: 'multi-label', targets: matrix, width: task.outputSize };
  if (task.kind === 'binary') return { kind: 'classes', labels: Int32Array.from(matrix) };
  return {
    kind: 'classes',
    labels: Int32Array.from({ length: dataset.size }, (_, index) =>
      matrix.subarray(index * task.outputSize, (index + 1) * task.outputSize).indexOf(1),
    ),
  };
}

/**
 * 1 for the examples of a (training) part that go to validation: one inner fold of a grouped,
 * stratified k-fold (k = folds, or round(1 / fraction)) when the part has groups, else a
 * stratified shuffle split of `fraction`.
 */
function validationAssignment(part: TaskDataset, policy: ValidationPolicy, grouped: boolean): Uint8Array {
  const seed = policy.seed ?? 0;
  const fraction = 'fraction' in policy ? policy.fraction : 1 / policy.folds;
  if (!(fraction > 0 && fraction < 1) || ('folds' in policy && !(Number.isInteger(policy.folds) && policy.folds >= 2)))
    throw new InvalidArgumentError({
      argument: 'validation',
      value: policy,
      message: 'validation needs a fraction between 0 and 1 (e.g. { fraction: 0.2 }) or an integer folds of at least 2.',
    });
  if (part.size < 2) return new Uint8Array(part.size);
  const groups = Array.from({ length: part.size }, (_, index) => part.groupOf(index));
  const first = stratificationLabels(part);
  if (grouped && groups.some((group) => group !== undefined)) {
    const groupCount = new Set(groups).size;
    const folds = Math.max(2, Math.min(Math.round(1 / fraction), groupCount));
    if (folds > groupCount) return new Uint8Array(part.size);
    // stratified when it can be: a part whose every class is smaller than the fold count (a small
    // corpus) is carved by groups alone, where the outer split would refuse as scikit-learn does
    const assignment =
      first.kind === 'classes' && canStratify(first.labels, folds)
        ? stratifiedGroupKFoldAssignment(first.labels, groups, { folds, shuffle: true, seed })
        : groupKFoldAssignment(groups, { folds });
    return Uint8Array.from(assignment, (value) => (value === 0 ? 1 : 0));
  }
  return trainTestSplitAssignment(part.size, {
    testFraction: fraction,
    seed,
    ...(first.kind === 'classes' ? { labels: first.labels } : {}),
  });
}

/** Options of {@link experimentFoldCount}. */
export interface ExperimentFoldCountOptions {
  readonly split: NonNullable<TrainingSetsOptions['split']>;
  /** Per dataset: its predefined split (only the kind and the fold count matter), or undefined. */
  readonly predefinedSplits: readonly (
    | { readonly kind: 'folds'; readonly foldCount: number }
    | { readonly kind: 'train-test' }
    | undefined
  )[];
}

/**
 * The number of folds {@link createTrainingSets} makes for these datasets and split, known before
 * any feature is extracted (planning work units): 1 for a ratio split or predefined train/test
 * parts only; `split.folds`, else the smallest predefined fold count, else 5 for k-fold.
 * @throws InvalidArgumentError when a ratio split meets predefined folds, or a predefined fold count is not a multiple of the result.
 */
export function experimentFoldCount(options: ExperimentFoldCountOptions): number {
  const { split } = options;
  const predefinedFolds = options.predefinedSplits
    .map((predefined) => (predefined?.kind === 'folds' ? predefined.foldCount : undefined))
    .filter((count) => count !== undefined);
  const needsSplitting = options.predefinedSplits.some((predefined) => predefined === undefined);
  let foldCount: number;
  if (split.kind === 'ratio') {
    if (predefinedFolds.length > 0)
      throw new InvalidArgumentError({
        argument: 'split',
        value: 'ratio',
        message: 'A ratio split cannot be combined with datasets that have predefined folds; use k-fold.',
      });
    foldCount = 1;
  } else {
    const requested = split.folds;
    // predefined folds of several counts (ESC-50's 5, UrbanSound8K's 10) meet at the smallest, or at
    // split.folds: a dataset's fold j is tested in experiment fold j mod foldCount
    foldCount = requested ?? (predefinedFolds.length > 0 ? Math.min(...predefinedFolds) : needsSplitting ? 5 : 1);
    const misfits = predefinedFolds.filter((count) => count % foldCount !== 0);
    if (misfits.length > 0) {
      throw new InvalidArgumentError({
        argument: 'split.folds',
        value: [...new Set([...predefinedFolds, foldCount])],
        message: `Datasets with predefined folds (${[...new Set(predefinedFolds)].join(', ')}) cannot be grouped into ${foldCount} folds: each predefined fold count must be a multiple of the experiment's (set split.folds to a common divisor, e.g. ${Math.min(...predefinedFolds)}).`,
      });
    }
  }
  return foldCount;
}

/**
 * Prepares leakage-free train/test sets for every fold.
 * @example for (const { train, test } of createTrainingSets({ datasets, preparation: { frames: { fit: 'median' }, scaling: 'per-feature' } }).folds()) { ... }
 */
export function createTrainingSets(options: TrainingSetsOptions): TrainingSets {
  const { datasets } = options;
  if (datasets.length === 0)
    throw new InvalidArgumentError({ argument: 'datasets', value: [], message: 'Give at least one task dataset.' });
  const split = options.split ?? { kind: 'k-fold' };
  const foldCount = experimentFoldCount({
    split,
    predefinedSplits: datasets.map((dataset) =>
      dataset.predefinedSplit?.kind === 'folds' ? { kind: 'folds', foldCount: dataset.predefinedSplit.foldCount } : dataset.predefinedSplit,
    ),
  });
  // per dataset: the test-membership of each example in each fold
  const assignments = datasets.map((dataset) => {
    const predefined = dataset.predefinedSplit;
    if (predefined?.kind === 'train-test') return () => predefined.isTest;
    if (predefined?.kind === 'folds')
      return (fold: number) => Uint8Array.from(predefined.fold, (value) => (value % foldCount === fold ? 1 : 0));
    const groups = Array.from({ length: dataset.size }, (_, index) => dataset.groupOf(index));
    const hasGroups = groups.some((group) => group !== undefined);
    if (split.kind === 'ratio') {
      const stratify = split.stratify ?? true;
      const first = stratificationLabels(dataset);
      const isTest = trainTestSplitAssignment(dataset.size, {
        testFraction: split.testFraction,
        seed: split.seed ?? 0,
        ...(stratify && first.kind === 'classes' ? { labels: first.labels } : {}),
        ...((split.grouped ?? true) && hasGroups ? { groups } : {}),
      });
      return () => isTest;
    }
    const folds = foldCount;
    const seed = split.seed ?? 0;
    const stratify = split.stratify ?? true;
    const grouped = (split.grouped ?? true) && hasGroups;
    let assignment: Int32Array;
    const first = stratificationLabels(dataset);
    if (grouped)
      assignment =
        stratify && first.kind === 'classes'
          ? stratifiedGroupKFoldAssignment(first.labels, groups, { folds, shuffle: true, seed })
          : groupKFoldAssignment(groups, { folds });
    else if (!stratify || first.kind === 'none') assignment = kFoldAssignment(dataset.size, { folds, seed });
    else if (first.kind === 'classes') assignment = stratifiedKFoldAssignment(first.labels, { folds, seed });
    else assignment = iterativeStratificationAssignment(first.targets, first.width, { folds, seed });
    return (fold: number) => Uint8Array.from(assignment, (value) => (value === fold ? 1 : 0));
  });
  const auditOptions = options.audit === false ? undefined : typeof options.audit === 'object' ? options.audit : {};

  const fold = (foldIndex: number): FoldSets => {
    if (!Number.isInteger(foldIndex) || foldIndex < 0 || foldIndex >= foldCount) {
      throw new InvalidArgumentError({ argument: 'fold', value: foldIndex, message: `Fold ${foldIndex} is outside 0..${foldCount - 1}.` });
    }
    const trains: TaskDataset[] = [];
    const validations: TaskDataset[] = [];
    const tests: TaskDataset[] = [];
    const preparations: FittedPreparation[] = [];
    datasets.forEach((dataset, datasetIndex) => {
      const isTest = (assignments[datasetIndex] as (fold: number) => Uint8Array)(foldIndex);
      const trainIndices: number[] = [];
      const testIndices: number[] = [];
      for (const [index, flag] of isTest.entries()) (flag ? testIndices : trainIndices).push(index);
      let train = dataset.subset(trainIndices);
      let test = dataset.subset(testIndices);
      if (auditOptions) auditSplit(train, test, auditOptions);
      let validation: TaskDataset | undefined;
      if (options.validation) {
        const grouped = split.grouped ?? true;
        const isValidation = validationAssignment(
          train,
          { ...options.validation, seed: (options.validation.seed ?? 0) + foldIndex },
          grouped,
        );
        const innerIndices: number[] = [];
        const validationIndices: number[] = [];
        for (const [index, flag] of isValidation.entries()) (flag ? validationIndices : innerIndices).push(index);
        validation = train.subset(validationIndices);
        train = train.subset(innerIndices);
        if (auditOptions) auditSplit(train, validation, auditOptions);
      }
      const windows = options.preparation?.windows;
      if (windows) {
        train = windowedDataset(train, windows);
        test = windowedDataset(test, windows);
        if (validation) validation = windowedDataset(validation, windows);
      }
      // a fresh fit for every fold and dataset, on the training part only (validation excluded)
      const fitted = options.preparation
        ? fitPreparation(train, options.preparation)
        : { frameCount: null, padMode: 'zeros' as const, scaler: null };
      preparations.push(fitted);
      trains.push(applyPreparation(train, fitted));
      tests.push(applyPreparation(test, fitted));
      if (validation) validations.push(applyPreparation(validation, fitted));
    });
    return {
      fold: foldIndex,
      train: combineDatasets(trains),
      ...(options.validation ? { validation: combineDatasets(validations) } : {}),
      test: combineDatasets(tests),
      preparations,
    };
  };
  return {
    foldCount,
    fold,
    *folds() {
      for (let index = 0; index < foldCount; index++) yield fold(index);
    },
  };
}
