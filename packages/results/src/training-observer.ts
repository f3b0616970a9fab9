/**
 * Observers: the training loop reports through an object of optional hooks and never
 * knows who listens. The run store and TensorBoard are observers; add your own (a
 * JSON-lines streamer, a progress bar) without touching training code.
 */
import path from 'node:path';
import { renderConfusionMatrixPng } from './confusion-matrix-png';
import type { TaskMetrics } from './metrics';
import type { EpochRecord, RunStore } from './run-store';
import { createTensorBoardWriter, type HparamValue, type TensorBoardWriter } from './tensorboard-writer';

/** Sent once before training. */
export interface RunStartInfo {
  readonly foldCount: number;
  readonly tasks: readonly string[];
  /** The experiment configuration, stored with the run. */
  readonly config?: unknown;
  /** Hyperparameters shown in TensorBoard's HParams view. */
  readonly hparams?: Readonly<Record<string, HparamValue>>;
}

/** Sent after every training batch. */
export interface BatchEndInfo {
  readonly fold: number;
  readonly epoch: number;
  readonly batch: number;
  readonly loss: number;
  readonly taskLosses: Readonly<Record<string, number>>;
}

/** Sent after every epoch, with train metrics and (when evaluated) validation and test metrics. */
export interface EpochEndInfo {
  readonly fold: number;
  readonly epoch: number;
  readonly train: EpochRecord;
  /** Metrics on the validation part, which early stopping and schedules watch. */
  readonly validation?: EpochRecord;
  readonly test?: EpochRecord;
}

/** Sent once after training. */
export interface RunEndInfo {
  readonly status: 'success' | 'failure' | 'stopped';
  readonly error?: unknown;
}

/** Optional hooks; each may return a promise, which the loop awaits. */
export interface TrainingObserver {
  onRunStart?(info: RunStartInfo): void | Promise<void>;
  onFoldStart?(info: { readonly fold: number; readonly preparations: unknown }): void | Promise<void>;
  onBatchEnd?(info: BatchEndInfo): void | Promise<void>;
  onEpochEnd?(info: EpochEndInfo): void | Promise<void>;
  onRunEnd?(info: RunEndInfo): void | Promise<void>;
}

/** Calls `hook` on every observer that has it, in order. */
export async function notifyObservers<Hook extends keyof TrainingObserver>(
  observers: readonly TrainingObserver[],
  hook: Hook,
  info: Parameters<NonNullable<TrainingObserver[Hook]>>[0],
): Promise<void> {
  for (const observer of observers) {
    const handler = observer[hook] as ((value: typeof info) => void | Promise<void>) | undefined;
    if (handler) await handler.call(observer, info);
  }
}

/** Stores config, fitted preparations, metrics and confusion matrices in a run directory. */
export function createRunStoreObserver(store: RunStore): TrainingObserver {
  return {
    onRunStart: (info) => store.writeConfig(info.config ?? { foldCount: info.foldCount, tasks: info.tasks, hparams: info.hparams }),
    onFoldStart: (info) => store.writePreparations(info.fold, info.preparations),
    onEpochEnd(info) {
      for (const record of [info.train, info.validation, info.test]) {
        if (!record) continue;
        store.recordEpoch(record);
        for (const metrics of record.tasks) store.writeConfusion({ fold: record.fold, split: record.split, epoch: record.epoch, metrics });
      }
    },
  };
}

const scalarsOf = (metrics: TaskMetrics): [string, number | null | undefined][] => [
  ['loss', metrics.loss],
  ['accuracy', metrics.accuracy],
  ['macro_f1', metrics.macro.f1],
  ['weighted_f1', metrics.weighted.f1],
  ['micro_f1', metrics.micro.f1],
  ['subset_accuracy', metrics.subsetAccuracy],
  ['hamming_loss', metrics.hammingLoss],
  ['mAP', metrics.meanAveragePrecision],
];

/**
 * Writes TensorBoard event files under `directory`: `fold-<f>/train` and `fold-<f>/test` runs with
 * per-task scalars and confusion images per epoch, batch losses, and the HParams experiment
 * (root run) and sessions (each fold's test run).
 */
export function createTensorBoardObserver(options: {
  directory: string;
  /**
   * Write the HParams experiment summary in the root run (default true). False for runs that join
   * another observer's experiment, such as single-task baselines logged beside a multi-task run.
   */
  writeExperiment?: boolean;
  /** Prefix of the HParams session group names (default ''); the HParams view aggregates a group's sessions. */
  sessionGroupPrefix?: string;
}): TrainingObserver & { readonly writers: ReadonlyMap<string, TensorBoardWriter> } {
  const writers = new Map<string, TensorBoardWriter>();
  const batchSteps = new Map<number, number>();
  let hparams: Readonly<Record<string, HparamValue>> | undefined;
  const writerFor = (run: string) => {
    let writer = writers.get(run);
    if (!writer) {
      writer = createTensorBoardWriter({ directory: path.join(options.directory, run) });
      writers.set(run, writer);
    }
    return writer;
  };
  return {
    writers,
    onRunStart(info) {
      hparams = info.hparams;
      if (!hparams || options.writeExperiment === false) return;
      const metrics = info.tasks.flatMap((task) => [`${task}/macro_f1`, `${task}/loss`]);
      writerFor('.').hparamsExperiment({ hparams, metrics: ['loss', ...metrics] });
    },
    onFoldStart(info) {
      if (hparams)
        writerFor(`fold-${info.fold}/test`).hparamsSessionStart(
          { ...hparams, fold: info.fold },
          `${options.sessionGroupPrefix ?? ''}fold-${info.fold}`,
        );
    },
    onBatchEnd(info) {
      const step = (batchSteps.get(info.fold) ?? 0) + 1;
      batchSteps.set(info.fold, step);
      writerFor(`fold-${info.fold}/train`).scalar('batch/loss', info.loss, step);
    },
    onEpochEnd(info) {
      for (const record of [info.train, info.validation, info.test]) {
        if (!record) continue;
        const writer = writerFor(`fold-${record.fold}/${record.split}`);
        if (Number.isFinite(record.loss)) writer.scalar('loss', record.loss, record.epoch);
        for (const metrics of record.tasks) {
          for (const [name, value] of scalarsOf(metrics))
            if (typeof value === 'number' && Number.isFinite(value)) writer.scalar(`${metrics.task}/${name}`, value, record.epoch);
          if (metrics.kind !== 'multi-label') {
            const { png, width, height } = renderConfusionMatrixPng({ labels: metrics.labels, matrix: metrics.confusion as number[][] });
            writer.image(`${metrics.task}/confusion`, png, { width, height }, record.epoch);
          }
        }
        writer.flush();
      }
    },
    onRunEnd(info) {
      for (const [run, writer] of writers) {
        if (hparams && run.endsWith('/test')) writer.hparamsSessionEnd(info.status === 'failure' ? 'failure' : 'success');
        writer.close();
      }
    },
  };
}
