/**
 * Seeded, deterministic splitters returning test folds as index lists: k-fold, stratified
 * k-fold (scikit-learn's StratifiedKFold allocation), iterative stratification for
 * multi-label targets (Sechidis et al. 2011), group k-fold and stratified group k-fold
 * (scikit-learn's algorithms; no group in two folds), and a single split by ratio.
 */
import { createRandom, InvalidArgumentError, PolytaskError, type RandomSource, shuffleInPlace } from '@polytask/core';

/**
 * Every class has fewer examples than there are folds, so no fold split can stratify (scikit-learn's
 * StratifiedKFold and StratifiedGroupKFold raise `ValueError` here). When only some classes are that
 * small, scikit-learn merely warns (`UserWarning`); Polytask then returns the same folds without a
 * warning, and the small classes are missing from some folds.
 */
export class ClassesTooSmallError extends PolytaskError {
  /** The fold count asked for. */
  readonly folds: number;
  /** Examples per class, by class value. */
  readonly classCounts: Readonly<Record<string, number>>;

  constructor(options: { folds: number; classCounts: Readonly<Record<string, number>> }) {
    const largest = Math.max(...Object.values(options.classCounts));
    super({
      message: `Cannot stratify ${options.folds} folds: every class has fewer examples than folds (the largest has ${largest}; counts ${JSON.stringify(options.classCounts)}). Use at most ${largest} folds or an unstratified split.`,
      context: { folds: options.folds, classCounts: options.classCounts },
    });
    this.name = 'ClassesTooSmallError';
    this.folds = options.folds;
    this.classCounts = options.classCounts;
  }

  /** True when `error` is a {@link ClassesTooSmallError}, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is ClassesTooSmallError {
    return PolytaskError.isInstance(error) && error.name === 'ClassesTooSmallError';
  }
}

/** Examples per class label. */
function classCounts(labels: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let index = 0; index < labels.length; index++) counts.set(labels[index] as number, (counts.get(labels[index] as number) ?? 0) + 1);
  return counts;
}

/** False when every class has fewer than `folds` examples, where scikit-learn refuses to stratify. (Not exported by the package.) */
export function canStratify(labels: ArrayLike<number>, folds: number): boolean {
  return [...classCounts(labels).values()].some((count) => count >= folds);
}

/** Throws {@link ClassesTooSmallError} when every class has fewer than `folds` examples (scikit-learn's check). */
function checkClassSizes(labels: ArrayLike<number>, folds: number): void {
  if (canStratify(labels, folds)) return;
  const counts = classCounts(labels);
  throw new ClassesTooSmallError({
    folds,
    classCounts: Object.fromEntries([...counts.entries()].sort((a, b) => a[0] - b[0]).map(([label, count]) => [String(label), count])),
  });
}

