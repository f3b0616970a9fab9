/**
 * Observers: the training loop reports through an object of optional hooks and never
 * knows who listens. The run store and TensorBoard are observers; add your own (a
 * JSON-lines streamer, a progress bar) without touching training code.
 */
import { existsSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { renderConfusionMatrixPng } from './confusion-matrix-png';
import { allMetricColumns } from './internal/metric-columns';
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

/** Sent by the training loop (`trainFold`) before its first epoch: where the fold starts. */
export interface TrainingStartInfo {
  readonly fold: number;
  /** The last committed epoch: 0 when the fold starts from scratch, the checkpoint's epoch when it resumes. */
  readonly epoch: number;
  /** What this observer's `checkpointState` returned for that checkpoint; absent from scratch or when the checkpoint holds none. */
  readonly state?: unknown;
}

/** Sent by the training loop right before it saves an epoch's checkpoint, which commits the epoch. */
export interface CheckpointStateInfo {
  readonly fold: number;
  readonly epoch: number;
}

/** Sent by the training loop when a fold's training ends. */
export interface TrainingEndInfo {
  readonly fold: number;
  /**
   * `success`: every epoch ran (or early stopping ended it); `stopped`: interrupted (the signal),
   * a resume continues it; `failure`: it threw (`error`).
   */
  readonly status: 'success' | 'failure' | 'stopped';
  readonly error?: unknown;
}

/**
 * Optional hooks; each may return a promise, which the loop awaits. An epoch is committed when its
 * checkpoint is saved, after its records were reported: an observer that writes files takes part
 * in the commit with `checkpointState` (what to keep, stored in the checkpoint) and `onTrainingStart`
 * (given it back on resume, to drop what it wrote after the commit).
 */
export interface TrainingObserver {
  onRunStart?(info: RunStartInfo): void | Promise<void>;
  onFoldStart?(info: { readonly fold: number; readonly preparations: unknown }): void | Promise<void>;
  /** Before the first epoch of a fold, from scratch (`epoch` 0) or resumed from a checkpoint. */
  onTrainingStart?(info: TrainingStartInfo): void | Promise<void>;
  onBatchEnd?(info: BatchEndInfo): void | Promise<void>;
  onEpochEnd?(info: EpochEndInfo): void | Promise<void>;
  /**
   * The observer's part of an epoch's checkpoint (JSON-serialisable), stored in the checkpoint's
   * state under the observer's position in the observers list; a resume hands it to `onTrainingStart`.
   */
  checkpointState?(info: CheckpointStateInfo): unknown;
  onTrainingEnd?(info: TrainingEndInfo): void | Promise<void>;
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

/** Options of {@link createTensorBoardObserver}. */
export interface TensorBoardObserverOptions {
  /** TensorBoard's log directory of the run. */
  readonly directory: string;
  /**
   * Write the HParams experiment summary in the root run (default true; once per directory). False for
   * runs that join another observer's experiment, such as single-task baselines logged beside a multi-task run.
   */
  readonly writeExperiment?: boolean;
  /**
   * HParams group of this observer's sessions (one per fold): the HParams view averages a group's
   * sessions, so give each setting its own group. @default 'multi-task'
   */
  readonly sessionGroup?: string;
}

/** What the TensorBoard observer keeps in a checkpoint: the fold's event files with their committed lengths, and its batch step. */
interface TensorBoardCommit {
  /** Byte length per event file, by path relative to the log directory (`/`-separated). */
  readonly files: Readonly<Record<string, number>>;
  readonly batchStep: number;
}

const isCommit = (value: unknown): value is TensorBoardCommit =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as TensorBoardCommit).batchStep === 'number' &&
  typeof (value as TensorBoardCommit).files === 'object' &&
  (value as TensorBoardCommit).files !== null;

const isEventFile = (name: string) => name.includes('tfevents');

/** Event files under `folder`, recursively, as `/`-separated paths relative to `root`. */
function eventFilesUnder(root: string, folder: string): string[] {
  if (!existsSync(path.join(root, folder))) return [];
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return eventFilesUnder(root, relative);
    return entry.isFile() && isEventFile(entry.name) ? [relative] : [];
  });
}

/**
 * Writes TensorBoard event files under `directory`: `fold-<f>/train`, `fold-<f>/validation` and
 * `fold-<f>/test` runs with per-task scalars (named as the metrics CSV's columns) and confusion
 * images per epoch, batch losses (`batch/loss`, one step per batch through the fold), and the
 * HParams experiment (root run) and sessions (each fold's test run, grouped by `sessionGroup`).
 *
 * It takes part in the training loop's commits: a checkpoint stores each event file's length and
 * the batch step; a resumed fold cuts its files back to them (dropping what a killed or interrupted
 * process wrote after the commit), continues them and its steps; a fold started from scratch first
 * removes the fold's files. A session ends (success or failure) when its fold's training really ends;
 * an interrupted fold writes no session end.
 */
