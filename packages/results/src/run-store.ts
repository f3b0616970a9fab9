/**
 * A run directory: everything a training run leaves, written atomically, and read back by
 * name. Layout under `<root>/<run>/`:
 * - `config.json`; `preparations/fold-<f>.json` (fitted scalers and frame counts);
 * - `metrics.jsonl` (one line per fold, epoch and split) and `metrics.csv` (one row per task);
 * - `confusion/fold-<f>/<split>/<task>/epoch-<e>.json` and `.png`;
 * - `checkpoints/fold-<f>/epoch-<e>/` with `model.json` + `weights.bin` (the tfjs layers format),
 *   `optimizer.bin`, and `state.json` (epoch, sampler and random state); written to a temporary
 *   directory and renamed, so a checkpoint is complete or absent;
 * - `tensorboard/fold-<f>/<split>/` event files (see the TensorBoard observer).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, MissingFileError, PolytaskError, StorageError } from '@polytask/core';
import { renderConfusionMatrixPng } from './confusion-matrix-png';
import { appendedMetricColumns, metricColumns } from './internal/metric-columns';
import type { TaskMetrics } from './metrics';

/** One tensor of a checkpoint, as in tfjs weight manifests. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  readonly group?: string;
}

/** What a checkpoint holds; tfjs-free (the training package converts models to and from it). */
export interface CheckpointContents {
  readonly model: {
    readonly modelTopology: unknown;
    readonly weightSpecs: readonly WeightSpec[];
    readonly weightData: ArrayBuffer;
    readonly format?: string;
    readonly generatedBy?: string;
    readonly convertedBy?: string | null;
    readonly trainingConfig?: unknown;
  };
  readonly optimizer?: {
    readonly className?: string;
    readonly config?: unknown;
    readonly weightSpecs: readonly WeightSpec[];
    readonly weightData: ArrayBuffer;
  };
  /** Epoch, sampler state, random state, early-stopping state... */
  readonly state: Readonly<Record<string, unknown>>;
}

/**
 * The cost of a gradient-based loss combiner's per-task gradient path over an epoch's training steps: one
 * gradient computation per present task plus the combiner's merge, where a plain combiner takes one.
 */
export interface GradientOverhead {
  /** Mean wall-clock seconds per step of the per-task gradient computations and the merge together. */
  readonly secondsPerStep: number;
  /**
   * The epoch's largest rise of tfjs's `tf.memory().numBytes` over its value before a step's per-task gradients,
   * sampled as the merge starts (every task's gradients held) and as it returns (those and the merged ones).
   */
  readonly peakExtraBytes: number;
}

/** Metrics of one fold, epoch and split. */
export interface EpochRecord {
  readonly fold: number;
  readonly epoch: number;
  /** `validation` is carved from the fold's training part (model selection); `test` is only reported. */
  readonly split: 'train' | 'validation' | 'test';
  /** Combined loss. */
  readonly loss: number;
  readonly tasks: readonly TaskMetrics[];
  readonly seconds?: number;
  readonly learningRate?: number;
  /** The loss combiner's weight per task during the epoch (train records; the last step's for per-step methods such as RLW). */
  readonly lossWeights?: Readonly<Record<string, number>>;
  /** Train records of gradient-based loss combiners (PCGrad, GradNorm, DB-MTL, IMTL, MGDA, Aligned-MTL...): what their per-task gradients cost. */
  readonly gradientOverhead?: GradientOverhead;
  /** The model the record is of: absent for the multi-task model, `single:<task>` for a task's single-task baseline. */
  readonly model?: string;
}

const resumeAdvice = 'then continue with polytask resume <run folder>';

/** Runs a write, turning a full disk or a read-only / forbidden folder into a {@link StorageError} naming `target`. */
function guardWrite<Result>(target: string, what: string, write: () => Result): Result {
  try {
    return write();
  } catch (error) {
    throw StorageError.from(error, { path: target, what, fix: resumeAdvice });
  }
}

/** `mkdir -p`, except that a read-only file system is reported as such (Node's recursive mkdir says ENOENT). */
function makeDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT' && existsSync(path.dirname(directory))) mkdirSync(directory);
    throw error;
  }
}

/**
 * Writes a file of a run folder through a temporary sibling (`<file>.tmp-<pid>-<random>`, which
 * {@link RunStore.removeTemporaries} clears after a kill) renamed into place, so it is whole or
 * absent; a full disk or a read-only folder is a `StorageError` naming the file, the temporary removed.
 * @example writeFileAtomically(path.join(run, 'summary.json'), JSON.stringify(summary))
 */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  guardWrite(file, path.basename(file), () => {
    try {
      makeDirectory(path.dirname(file));
      writeFileSync(temporary, data);
      renameSync(temporary, file);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  });
}