/** One fold: the positions used for training and for testing. */
export interface Fold {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Turns a per-example fold assignment into folds. */
export function foldsFromAssignment(assignment: Int32Array, foldCount: number): Fold[] {
  return Array.from({ length: foldCount }, (_, fold) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let index = 0; index < assignment.length; index++) (assignment[index] === fold ? test : train).push(index);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}

function checkFolds(folds: number, count: number, what = 'examples'): void {
  if (!Number.isInteger(folds) || folds < 2)
    throw new InvalidArgumentError({ argument: 'folds', value: folds, message: `folds must be an integer of at least 2, got ${folds}.` });
  if (folds > count)
    throw new InvalidArgumentError({ argument: 'folds', value: folds, message: `Cannot make ${folds} folds from ${count} ${what}.` });
}

/**
 * Options shared by the splitters.
 *
 * Seeds: a shuffled split is a pure function of the inputs and `seed` (same seed, same folds, on
 * every platform), drawn from Polytask's own generator (`createRandom` in `@polytask/core`). It
 * cannot reproduce scikit-learn's NumPy `random_state` streams, so shuffled folds equal
 * scikit-learn's in sizes and per-class counts but not in membership; unshuffled folds
 * (`shuffle: false`) equal scikit-learn's exactly.
 */
export interface SplitOptions {
  /** Number of folds. @default 5 */
  readonly folds?: number;
  /** Shuffle before splitting. @default true */
  readonly shuffle?: boolean;
  /** Seed of the shuffle. @default 0 */
  readonly seed?: number;
}

/**
 * K-fold over `count` examples: the first `count % folds` folds get one extra example (as scikit-learn's KFold).
 * @returns the fold number of each example.
 */
export function kFoldAssignment(count: number, options: SplitOptions = {}): Int32Array {
  const folds = options.folds ?? 5;
  checkFolds(folds, count);
  const order = Int32Array.from({ length: count }, (_, index) => index);
  if (options.shuffle ?? true) shuffleInPlace(order, createRandom(options.seed ?? 0));
  const assignment = new Int32Array(count);
  let position = 0;
  for (let fold = 0; fold < folds; fold++) {
    const size = Math.floor(count / folds) + (fold < count % folds ? 1 : 0);
    for (let index = 0; index < size; index++) assignment[order[position++] as number] = fold;
  }
  return assignment;
}

/** Encodes classes by order of first appearance, as scikit-learn does. */
function encodeByFirstAppearance(labels: ArrayLike<number>): { encoded: Int32Array; classCount: number } {
  const sortedDistinct = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const firstIndex = sortedDistinct.map((value) => Array.prototype.indexOf.call(labels, value) as number);
  const order = firstIndex.map((first, position) => ({ first, position })).sort((a, b) => a.first - b.first);
  const rank = new Map<number, number>();
  for (const [newIndex, { position }] of order.entries()) rank.set(sortedDistinct[position] as number, newIndex);
  return { encoded: Int32Array.from(labels, (value) => rank.get(value) as number), classCount: sortedDistinct.length };
}

/**
 * Stratified k-fold for one class per example, with scikit-learn's StratifiedKFold allocation
 * (same fold sizes and per-class counts; without shuffling, the same folds).
 * Where scikit-learn only warns (some class smaller than `folds`), the folds are returned and
 * that class is missing from some folds.
 * @returns the fold number of each example.
 * @throws ClassesTooSmallError when every class has fewer than `folds` examples (scikit-learn raises).
 */
export function stratifiedKFoldAssignment(labels: ArrayLike<number>, options: SplitOptions = {}): Int32Array {
  const folds = options.folds ?? 5;
  checkFolds(folds, labels.length);
  checkClassSizes(labels, folds);
  const { encoded, classCount } = encodeByFirstAppearance(labels);
  const counts = new Int32Array(classCount);
  for (const value of encoded) counts[value] = (counts[value] as number) + 1;
  const sortedClasses = Int32Array.from(encoded).sort();
  // allocation[fold][class] = count of class among sortedClasses[fold::folds]
  const allocation = Array.from({ length: folds }, () => new Int32Array(classCount));
  sortedClasses.forEach((value, position) => {
    const row = allocation[position % folds] as Int32Array;
    row[value] = (row[value] as number) + 1;
  });
  const random = createRandom(options.seed ?? 0);
  const shuffle = options.shuffle ?? true;
  const assignment = new Int32Array(labels.length);
  for (let label = 0; label < classCount; label++) {
    const foldsForClass: number[] = [];
    for (let fold = 0; fold < folds; fold++)
      for (let repeat = 0; repeat < (allocation[fold]?.[label] as number); repeat++) foldsForClass.push(fold);
    if (shuffle) shuffleInPlace(foldsForClass, random);
    let next = 0;
    for (let index = 0; index < encoded.length; index++) if (encoded[index] === label) assignment[index] = foldsForClass[next++] as number;
  }
  return assignment;
}

/**
 * Iterative stratification for multi-label targets (Sechidis, Tsoumakas and Vlahavas 2011, as
 * skmultilearn's IterativeStratification with order 1): the rarest label's examples are
 * placed first, each into the fold that most lacks that label.
 * @param targets `[count, labels]` 0/1 rows.
 * @returns the fold number of each example.
 */
export function iterativeStratificationAssignment(
  targets: Uint8Array,
  labelCount: number,
  options: Omit<SplitOptions, 'shuffle'> = {},
): Int32Array {
  const folds = options.folds ?? 5;
  const count = targets.length / labelCount;
  checkFolds(folds, count);
  const random: RandomSource = createRandom(options.seed ?? 0);
  const desired = new Float64Array(folds).fill(count / folds);
  const desiredPerLabel = Array.from({ length: folds }, () => new Float64Array(labelCount));
  const remainingPerLabel = new Int32Array(labelCount);
  for (let index = 0; index < count; index++)
    for (let label = 0; label < labelCount; label++)
      remainingPerLabel[label] = (remainingPerLabel[label] as number) + (targets[index * labelCount + label] as number);
  for (let fold = 0; fold < folds; fold++)
    for (let label = 0; label < labelCount; label++)
      (desiredPerLabel[fold] as Float64Array)[label] = (remainingPerLabel[label] as number) / folds;
  const assignment = new Int32Array(count).fill(-1);
  let unassigned = count;
  const assign = (index: number, fold: number) => {
    assignment[index] = fold;
    unassigned--;
    desired[fold] = (desired[fold] as number) - 1;
    for (let label = 0; label < labelCount; label++) {
      if (targets[index * labelCount + label]) {
        (desiredPerLabel[fold] as Float64Array)[label] = ((desiredPerLabel[fold] as Float64Array)[label] as number) - 1;
        remainingPerLabel[label] = (remainingPerLabel[label] as number) - 1;
      }
    }
  };
  const pickFold = (candidates: number[], score: (fold: number) => number): number => {
    let best = Number.NEGATIVE_INFINITY;
    let ties: number[] = [];
    for (const fold of candidates) {
      const value = score(fold);
      if (value > best + 1e-12) {
        best = value;
        ties = [fold];
      } else if (Math.abs(value - best) <= 1e-12) ties.push(fold);
    }
    return ties.length === 1 ? (ties[0] as number) : (ties[Math.floor(random() * ties.length)] as number);
  };
  const allFolds = Array.from({ length: folds }, (_, fold) => fold);
  while (unassigned > 0) {
    let rarest = -1;
    for (let label = 0; label < labelCount; label++) {
      const remaining = remainingPerLabel[label] as number;
      if (remaining > 0 && (rarest === -1 || remaining < (remainingPerLabel[rarest] as number))) rarest = label;
    }
    if (rarest === -1) {
      // examples without any remaining label go to the folds that most lack examples
      for (let index = 0; index < count; index++)
        if (assignment[index] === -1)
          assign(
            index,
            pickFold(allFolds, (fold) => desired[fold] as number),
          );
      break;
    }
    for (let index = 0; index < count; index++) {
      if (assignment[index] !== -1 || !targets[index * labelCount + rarest]) continue;
      const mostLacking = pickFold(allFolds, (fold) => (desiredPerLabel[fold] as Float64Array)[rarest] as number);
      const lacking = allFolds.filter(
        (fold) =>
          Math.abs(
            ((desiredPerLabel[fold] as Float64Array)[rarest] as number) -
              ((desiredPerLabel[mostLacking] as Float64Array)[rarest] as number),
          ) <= 1e-12,
      );
      assign(
        index,
        pickFold(lacking, (fold) => desired[fold] as number),
      );
    }
  }
  rebalanceBySwaps(assignment, targets, labelCount, folds);
  return assignment;
}

/**
 * Refinement after the greedy pass: the greedy order can leave a common label uneven (its
 * examples were placed earlier for rarer labels). Swapping two examples between folds keeps
 * fold sizes; each swap taken lowers Σ (count − ideal)² over labels and folds.
 */
function rebalanceBySwaps(assignment: Int32Array, targets: Uint8Array, labelCount: number, folds: number): void {
  const count = assignment.length;
  const counts = Array.from({ length: folds }, () => new Float64Array(labelCount));
  const ideal = new Float64Array(labelCount);
  for (let index = 0; index < count; index++) {
    for (let label = 0; label < labelCount; label++) {
      const value = targets[index * labelCount + label] as number;
      (counts[assignment[index] as number] as Float64Array)[label] =
        ((counts[assignment[index] as number] as Float64Array)[label] as number) + value;
      ideal[label] = (ideal[label] as number) + value / folds;
    }
  }
  for (let step = 0; step < 4 * count; step++) {
    // the label and folds furthest above and below its ideal share
    let worstLabel = -1;
    let over = -1;
    let under = -1;
    let worstGap = 1;
    for (let label = 0; label < labelCount; label++) {
      let high = 0;
      let low = 0;
      for (let fold = 1; fold < folds; fold++) {
        if (((counts[fold] as Float64Array)[label] as number) > ((counts[high] as Float64Array)[label] as number)) high = fold;
        if (((counts[fold] as Float64Array)[label] as number) < ((counts[low] as Float64Array)[label] as number)) low = fold;
      }
      const gap = ((counts[high] as Float64Array)[label] as number) - ((counts[low] as Float64Array)[label] as number);
      if (gap > worstGap) {
        worstGap = gap;
        worstLabel = label;
        over = high;
        under = low;
      }
    }
    if (worstLabel === -1) return;
    const overCounts = counts[over] as Float64Array;
    const underCounts = counts[under] as Float64Array;
    let bestDelta = -1e-9;
    let bestPair: [number, number] | undefined;
    for (let a = 0; a < count; a++) {
      if (assignment[a] !== over || !targets[a * labelCount + worstLabel]) continue;
      for (let b = 0; b < count; b++) {
        if (assignment[b] !== under || targets[b * labelCount + worstLabel]) continue;
        let delta = 0;
        for (let label = 0; label < labelCount; label++) {
          const change = (targets[a * labelCount + label] as number) - (targets[b * labelCount + label] as number);
          if (change === 0) continue;
          const overValue = (overCounts[label] as number) - (ideal[label] as number);
          const underValue = (underCounts[label] as number) - (ideal[label] as number);
          delta += (overValue - change) ** 2 - overValue ** 2 + (underValue + change) ** 2 - underValue ** 2;
        }
        if (delta < bestDelta) {
          bestDelta = delta;
          bestPair = [a, b];
        }
      }
    }
    if (!bestPair) return;
    const [a, b] = bestPair;
    for (let label = 0; label < labelCount; label++) {
      const change = (targets[a * labelCount + label] as number) - (targets[b * labelCount + label] as number);
      overCounts[label] = (overCounts[label] as number) - change;
      underCounts[label] = (underCounts[label] as number) + change;
    }
    assignment[a] = under;
    assignment[b] = over;
  }
}

/** Compares strings by Unicode code points, as numpy sorts strings (JavaScript's `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const first = Array.from(a, (character) => character.codePointAt(0) as number);
  const second = Array.from(b, (character) => character.codePointAt(0) as number);
  for (let index = 0; index < Math.min(first.length, second.length); index++)
    if (first[index] !== second[index]) return (first[index] as number) - (second[index] as number);
  return first.length - second.length;
}

/** Distinct groups numbered in sorted order (as numpy.unique); an example without a group is its own group. */
function numberGroups(groups: readonly (string | undefined)[]): { ids: Int32Array; groupCount: number } {
  const keys = groups.map((group, index) => group ?? `\u0000example-${String(index).padStart(12, '0')}`);
  const distinct = [...new Set(keys)].sort(compareCodePoints);
  const numbers = new Map(distinct.map((key, number) => [key, number]));
  return { ids: Int32Array.from(keys, (key) => numbers.get(key) as number), groupCount: distinct.length };
}

/**
 * Group k-fold (scikit-learn's GroupKFold with `shuffle=False`, exactly): groups, largest first,
 * each to the fold with the fewest examples so far (the first such fold on a tie). Groups of equal
 * size go in the order scikit-learn gives them, a stable ascending argsort reversed: the group that
 * sorts last (by code point) first. An example without a group is its own group, sorted before
 * every named group.
 * @example groupKFoldAssignment(['a', 'a', 'b', 'c', 'd'], { folds: 2 }) // [0, 0, 0, 1, 1]
 * @returns the fold number of each example.
 */
export function groupKFoldAssignment(groups: readonly (string | undefined)[], options: Pick<SplitOptions, 'folds'> = {}): Int32Array {
  const folds = options.folds ?? 5;
  const { ids, groupCount } = numberGroups(groups);
  checkFolds(folds, groupCount, 'groups');
  const sizes = new Int32Array(groupCount);
  for (const id of ids) sizes[id] = (sizes[id] as number) + 1;
  const order = Array.from({ length: groupCount }, (_, group) => group).sort(
    (a, b) => (sizes[b] as number) - (sizes[a] as number) || b - a,
  );
  const foldSizes = new Int32Array(folds);
  const foldOfGroup = new Int32Array(groupCount);
  for (const group of order) {
    let lightest = 0;
    for (let fold = 1; fold < folds; fold++) if ((foldSizes[fold] as number) < (foldSizes[lightest] as number)) lightest = fold;
    foldOfGroup[group] = lightest;
    foldSizes[lightest] = (foldSizes[lightest] as number) + (sizes[group] as number);
  }
  return Int32Array.from(ids, (id) => foldOfGroup[id] as number);
}

function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let sum = 0;
  for (const value of values) sum += (value - mean) * (value - mean);
  return Math.sqrt(sum / values.length);
}