export function createTensorBoardObserver(
  options: TensorBoardObserverOptions,
): TrainingObserver & { readonly writers: ReadonlyMap<string, TensorBoardWriter> } {
  const { directory } = options;
  const writers = new Map<string, TensorBoardWriter>();
  // run → the committed event file a resumed fold continues
  const continued = new Map<string, string>();
  const batchSteps = new Map<number, number>();
  // folds whose session start is still to be written, and folds whose session started and has not ended
  const pendingSessions = new Set<number>();
  const openSessions = new Set<number>();
  let hparams: Readonly<Record<string, HparamValue>> | undefined;
  const writerFor = (run: string) => {
    let writer = writers.get(run);
    if (!writer) {
      const continueFile = continued.get(run);
      continued.delete(run);
      writer = createTensorBoardWriter({ directory: path.join(directory, run), ...(continueFile ? { continueFile } : {}) });
      writers.set(run, writer);
    }
    return writer;
  };
  const foldWriters = (fold: number) => [...writers].filter(([run]) => run.startsWith(`fold-${fold}/`));
  const startSession = (fold: number) => {
    if (!pendingSessions.delete(fold) || !hparams) return;
    const writer = writerFor(`fold-${fold}/test`);
    writer.hparamsSessionStart({ ...hparams, fold }, options.sessionGroup ?? 'multi-task');
    writer.flush();
    openSessions.add(fold);
  };
  const endSession = (fold: number, status: 'success' | 'failure') => {
    if (!openSessions.delete(fold)) return;
    const writer = writerFor(`fold-${fold}/test`);
    writer.hparamsSessionEnd(status);
    writer.flush();
  };
  return {
    writers,
    onRunStart(info) {
      hparams = info.hparams;
      if (!hparams || options.writeExperiment === false) return;
      // once per log directory: a resumed run finds it there
      if (existsSync(directory) && readdirSync(directory).some(isEventFile)) return;
      const metrics = info.tasks.flatMap((task) => [`${task}/macro_f1`, `${task}/loss`]);
      const writer = createTensorBoardWriter({ directory });
      writer.hparamsExperiment({ hparams, metrics: ['loss', ...metrics] });
      writer.close();
    },
    onFoldStart(info) {
      // written when the fold's training starts from scratch; a resumed fold's start is committed already
      if (hparams) pendingSessions.add(info.fold);
    },
    onTrainingStart({ fold, epoch, state }) {
      for (const [run, writer] of foldWriters(fold)) {
        writer.close();
        writers.delete(run);
      }
      for (const run of continued.keys()) if (run.startsWith(`fold-${fold}/`)) continued.delete(run);
      if (epoch === 0) {
        rmSync(path.join(directory, `fold-${fold}`), { recursive: true, force: true });
        batchSteps.set(fold, 0);
        openSessions.delete(fold);
        startSession(fold);
        return;
      }
      pendingSessions.delete(fold);
      if (hparams) openSessions.add(fold);
      // a checkpoint without the observer's part (written by an older version) keeps the files as they are
      if (!isCommit(state)) return;
      for (const file of eventFilesUnder(directory, `fold-${fold}`)) {
        const length = state.files[file];
        const full = path.join(directory, ...file.split('/'));
        if (length === undefined) rmSync(full, { force: true });
        else if (statSync(full).size > length) truncateSync(full, length);
      }
      for (const file of Object.keys(state.files).sort()) {
        const full = path.join(directory, ...file.split('/'));
        if (existsSync(full)) continued.set(path.posix.dirname(file), full);
      }
      batchSteps.set(fold, state.batchStep);
    },
    onBatchEnd(info) {
      startSession(info.fold);
      const step = (batchSteps.get(info.fold) ?? 0) + 1;
      batchSteps.set(info.fold, step);
      writerFor(`fold-${info.fold}/train`).scalar('batch/loss', info.loss, step);
    },
    onEpochEnd(info) {
      startSession(info.fold);
      for (const record of [info.train, info.validation, info.test]) {
        if (!record) continue;
        const writer = writerFor(`fold-${record.fold}/${record.split}`);
        if (Number.isFinite(record.loss)) writer.scalar('loss', record.loss, record.epoch);
        for (const [task, weight] of Object.entries(record.lossWeights ?? {}))
          if (Number.isFinite(weight)) writer.scalar(`weights/${task}`, weight, record.epoch);
        if (record.gradientOverhead) {
          writer.scalar('overhead/seconds_per_step', record.gradientOverhead.secondsPerStep, record.epoch);
          writer.scalar('overhead/peak_extra_bytes', record.gradientOverhead.peakExtraBytes, record.epoch);
        }
        for (const metrics of record.tasks) {
          for (const [name, value] of allMetricColumns) {
            const number = value(metrics);
            if (typeof number === 'number' && Number.isFinite(number)) writer.scalar(`${metrics.task}/${name}`, number, record.epoch);
          }
          // multi-label tasks have a matrix per label (in the JSON files), regression tasks none
          if (metrics.kind !== 'multi-label' && metrics.kind !== 'regression') {
            const { png, width, height } = renderConfusionMatrixPng({ labels: metrics.labels, matrix: metrics.confusion as number[][] });
            writer.image(`${metrics.task}/confusion`, png, { width, height }, record.epoch);
          }
        }
        writer.flush();
      }
    },
    checkpointState({ fold }): TensorBoardCommit {
      for (const [, writer] of foldWriters(fold)) writer.flush();
      const files = eventFilesUnder(directory, `fold-${fold}`).map((file) => [
        file,
        statSync(path.join(directory, ...file.split('/'))).size,
      ]);
      return { files: Object.fromEntries(files), batchStep: batchSteps.get(fold) ?? 0 };
    },
    onTrainingEnd({ fold, status }) {
      if (status !== 'stopped') endSession(fold, status);
      for (const [, writer] of foldWriters(fold)) writer.flush();
    },
    onRunEnd(info) {
      // sessions of folds trained without the training loop's hooks end with the run
      if (info.status !== 'stopped') for (const fold of [...openSessions]) endSession(fold, info.status);
      for (const writer of writers.values()) writer.close();
      writers.clear();
    },
  };
}
