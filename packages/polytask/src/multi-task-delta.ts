/**
 * Δm, the standard multi-task comparison (Maninis et al. 2019; Vandenhende et al. 2021; LibMTL):
 * the mean over tasks of the signed relative change of each task's metric from its single-task
 * baseline, in percent; positive when the multi-task model is better.
 */

/** Options of {@link multiTaskDelta}. */
export interface MultiTaskDeltaOptions {
  /** Each task's metric of the multi-task model. */
  readonly multiTask: Readonly<Record<string, number>>;
  /** Each task's metric of its single-task baseline. */
  readonly singleTask: Readonly<Record<string, number>>;
  /** Tasks whose metric is better when lower (errors, losses). @default none (accuracy, F1, R² are higher-is-better) */
  readonly lowerIsBetter?: (task: string) => boolean;
}

/**
 * Δm = 100 / T · Σ_t (−1)^{l_t} (M_multi,t − M_single,t) / |M_single,t| over the T tasks that have
 * both values and a non-zero, finite baseline (l_t = 1 when lower is better). The absolute value
 * keeps the sign meaning "better" when a baseline is negative (an R² below 0).
 * @returns NaN when no task has both values.
 * @example multiTaskDelta({ multiTask: { a: 0.9, b: 0.5 }, singleTask: { a: 0.8, b: 0.5 } }) // 6.25
 */
export function multiTaskDelta(options: MultiTaskDeltaOptions): number {
  const changes: number[] = [];
  for (const [task, multi] of Object.entries(options.multiTask)) {
    const single = options.singleTask[task];
    if (single === undefined || single === 0 || !Number.isFinite(single) || !Number.isFinite(multi)) continue;
    const sign = options.lowerIsBetter?.(task) ? -1 : 1;
    changes.push((sign * (multi - single)) / Math.abs(single));
  }
  return changes.length ? (100 * changes.reduce((sum, change) => sum + change, 0)) / changes.length : Number.NaN;
}