/**
 * Stratified group k-fold (scikit-learn's StratifiedGroupKFold): groups are placed, most
 * class-skewed first, into the fold that keeps per-class proportions most even. Without
 * shuffling (the default, as scikit-learn's) the folds equal scikit-learn's exactly; shuffled,
 * the group order comes from `seed` (see {@link SplitOptions}).
 * @returns the fold number of each example.
 * @throws ClassesTooSmallError when every class has fewer than `folds` examples (scikit-learn raises).
 */
export function stratifiedGroupKFoldAssignment(
  labels: ArrayLike<number>,
  groups: readonly (string | undefined)[],
  options: SplitOptions = {},
): Int32Array {
  const folds = options.folds ?? 5;
  checkClassSizes(labels, folds);
  const { ids, groupCount } = numberGroups(groups);
  checkFolds(folds, groupCount, 'groups');
  // classes in sorted order (numpy.unique): the order of additions decides float ties
  const sortedClasses = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const classIndex = new Map(sortedClasses.map((label, index) => [label, index]));
  const encoded = Int32Array.from(labels, (label) => classIndex.get(label) as number);
  const classCount = sortedClasses.length;
  const perGroup = Array.from({ length: groupCount }, () => new Float64Array(classCount));
  const classTotals = new Float64Array(classCount);
  encoded.forEach((label, index) => {
    const row = perGroup[ids[index] as number] as Float64Array;
    row[label] = (row[label] as number) + 1;
    classTotals[label] = (classTotals[label] as number) + 1;
  });
  let groupOrder = Array.from({ length: groupCount }, (_, group) => group);
  if (options.shuffle ?? false) groupOrder = shuffleInPlace(groupOrder, createRandom(options.seed ?? 0)) as number[];
  const spreads = groupOrder.map((group) => standardDeviation(perGroup[group] as Float64Array));
  const sorted = groupOrder
    .map((group, position) => ({ group, spread: spreads[position] as number, position }))
    .sort((a, b) => b.spread - a.spread || a.position - b.position);
  const perFold = Array.from({ length: folds }, () => new Float64Array(classCount));
  const foldOfGroup = new Int32Array(groupCount);
  const column = new Float64Array(folds);
  for (const { group } of sorted) {
    const counts = perGroup[group] as Float64Array;
    let bestFold = -1;
    let bestEvaluation = Number.POSITIVE_INFINITY;
    let bestSamples = Number.POSITIVE_INFINITY;
    for (let fold = 0; fold < folds; fold++) {
      const target = perFold[fold] as Float64Array;
      for (let label = 0; label < classCount; label++) target[label] = (target[label] as number) + (counts[label] as number);
      let evaluation = 0;
      for (let label = 0; label < classCount; label++) {
        for (let other = 0; other < folds; other++)
          column[other] = ((perFold[other] as Float64Array)[label] as number) / (classTotals[label] as number);
        evaluation += standardDeviation(column);
      }
      evaluation /= classCount;
      for (let label = 0; label < classCount; label++) target[label] = (target[label] as number) - (counts[label] as number);
      const samples = target.reduce((sum, value) => sum + value, 0);
      const close = Math.abs(evaluation - bestEvaluation) <= 1e-8 + 1e-5 * Math.abs(bestEvaluation);
      if (evaluation < bestEvaluation || (close && samples < bestSamples)) {
        bestEvaluation = evaluation;
        bestSamples = samples;
        bestFold = fold;
      }
    }
    const chosen = perFold[bestFold] as Float64Array;
    for (let label = 0; label < classCount; label++) chosen[label] = (chosen[label] as number) + (counts[label] as number);
    foldOfGroup[group] = bestFold;
  }
  return Int32Array.from(ids, (id) => foldOfGroup[id] as number);
}

