/**
 * Early stopping on any recorded metric of the test (validation) split, with patience and
 * minimum improvement. Global: stop the run when the monitored value stops improving.
 * Per task: each task whose own metric stopped improving is frozen (its loss leaves the
 * combined loss) while the others continue; the run stops when every task is frozen.
 */
import { InvalidArgumentError, type TaskDefinition, taskOutputSize } from '@polytask/core';
import { computeTaskMetrics, type EpochRecord, type TaskMetrics } from '@polytask/results';

/** What to watch. */
export interface EarlyStoppingSpec {
  /**
   * Metric: `loss` (combined), or a TaskMetrics field path such as `macro.f1`, `accuracy`,
   * `meanAveragePrecision`, `r2` or `meanSquaredError` (regression), `loss` per task in per-task
   * mode. Losses and errors are watched for a decrease, the others for an increase. @default 'loss'
   */
  readonly metric?: string;
  /** Task whose metric is watched (global mode); per-task mode watches every task. */
  readonly task?: string;
  /** @default 'global' */
  readonly mode?: 'global' | 'per-task';
  /** Epochs without improvement before stopping. @default 5 */
  readonly patience?: number;
  /** Smallest change that counts as an improvement. @default 0 */
  readonly minDelta?: number;
  /** Put back the best epoch's weights at the end. @default true */
  readonly restoreBestWeights?: boolean;
}

/** Saved progress of early stopping. */
export interface EarlyStoppingState {
  readonly best: Readonly<Record<string, number>>;
  readonly bestEpoch: Readonly<Record<string, number>>;
  readonly wait: Readonly<Record<string, number>>;
  readonly frozen: readonly string[];
}

/** What an epoch's check concluded. */
export interface EarlyStoppingDecision {
  /** Stop training now. */
  readonly stop: boolean;
  /** The global monitored value improved this epoch (save the best weights). */
  readonly improved: boolean;
  /** Tasks frozen so far (per-task mode). */
  readonly frozen: readonly string[];
}

/** Metrics where lower is better: losses, error rates and regression errors (R² is higher-is-better). */
const lowerIsBetter = (metric: string) =>
  metric === 'loss' ||
  ['hammingLoss', 'equalErrorRate', 'minDetectionCost', 'meanSquaredError', 'rootMeanSquaredError', 'meanAbsoluteError'].some((name) =>
    metric.endsWith(name),
  );

function readMetric(task: TaskMetrics, metric: string): number {
  let value: unknown = task;
  for (const key of metric.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError({
      argument: 'earlyStopping.metric',
      value: metric,
      message:
        task.kind === 'regression'
          ? `Regression task "${task.task}" has no numeric metric "${metric}"; use loss, r2, meanSquaredError, rootMeanSquaredError or meanAbsoluteError.`
          : `Task "${task.task}" has no numeric metric "${metric}"; use e.g. loss, accuracy, macro.f1 or meanAveragePrecision.`,
    });
  }
  return value;
}

/**
 * Checks before training that the spec fits the tasks it will watch: `task` is one of them and
 * `metric` exists for each watched task's kind (accuracy has no multi-label form, subsetAccuracy only
 * a multi-label one), so a wrong setting fails at once, not after an epoch.
 * @throws InvalidArgumentError naming the setting and what fits.
 */
export function checkEarlyStoppingSpec(spec: EarlyStoppingSpec, tasks: readonly TaskDefinition[]): void {
  const metric = spec.metric ?? 'loss';
  const names = tasks.map((task) => task.name);
  if ((spec.mode ?? 'global') === 'global' && spec.task !== undefined && !names.includes(spec.task))
    throw new InvalidArgumentError({
      argument: 'earlyStopping.task',
      value: spec.task,
      message: `earlyStopping.task "${spec.task}" is not a trained task; the tasks are ${names.join(', ')}.`,
    });
  if (metric === 'loss') return;
  const watched = (spec.mode ?? 'global') === 'per-task' ? tasks : tasks.filter((task) => task.name === (spec.task ?? names[0]));
  for (const task of watched) {
    // metrics of two made-up rows tell which fields the task's kind has
    const width = taskOutputSize(task);
    if (task.kind === 'regression') {
      const values = Float32Array.from({ length: 2 * width }, (_, index) => index);
      readMetric(computeTaskMetrics({ task, truth: values, predictions: values, loss: 0 }), metric);
      continue;
    }
    const truth = new Uint8Array(2 * width);
    if (task.kind === 'binary') truth[0] = 1;
    else for (const row of [0, 1]) truth[row * width + (row % width)] = 1;
    const sample = computeTaskMetrics({ task, truth, decisions: truth, scores: Float32Array.from(truth), loss: 0 });
    readMetric(sample, metric);
  }
}

/** Creates the early-stopping tracker. */
export function createEarlyStopping(spec: EarlyStoppingSpec, restored?: EarlyStoppingState) {
  const metric = spec.metric ?? 'loss';
  const mode = spec.mode ?? 'global';
  const patience = spec.patience ?? 5;
  const minDelta = spec.minDelta ?? 0;
  const best: Record<string, number> = { ...restored?.best };
  const bestEpoch: Record<string, number> = { ...restored?.bestEpoch };
  const wait: Record<string, number> = { ...restored?.wait };
  const frozen = new Set(restored?.frozen ?? []);
  const sign = lowerIsBetter(metric) ? -1 : 1;
  const observe = (key: string, value: number, epoch: number): boolean => {
    const score = sign * value;
    const previous = best[key];
    if (previous === undefined || score > previous + minDelta) {
      best[key] = score;
      bestEpoch[key] = epoch;
      wait[key] = 0;
      return true;
    }
    wait[key] = (wait[key] ?? 0) + 1;
    return false;
  };
  return {
    spec: { metric, mode, patience, minDelta, restoreBestWeights: spec.restoreBestWeights ?? true },
    /** Checks one epoch's test record. */
    check(record: EpochRecord): EarlyStoppingDecision {
      if (mode === 'global') {
        let value: number;
        if (metric === 'loss' && !spec.task) value = record.loss;
        else {
          const task = record.tasks.find((candidate) => candidate.task === (spec.task ?? record.tasks[0]?.task));
          if (!task)
            throw new InvalidArgumentError({
              argument: 'earlyStopping.task',
              value: spec.task,
              message: `No task "${spec.task}" in the evaluated tasks.`,
            });
          value = readMetric(task, metric);
        }
        const improved = observe('global', value, record.epoch);
        return { stop: (wait.global ?? 0) >= patience, improved, frozen: [] };
      }
      for (const task of record.tasks) {
        if (frozen.has(task.task)) continue;
        observe(task.task, readMetric(task, metric), record.epoch);
        if ((wait[task.task] ?? 0) >= patience) frozen.add(task.task);
      }
      const improved = observe('global', record.loss, record.epoch);
      return { stop: record.tasks.every((task) => frozen.has(task.task)), improved, frozen: [...frozen] };
    },
    frozen: () => [...frozen],
    toJSON: (): EarlyStoppingState => ({ best: { ...best }, bestEpoch: { ...bestEpoch }, wait: { ...wait }, frozen: [...frozen] }),
  };
}