const csvHeader = `fold,epoch,split,task,${metricColumns.map(([name]) => name).join(',')},examples,model,${appendedMetricColumns.map(([name]) => name).join(',')}\n`;
const csvNumber = (value: number | null | undefined) => (value === undefined || value === null ? '' : String(value));

/** The CSV rows of a record, one per task. */
function csvRows(record: EpochRecord): string[] {
  return record.tasks.map((task) =>
    [
      record.fold,
      record.epoch,
      record.split,
      task.task,
      ...metricColumns.map(([, value]) => csvNumber(value(task))),
      task.examples,
      record.model ?? 'multi-task',
      ...appendedMetricColumns.map(([, value]) => csvNumber(value(task))),
    ].join(','),
  );
}

/** Every complete record of a run's `metrics.jsonl` (a torn last line is skipped). */
function readRecords(directory: string): EpochRecord[] {
  const file = path.join(directory, 'metrics.jsonl');
  const records: EpochRecord[] = [];
  if (!existsSync(file)) return records;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as EpochRecord);
    } catch {
      // a torn last line from an interrupted run
    }
  }
  return records;
}

/** Writes one run directory. */
export interface RunStore {
  readonly directory: string;
  writeConfig(config: unknown): void;
  writePreparations(fold: number, preparations: unknown): void;
  /** Appends the metrics of one fold, epoch and split (JSON line and CSV rows). */
  recordEpoch(record: EpochRecord): void;
  /** Stores a task's confusion matrix as JSON and PNG; returns the PNG for other observers. Regression tasks have none: nothing is written. */
  writeConfusion(options: {
    fold: number;
    split: EpochRecord['split'];
    epoch: number;
    metrics: TaskMetrics;
  }): { png: Uint8Array; width: number; height: number } | undefined;
  saveCheckpoint(fold: number, epoch: number, contents: CheckpointContents): string;
  /**
   * Removes a fold's checkpoints that `keep` does not want; the newest complete one (the resume
   * point) always stays. Each is renamed away first, so a kill never leaves a half-removed one.
   * @returns the epochs removed.
   */
  pruneCheckpoints(fold: number, keep: (epoch: number) => boolean): number[];
  /**
   * Before a resume: drops the metrics records of epochs after the last committed one (an epoch is
   * committed when its checkpoint is written, after its records), so the resumed run writes them
   * once. `committed(fold, model)` gives the last committed epoch (0 for none). Both metrics files
   * are rewritten atomically.
   */
  discardUncommitted(committed: (fold: number, model: string | undefined) => number): void;
  /** Rewrites both metrics files (JSON lines and CSV) to hold exactly `records`, atomically (collecting work units into one run). */
  replaceRecords(records: readonly EpochRecord[]): void;
  /**
   * Removes what writes killed midway left (`*.tmp-<pid>-*` files and checkpoint folders) in this store's own
   * files: the folder itself, `fold-N/`, `checkpoints/`, `confusion/` and `preparations/` (not other folders below
   * it, such as a run's unit folders); call only while holding the run's lock.
   */
  removeTemporaries(): void;
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Creates (or continues) the run directory `<root>/<name>`; the default name is the time stamp.
 * @example const store = createRunStore({ root: 'runs', name: 'cnn-logmel' })
 */
export function createRunStore(options: { root: string; name?: string }): RunStore {
  const name = options.name ?? new Date().toISOString().replace(/[:.]/g, '-');
  if (!/^[A-Za-z0-9._=,-]+$/.test(name))
    throw new InvalidArgumentError({
      argument: 'name',
      value: name,
      message: `Run name "${name}" may use letters, digits, ".", "_", "-", "=" and "," only.`,
    });
  const directory = path.join(options.root, name);
  guardWrite(directory, 'the run folder', () => makeDirectory(directory));
  const metricsCsv = path.join(directory, 'metrics.csv');
  const replaceRecords = (records: readonly EpochRecord[]) => {
    writeFileAtomically(path.join(directory, 'metrics.jsonl'), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    writeFileAtomically(metricsCsv, csvHeader + records.flatMap((record) => csvRows(record).map((row) => `${row}\n`)).join(''));
  };
  return {
    directory,
    writeConfig: (config) => writeFileAtomically(path.join(directory, 'config.json'), JSON.stringify(config, null, 2)),
    writePreparations: (fold, preparations) =>
      writeFileAtomically(path.join(directory, 'preparations', `fold-${fold}.json`), JSON.stringify(preparations)),
    recordEpoch(record) {
      // one write per line: a crash leaves at most a torn last line, which readers skip
      // a torn line (disk full midway) is dropped by the resume, which rewrites both files from whole records
      const metricsJsonl = path.join(directory, 'metrics.jsonl');
      guardWrite(metricsJsonl, 'the metrics', () => appendFileSync(metricsJsonl, `${JSON.stringify(record)}\n`));
      if (!existsSync(metricsCsv)) writeFileAtomically(metricsCsv, csvHeader);
      const rows = csvRows(record);
      guardWrite(metricsCsv, 'the metrics', () => appendFileSync(metricsCsv, `${rows.join('\n')}\n`));
    },
    removeTemporaries() {
      // this store's own writes only: its files, checkpoints, preparations and confusion matrices
      // (confusion/fold-N/split/task/); not other folders below it (a run's unit folders have their own stores)
      const remove = (folder: string, descend: (name: string) => boolean) => {
        if (!existsSync(folder)) return;
        for (const entry of readdirSync(folder, { withFileTypes: true })) {
          const full = path.join(folder, entry.name);
          if (/\.tmp-\d+-[a-z0-9]+$/.test(entry.name)) rmSync(full, { recursive: true, force: true });
          else if (entry.isDirectory() && descend(entry.name)) remove(full, descend);
        }
      };
      const fold = (name: string) => /^fold-\d+$/.test(name);
      remove(directory, fold);
      remove(path.join(directory, 'checkpoints'), fold);
      remove(path.join(directory, 'confusion'), () => true);
      remove(path.join(directory, 'preparations'), () => true);
    },
    discardUncommitted(committed) {
      if (!existsSync(path.join(directory, 'metrics.jsonl'))) return;
      replaceRecords(readRecords(directory).filter((record) => record.epoch <= committed(record.fold, record.model)));
    },
    replaceRecords: (records) => replaceRecords(records),
    writeConfusion({ fold, split, epoch, metrics }) {
      if (metrics.kind === 'regression') return undefined;
      const base = path.join(directory, 'confusion', `fold-${fold}`, split, safeName(metrics.task), `epoch-${epoch}`);
      writeFileAtomically(`${base}.json`, JSON.stringify({ labels: metrics.labels, kind: metrics.kind, matrix: metrics.confusion }));
      if (metrics.kind === 'multi-label') return undefined;
      const rendered = renderConfusionMatrixPng({
        labels: metrics.labels,
        matrix: metrics.confusion as number[][],
        title: `${metrics.task}, ${split}, fold ${fold}, epoch ${epoch}`,
      });
      writeFileAtomically(`${base}.png`, rendered.png);
      return rendered;
    },
    pruneCheckpoints(fold, keep) {
      const folder = path.join(directory, 'checkpoints', `fold-${fold}`);
      const epochs = completeCheckpointEpochs(folder);
      const removed = epochs.slice(0, -1).filter((epoch) => !keep(epoch));
      for (const epoch of removed) {
        const target = path.join(folder, `epoch-${epoch}`);
        const temporary = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
        renameSync(target, temporary);
        rmSync(temporary, { recursive: true, force: true });
      }
      return removed;
    },
    saveCheckpoint(fold, epoch, contents) {
      const target = path.join(directory, 'checkpoints', `fold-${fold}`, `epoch-${epoch}`);
      const temporary = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        return guardWrite(target, `the checkpoint of fold ${fold}, epoch ${epoch}`, () =>
          writeCheckpoint(temporary, target, epoch, fold, contents),
        );
      } catch (error) {
        rmSync(temporary, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

/** Writes a checkpoint into `temporary`, `state.json` last, then renames it to `target`. */
function writeCheckpoint(temporary: string, target: string, epoch: number, fold: number, contents: CheckpointContents): string {
  mkdirSync(temporary, { recursive: true });
  const { weightData, weightSpecs, ...model } = contents.model;
  writeFileSync(path.join(temporary, 'weights.bin'), new Uint8Array(weightData));
  writeFileSync(
    path.join(temporary, 'model.json'),
    JSON.stringify({ ...model, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] }),
  );
  if (contents.optimizer) {
    const { weightData: optimizerData, ...optimizer } = contents.optimizer;
    writeFileSync(path.join(temporary, 'optimizer.bin'), new Uint8Array(optimizerData));
    writeFileSync(path.join(temporary, 'optimizer.json'), JSON.stringify(optimizer));
  }
  // state.json last: its presence marks the checkpoint complete
  writeFileSync(path.join(temporary, 'state.json'), JSON.stringify({ ...contents.state, epoch, fold }));
  if (existsSync(target)) rmSync(target, { recursive: true, force: true });
  renameSync(temporary, target);
  return target;
}

/** The epochs of a fold's checkpoint folder whose checkpoint is complete (has `state.json`), ascending. */
function completeCheckpointEpochs(folder: string): number[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((entry) => /^epoch-(\d+)$/.exec(entry)?.[1])
    .filter((epoch): epoch is string => epoch !== undefined && existsSync(path.join(folder, `epoch-${epoch}`, 'state.json')))
    .map(Number)
    .sort((a, b) => a - b);
}

const toArrayBuffer = (buffer: Buffer): ArrayBuffer =>
  buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;

/** A run read back. */
export interface LoadedRun {
  readonly directory: string;
  readonly config: unknown;
  /** Every complete metrics line, in order. */
  readonly records: readonly EpochRecord[];
  /** The last record of a fold, epoch and split, of the multi-task model or (`model`) of a baseline. */
  metricsOf(fold: number, epoch: number, split: EpochRecord['split'], model?: string): EpochRecord | undefined;
  preparations(fold: number): unknown;
  /** Epochs with a complete checkpoint, ascending. */
  checkpointEpochs(fold: number): number[];
  /** The checkpoint of `epoch`, or of the last complete epoch. */
  loadCheckpoint(fold: number, epoch?: number): CheckpointContents & { readonly epoch: number };
}

/**
 * Opens a run directory.
 * @throws MissingFileError when the directory does not exist.
 */
export function openRun(directory: string): LoadedRun {
  if (!existsSync(directory)) throw new MissingFileError({ path: directory, message: `${directory}: no such run directory.` });
  const read = (file: string) => JSON.parse(readFileSync(path.join(directory, file), 'utf8'));
  const config = existsSync(path.join(directory, 'config.json')) ? read('config.json') : undefined;
  const records = readRecords(directory);
  const checkpointEpochs = (fold: number) => completeCheckpointEpochs(path.join(directory, 'checkpoints', `fold-${fold}`));
  return {
    directory,
    config,
    records,
    metricsOf: (fold, epoch, split, model) =>
      records.findLast((record) => record.fold === fold && record.epoch === epoch && record.split === split && record.model === model),
    preparations: (fold) => read(path.join('preparations', `fold-${fold}.json`)),
    checkpointEpochs,
    loadCheckpoint(fold, epoch) {
      const epochs = checkpointEpochs(fold);
      const chosen = epoch ?? epochs.at(-1);
      if (chosen === undefined || !epochs.includes(chosen)) {
        throw new MissingFileError({
          path: path.join(directory, 'checkpoints', `fold-${fold}`),
          message: `Run ${directory} has no complete checkpoint for fold ${fold}${epoch === undefined ? '' : `, epoch ${epoch}`} (complete epochs: ${epochs.join(', ') || 'none'}).`,
        });
      }
      const folder = path.join(directory, 'checkpoints', `fold-${fold}`, `epoch-${chosen}`);
      try {
        const { weightsManifest, ...model } = JSON.parse(readFileSync(path.join(folder, 'model.json'), 'utf8'));
        const weightSpecs = (weightsManifest as { weights: WeightSpec[] }[]).flatMap((group) => group.weights);
        const optimizerFile = path.join(folder, 'optimizer.json');
        const optimizer = existsSync(optimizerFile)
          ? {
              ...JSON.parse(readFileSync(optimizerFile, 'utf8')),
              weightData: toArrayBuffer(readFileSync(path.join(folder, 'optimizer.bin'))),
            }
          : undefined;
        return {
          epoch: chosen,
          model: { ...model, weightSpecs, weightData: toArrayBuffer(readFileSync(path.join(folder, 'weights.bin'))) },
          ...(optimizer ? { optimizer } : {}),
          state: JSON.parse(readFileSync(path.join(folder, 'state.json'), 'utf8')),
        };
      } catch (cause) {
        throw new PolytaskError({
          message: `Checkpoint ${folder} could not be read: ${(cause as Error).message}.`,
          context: { path: folder },
          cause,
        });
      }
    },
  };
}