/** Options of {@link trainTestSplitAssignment}. */
export interface TrainTestSplitOptions {
  /** Fraction of the examples in the test part, strictly between 0 and 1 (the test count is rounded up). */
  readonly testFraction: number;
  /** Seed of the shuffle. @default 0 */
  readonly seed?: number;
  /** One class per example: stratify the split by it. */
  readonly labels?: ArrayLike<number>;
  /**
   * Group of each example (speaker, recording): when any is defined, whole groups go to one side
   * (no group in both parts); an example without a group is its own group.
   */
  readonly groups?: readonly (string | undefined)[];
}

/**
 * One train/test split with `testFraction` of the examples (rounded up, as scikit-learn),
 * stratified when `labels` are given. With `groups`, whole groups go to one side: groups in a
 * seeded order, largest first, each to the side that brings the test part closer to its target
 * size and (with labels) to each class's target count, then single moves and pairwise swaps of
 * groups while they lower that squared error; the test fraction is then as close as whole groups
 * allow.
 * @returns 1 for test examples.
 * @throws InvalidArgumentError when `testFraction` is outside (0, 1), leaves no training example, or there are fewer than two groups.
 */
export function trainTestSplitAssignment(count: number, options: TrainTestSplitOptions): Uint8Array {
  const { testFraction } = options;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InvalidArgumentError({
      argument: 'testFraction',
      value: testFraction,
      message: `testFraction must be between 0 and 1, got ${testFraction}.`,
    });
  }
  if (options.groups?.some((group) => group !== undefined)) return groupedTrainTestSplit(count, options);
  const random = createRandom(options.seed ?? 0);
  const isTest = new Uint8Array(count);
  const testCount = Math.ceil(count * testFraction);
  if (testCount >= count)
    throw new InvalidArgumentError({
      argument: 'testFraction',
      value: testFraction,
      message: `testFraction ${testFraction} of ${count} examples leaves nothing to train on.`,
    });
  if (!options.labels) {
    const order = shuffleInPlace(
      Int32Array.from({ length: count }, (_, index) => index),
      random,
    ) as Int32Array;
    for (let position = 0; position < testCount; position++) isTest[order[position] as number] = 1;
    return isTest;
  }
  // stratified: each class contributes its share (largest remainders get the leftover places)
  const byClass = new Map<number, number[]>();
  for (const [index, label] of Array.from(options.labels).entries()) {
    const members = byClass.get(label) ?? [];
    members.push(index);
    byClass.set(label, members);
  }
  const shares = [...byClass.entries()].map(([label, members]) => ({ label, members, exact: (members.length * testCount) / count }));
  const taken = shares.map((share) => Math.floor(share.exact));
  let leftover = testCount - taken.reduce((sum, value) => sum + value, 0);
  shares
    .map((share, position) => ({ position, remainder: share.exact - Math.floor(share.exact) }))
    .sort((a, b) => b.remainder - a.remainder || a.position - b.position)
    .forEach(({ position }) => {
      if (leftover > 0) {
        taken[position] = (taken[position] as number) + 1;
        leftover--;
      }
    });
  shares.forEach((share, position) => {
    const members = shuffleInPlace([...share.members], random) as number[];
    for (let index = 0; index < (taken[position] as number); index++) isTest[members[index] as number] = 1;
  });
  return isTest;
}

