/**
 * Epoch progress of a training unit in the run's log.
 */
import type { TaskMetrics, TrainingObserver } from '@polytask/results';

/** Options of {@link epochProgress}. */
export interface EpochProgressOptions {
  /** The unit's name in the log, e.g. `fold 2 multi-task`. */
  readonly label: string;
  /** The configured epoch count (early stopping may end sooner). */
  readonly epochs: number;
  readonly log: (line: string) => void;
  /** A task's validation metrics in a few words, e.g. `keyword accuracy 93.1%`. */
  readonly describe: (metrics: TaskMetrics) => string;
  /** The least time between two lines, so short epochs do not flood the log. @default 3000 */
  readonly intervalMs?: number;
}

/**
 * A log line after an epoch of a unit when `intervalMs` passed since the unit started or since its
 * last line: losses, the validation part's headline per task (never the test part's: the line is
 * what someone watching a run judges it by) and the epoch's seconds.
 */
export function epochProgress(options: EpochProgressOptions): TrainingObserver {
  const { label, epochs, log, describe, intervalMs = 3000 } = options;
  let last = performance.now();
  return {
    onTrainingStart() {
      last = performance.now();
    },
    onEpochEnd({ epoch, train, validation }) {
      if (performance.now() - last < intervalMs) return;
      last = performance.now();
      const parts = [`train loss ${train.loss.toPrecision(4)}`];
      if (validation) parts.push(`validation loss ${validation.loss.toPrecision(4)}`, ...validation.tasks.map(describe));
      if (train.seconds !== undefined) parts.push(`${train.seconds.toFixed(1)} s`);
      log(`${label} epoch ${epoch}/${epochs}: ${parts.join(', ')}`);
    },
  };
}