/** The group-aware ratio split of {@link trainTestSplitAssignment}. */
function groupedTrainTestSplit(count: number, options: TrainTestSplitOptions): Uint8Array {
  const groups = options.groups ?? [];
  if (groups.length !== count)
    throw new InvalidArgumentError({
      argument: 'groups',
      value: groups.length,
      message: `groups has ${groups.length} entries for ${count} examples.`,
    });
  const { ids, groupCount } = numberGroups(groups);
  if (groupCount < 2)
    throw new InvalidArgumentError({
      argument: 'groups',
      value: groupCount,
      message: `A grouped split needs at least 2 groups, got ${groupCount}; split without groups or add groups.`,
    });
  const labels = options.labels;
  const classOf = new Map<number, number>();
  if (labels)
    for (let index = 0; index < count; index++)
      if (!classOf.has(labels[index] as number)) classOf.set(labels[index] as number, classOf.size);
  const classCount = classOf.size;
  const sizes = new Float64Array(groupCount);
  const perGroup = Array.from({ length: groupCount }, () => new Float64Array(classCount));
  const classTotals = new Float64Array(classCount);
  for (let index = 0; index < count; index++) {
    const group = ids[index] as number;
    sizes[group] = (sizes[group] as number) + 1;
    if (labels) {
      const label = classOf.get(labels[index] as number) as number;
      (perGroup[group] as Float64Array)[label] = ((perGroup[group] as Float64Array)[label] as number) + 1;
      classTotals[label] = (classTotals[label] as number) + 1;
    }
  }
  const targetSize = Math.ceil(count * options.testFraction);
  const targets = Float64Array.from(classTotals, (total) => (total * targetSize) / count);
  const order = (
    shuffleInPlace(
      Array.from({ length: groupCount }, (_, group) => group),
      createRandom(options.seed ?? 0),
    ) as number[]
  )
    .map((group, position) => ({ group, position }))
    .sort((a, b) => (sizes[b.group] as number) - (sizes[a.group] as number) || a.position - b.position);
  const testCounts = new Float64Array(classCount);
  let testSize = 0;
  const cost = (size: number, counts: Float64Array, add: Float64Array | undefined) => {
    let total = (size - targetSize) ** 2;
    for (let label = 0; label < classCount; label++)
      total += ((counts[label] as number) + (add ? (add[label] as number) : 0) - (targets[label] as number)) ** 2;
    return total;
  };
  const inTest = new Uint8Array(groupCount);
  for (const { group } of order) {
    const counts = perGroup[group] as Float64Array;
    if (cost(testSize + (sizes[group] as number), testCounts, counts) < cost(testSize, testCounts, undefined)) {
      inTest[group] = 1;
      testSize += sizes[group] as number;
      for (let label = 0; label < classCount; label++) testCounts[label] = (testCounts[label] as number) + (counts[label] as number);
    }
  }
  // local search: move one group across, or swap a test group with a training group, while that
  // lowers the cost (swaps are tried for up to 2,000 groups: O(groups² × classes) per pass)
  const move = (group: number, sign: number) => {
    testSize += sign * (sizes[group] as number);
    const counts = perGroup[group] as Float64Array;
    for (let label = 0; label < classCount; label++) testCounts[label] = (testCounts[label] as number) + sign * (counts[label] as number);
    inTest[group] = sign > 0 ? 1 : 0;
  };
  const currentCost = () => cost(testSize, testCounts, undefined);
  for (let pass = 0; pass < 50; pass++) {
    let improved = false;
    for (let group = 0; group < groupCount; group++) {
      const before = currentCost();
      const sign = inTest[group] ? -1 : 1;
      move(group, sign);
      if (currentCost() < before - 1e-9) improved = true;
      else move(group, -sign);
    }
    if (groupCount <= 2000)
      for (let first = 0; first < groupCount; first++) {
        if (!inTest[first]) continue;
        for (let second = 0; second < groupCount; second++) {
          if (inTest[second] || !inTest[first]) continue;
          const before = currentCost();
          move(first, -1);
          move(second, 1);
          if (currentCost() < before - 1e-9) improved = true;
          else {
            move(second, -1);
            move(first, 1);
          }
        }
      }
    if (!improved) break;
  }
  // both parts non-empty: move the smallest group across when one side has none
  const sides = [0, 0];
  for (const side of inTest) sides[side] = (sides[side] as number) + 1;
  if (sides[1] === 0 || sides[0] === 0) {
    const from = sides[1] === 0 ? 0 : 1;
    const smallest = order.filter(({ group }) => inTest[group] === from).at(-1)?.group as number;
    inTest[smallest] = from === 0 ? 1 : 0;
  }
  return Uint8Array.from(ids, (group) => inTest[group] as number);
}
