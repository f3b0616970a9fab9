/**
 * Reads a corpus into a task dataset through its reader: lists the items, keys the feature
 * cache by everything that determines it (reader and options, listing, source files, spec),
 * loads the cache when a valid one exists, otherwise (holding the cache's lock, so one process
 * extracts while others wait for its result) decodes, resamples and extracts every item in
 * parallel in worker processes, journaling finished items so no work is lost, then writes the
 * cache atomically and loads it (in memory or index mode). A damaged cache is rebuilt and
 * reported; leftovers of dead processes beside it are removed.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  encodeRegressionTarget,
  encodeTarget,
  type FeatureMatrix,
  InvalidArgumentError,
  NonFiniteTargetError,
  PolytaskError,
  type TargetRow,
} from '@polytask/core';
import {
  builtInExtractionMethods,
  createDefaultExtractionRegistry,
  type ExtractionRegistry,
  type ExtractionSpec,
  precomputedExtractionName,
  readAudioFile,
} from '@polytask/extraction';
import {
  asCacheWriteError,
  type CacheVerification,
  createTask,
  datasetCacheDirectory,
  InvalidCacheError,
  inspectDatasetCache,
  loadTaskDataset,
  type PredefinedSplit,
  type Task,
  type TaskDataset,
  writeDatasetCache,
} from '@polytask/task-dataset';
import Tinypool from 'tinypool';
import type { DataReader, DatasetItem } from './data-reader';
import type { ExtractionJob, ExtractionOutcome } from './extraction-worker';
import { removeStaleCacheEntries } from './internal/cache-cleanup';
import { type CacheKeyInputs, computeCacheKey, type SourceCheck } from './internal/cache-key';
import { lockCache } from './internal/cache-lock';
import { type JournalEntry, openJournal } from './internal/journal';
import { withPrecomputedExtraction } from './internal/precomputed-registry';
import { createProgressReporter, type ProgressOption } from './internal/progress';

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  /** The extraction spec (validated; see `@polytask/extraction`). */
  readonly extraction: unknown;
  /** Root folder of feature caches; the dataset goes to `<root>/<reader>/<key>` (see {@link ReadDatasetResult.cacheInputs}). */
  readonly cacheDirectory: string;
  /** Keep features on disk, read on demand. @default false */
  readonly indexMode?: boolean;
  /** LRU bytes in index mode. @default 64 MiB */
  readonly cacheBytes?: number;
  /** Worker processes for extraction; 0 extracts in this process. @default os.availableParallelism() */
  readonly workers?: number;
  /** A file that fails to decode or extract: `skip` it (counted in the result and manifest) or `fail` the run. @default 'fail' */
  readonly onError?: 'skip' | 'fail';
  /** @default 'auto' (a bar on a TTY, plain lines otherwise) */
  readonly progress?: ProgressOption;
  /** Registry with custom extraction methods; custom methods run on this thread. `precomputed` is always added (for readers with `readFeatures`). @default the built-in methods */
  readonly registry?: ExtractionRegistry;
  /** Tasks with custom losses or decisions, by name. */
  readonly tasks?: readonly Task[];
  /** How an existing cache is checked before use (loading checks every byte it reads in any case). @default 'sizes' */
  readonly verification?: CacheVerification;
  /** How source files enter the cache key: size and modification time (`mtime`, stat only) or a hash of their content. @default 'mtime' */
  readonly sourceCheck?: SourceCheck;
  /** Longest wait, in seconds, while another process builds the same cache. @default 21600 (6 hours) */
  readonly lockWaitSeconds?: number;
  /** Longest clip accepted, in seconds; longer ones fail (or are skipped) with AudioDurationError. @default 3600 */
  readonly maximumAudioSeconds?: number;
  /** Where cache events are reported (a rebuilt damaged cache, a wait for another process, removed leftovers). @default lines on stderr, none when `progress` is `none` */
  readonly log?: (message: string) => void;
}

/** An item left out because it failed. */
export interface SkippedItem {
  readonly id: string;
  readonly path: string | undefined;
  readonly reason: string;
}

/** What {@link readDataset} did. */
export interface ReadDatasetResult {
  readonly dataset: TaskDataset;
  readonly spec: ExtractionSpec;
  readonly specHash: string;
  readonly cacheDirectory: string;
  /** The cache key, the last part of `cacheDirectory`. */
  readonly cacheKey: string;
  /** What went into the key (also in the cache's manifest, `extra.cacheInputs`). */
  readonly cacheInputs: CacheKeyInputs;
  /** Why the cache found was invalid and rebuilt; absent when none was, or it was valid. */
  readonly rebuiltReason?: string;
  /** True when another process held the cache's lock and this call waited for it. */
  readonly waitedForLock: boolean;
  /** True when the features came from an existing cache. */
  readonly fromCache: boolean;
  /** Items extracted by this call. */
  readonly extractedCount: number;
  /** Items recovered from the journal of an earlier, interrupted run. */
  readonly resumedCount: number;
  readonly skipped: readonly SkippedItem[];
}

/**
 * An extraction worker process exited while it held an item (a signal such as Slurm's SIGTERM,
 * or the out-of-memory killer): nothing is wrong with the item, and nothing is skipped. The items
 * finished so far stay in the journal; running again goes on from there.
 */
export class ExtractionInterruptedError extends PolytaskError {
  readonly journalPath: string;

  constructor(options: { journalPath: string; message: string }) {
    super({ message: options.message, context: { journalPath: options.journalPath } });
    this.name = 'ExtractionInterruptedError';
    this.journalPath = options.journalPath;
  }

  static override isInstance(error: unknown): error is ExtractionInterruptedError {
    return PolytaskError.isInstance(error) && error.name === 'ExtractionInterruptedError';
  }
}

/** Extraction of an item failed and `onError` is `fail`. */
export class ExtractionFailedError extends PolytaskError {
  readonly itemId: string;
  readonly path: string | undefined;

  constructor(options: { itemId: string; path: string | undefined; message: string }) {
    super({ message: options.message, context: { itemId: options.itemId, path: options.path } });
    this.name = 'ExtractionFailedError';
    this.itemId = options.itemId;
    this.path = options.path;
  }

  static override isInstance(error: unknown): error is ExtractionFailedError {
    return PolytaskError.isInstance(error) && error.name === 'ExtractionFailedError';
  }
}

/** The environment for worker processes: this one's, less NODE_OPTIONS. */
function withoutNodeOptions(environment: NodeJS.ProcessEnv): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) if (name !== 'NODE_OPTIONS' && value !== undefined) copy[name] = value;
  return copy;
}

function workerFile(): string {
  const built = new URL('./extraction-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  // running from source (tests): use the built worker of this package
  const fromSource = new URL('../dist/extraction-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(fromSource))) return fileURLToPath(fromSource);
  throw new PolytaskError({ message: 'The extraction worker is not built: run `pnpm build` (or pass workers: 0).' });
}

function prepareItems(reader: DataReader, tasks: readonly Task[], items: readonly DatasetItem[]) {
  const seen = new Set<string>();
  const rows = new Map<string, TargetRow[]>(tasks.map((task) => [task.name, []]));
  for (const item of items) {
    if (typeof item.id !== 'string' || item.id === '')
      throw new InvalidArgumentError({
        argument: 'item.id',
        value: item.id,
        message: `Reader "${reader.name}" listed an item without an id.`,
      });
    if (seen.has(item.id))
      throw new InvalidArgumentError({
        argument: 'item.id',
        value: item.id,
        message: `Reader "${reader.name}" listed item "${item.id}" twice.`,
      });
    seen.add(item.id);
    if (!item.path && !reader.readAudio && !reader.readFeatures) {
      throw new InvalidArgumentError({
        argument: 'item.path',
        value: item.id,
        message: `Item "${item.id}" of reader "${reader.name}" has no path and the reader has neither readAudio nor readFeatures.`,
      });
    }
    for (const task of tasks) {
      if (task.kind === 'regression') {
        const values = item.values?.[task.name];
        if (values === undefined)
          throw new InvalidArgumentError({
            argument: 'item.values',
            value: item.id,
            message: `Item "${item.id}" of reader "${reader.name}" has no value for regression task "${task.name}" (give it in item.values).`,
          });
        try {
          rows.get(task.name)?.push(encodeRegressionTarget({ task, values, item: item.id, dataset: reader.name }));
        } catch (cause) {
          if (NonFiniteTargetError.isInstance(cause)) throw cause;
          throw new InvalidArgumentError({
            argument: 'item.values',
            value: item.id,
            message: `Item "${item.id}" of reader "${reader.name}": ${(cause as Error).message}`,
            cause,
          });
        }
        continue;
      }
      const labels = item.labels[task.name];
      if (labels === undefined) {
        throw new InvalidArgumentError({
          argument: 'item.labels',
          value: item.id,
          message: `Item "${item.id}" of reader "${reader.name}" has no label for task "${task.name}".`,
        });
      }
      try {
        rows.get(task.name)?.push(encodeTarget(task, labels));
      } catch (cause) {
        throw new InvalidArgumentError({
          argument: 'item.labels',
          value: item.id,
          message: `Item "${item.id}" of reader "${reader.name}": ${(cause as Error).message}`,
          cause,
        });
      }
    }
  }
  const hasSplit = items.some((item) => item.split !== undefined);
  const hasFold = items.some((item) => item.fold !== undefined);
  if (hasSplit && hasFold)
    throw new InvalidArgumentError({
      argument: 'items',
      value: reader.name,
      message: `Reader "${reader.name}" gives both train/test parts and folds; use one.`,
    });
  if (hasSplit && items.some((item) => item.split !== 'train' && item.split !== 'test')) {
    throw new InvalidArgumentError({
      argument: 'item.split',
      value: reader.name,
      message: `Reader "${reader.name}" gives a train/test part for some items but not all.`,
    });
  }
  if (hasFold && items.some((item) => !Number.isInteger(item.fold) || (item.fold as number) < 0)) {
    throw new InvalidArgumentError({
      argument: 'item.fold',
      value: reader.name,
      message: `Reader "${reader.name}" gives a fold for some items but not all (folds are 0-based integers).`,
    });
  }
  return { rows, hasSplit, hasFold };
}

/** A reader that yields features is read with the `precomputed` extraction, and only such a reader is. */
function checkPrecomputed(reader: DataReader, spec: ExtractionSpec): void {
  const precomputed = spec.name === precomputedExtractionName;
  if (reader.readFeatures && !precomputed)
    throw new ConfigError({
      configPath: 'extraction.name',
      value: spec.name,
      message: `Reader "${reader.name}" yields precomputed features, not audio, so "${spec.name}" cannot run on it; set the extraction to { "name": "${precomputedExtractionName}", "sampleRate": ${spec.sampleRate} }.`,
    });
  if (!reader.readFeatures && precomputed)
    throw new ConfigError({
      configPath: 'extraction.name',
      value: spec.name,
      message: `Reader "${reader.name}" yields audio, not features, so the "${precomputedExtractionName}" extraction has nothing to take; name an audio extraction method (log-mel, mfcc, ...).`,
    });
}

/**
 * Reads `reader`'s corpus as a task dataset, using or building the feature cache.
 * @throws ExtractionFailedError on the first failing item when `onError` is `fail` (work done so far is kept).
 * @example const { dataset, fromCache } = await readDataset(esc50Reader, { extraction: { name: 'log-mel', sampleRate: 22050 }, cacheDirectory: '.polytask-cache' })
 */
export async function readDataset(reader: DataReader, options: ReadDatasetOptions): Promise<ReadDatasetResult> {
  const registry = withPrecomputedExtraction(options.registry ?? createDefaultExtractionRegistry());
  const spec = registry.parseSpec(options.extraction, 'extraction');
  checkPrecomputed(reader, spec);
  const given = new Map((options.tasks ?? []).map((task) => [task.name, task]));
  const tasks = reader.tasks.map((definition) => given.get(definition.name) ?? createTask(definition));
  const log = options.log ?? (options.progress === 'none' ? () => {} : (message: string) => process.stderr.write(`${message}\n`));
  const items = await reader.listItems();
  const { rows, hasSplit, hasFold } = prepareItems(reader, tasks, items);
  const { key, inputs } = await computeCacheKey({
    reader,
    items,
    spec,
    ...(options.sourceCheck ? { sourceCheck: options.sourceCheck } : {}),
  });
  const specHash = inputs.specHash;
  const directory = datasetCacheDirectory(options.cacheDirectory, reader.name, key);
  // lock and journal belong to the extraction (reader, options, spec), so a run after a fixed file resumes the journal
  const extractionPath = path.join(path.dirname(directory), inputs.extractionKey);
  const cleanup = (holdingLock: boolean, removeSuperseded: boolean) => {
    const removed = removeStaleCacheEntries({
      readerDirectory: path.dirname(directory),
      currentExtractionKey: holdingLock ? inputs.extractionKey : undefined,
      currentCache: key,
      removeSuperseded,
    });
    if (removed.length > 0)
      log(`${reader.name}: removed ${removed.length} leftover(s) of interrupted runs or edited sources: ${removed.join(', ')}`);
  };
  const common = { spec, specHash, cacheDirectory: directory, cacheKey: key, cacheInputs: inputs };

  /** Loads the cache when it is valid; otherwise says why it is not (undefined when there is none). */
  const tryLoad = async (): Promise<{ dataset: TaskDataset; skipped: SkippedItem[] } | { invalid: string | undefined }> => {
    const inspection = await inspectDatasetCache(directory, options.verification ?? 'sizes');
    if (inspection.status === 'missing') return { invalid: undefined };
    if (inspection.status === 'invalid') return { invalid: inspection.reason };
    try {
      const dataset = await loadTaskDataset(directory, {
        indexMode: options.indexMode ?? false,
        tasks,
        ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
        ...(options.verification ? { verification: options.verification } : {}),
      });
      return { dataset, skipped: (inspection.manifest.extra.skipped as SkippedItem[] | undefined) ?? [] };
    } catch (error) {
      if (InvalidCacheError.isInstance(error)) return { invalid: error.reason };
      throw error;
    }
  };
  const fromCache = (loaded: { dataset: TaskDataset; skipped: SkippedItem[] }, waitedForLock: boolean): ReadDatasetResult => ({
    ...common,
    dataset: loaded.dataset,
    fromCache: true,
    extractedCount: 0,
    resumedCount: 0,
    skipped: loaded.skipped,
    waitedForLock,
  });

  const first = await tryLoad();
  if ('dataset' in first) {
    cleanup(false, false);
    return fromCache(first, false);
  }
  const { lock, waited } = await lockCache({
    directory: extractionPath,
    waitSeconds: options.lockWaitSeconds ?? 6 * 3600,
    onWait: (holder, seconds) =>
      log(
        `${reader.name}: waiting for process ${holder.pid} on ${holder.host}, which builds the feature cache ${directory} (${Math.round(seconds)} s so far, at most ${options.lockWaitSeconds ?? 6 * 3600} s)`,
      ),
  });
  try {
    cleanup(true, false);
    // another process may have built (or damaged) the cache before this one took the lock
    const second = await tryLoad();
    if ('dataset' in second) return fromCache(second, waited);
    const rebuiltReason = second.invalid;
    if (rebuiltReason !== undefined) {
      log(`${reader.name}: the feature cache ${directory} is invalid (${rebuiltReason}); it is removed and rebuilt`);
      try {
        rmSync(directory, { recursive: true, force: true });
      } catch (error) {
        throw asCacheWriteError(error, directory);
      }
    }
    const built = await extractIntoCache({
      reader,
      options,
      registry,
      spec,
      tasks,
      items,
      rows,
      hasSplit,
      hasFold,
      directory,
      journalPath: extractionPath,
      inputs,
    });
    cleanup(true, true);
    return { ...common, ...built, fromCache: false, waitedForLock: waited, ...(rebuiltReason === undefined ? {} : { rebuiltReason }) };
  } finally {
    lock.release();
  }
}

/** Features of an item as a journal outcome; NaN or infinite values fail it. */
function featuresOutcome(item: DatasetItem, features: FeatureMatrix): ExtractionOutcome {
  const data = features.data.byteLength === features.data.buffer.byteLength ? features.data : features.data.slice();
  return data.every(Number.isFinite)
    ? { ok: true, buffer: data.buffer as ArrayBuffer, shape: [...features.shape] }
    : {
        ok: false,
        message: `${item.path ?? item.id}: the extracted features contain NaN or infinite values`,
        name: 'DataFormatError',
      };
}

/** Everything {@link extractIntoCache} needs. */
interface ExtractIntoCacheOptions {
  readonly reader: DataReader;
  readonly options: ReadDatasetOptions;
  readonly registry: ExtractionRegistry;
  readonly spec: ExtractionSpec;
  readonly tasks: readonly Task[];
  readonly items: readonly DatasetItem[];
  readonly rows: Map<string, TargetRow[]>;
  readonly hasSplit: boolean;
  readonly hasFold: boolean;
  readonly directory: string;
  /** The journal is `<journalPath>.partial`. */
  readonly journalPath: string;
  readonly inputs: CacheKeyInputs;
}

/** Extracts the items not in the journal (holding the cache's lock), writes the cache and loads it. */
async function extractIntoCache(context: ExtractIntoCacheOptions) {
  const { reader, options, registry, spec, tasks, items, rows, hasSplit, hasFold, directory, journalPath, inputs } = context;
  const maximumSeconds = options.maximumAudioSeconds ?? 3600;
  const journal = openJournal(journalPath);
  // a journal entry is reused only for the same files, unchanged since it was extracted
  const sourceOf = (item: DatasetItem): JournalEntry['source'] | undefined => {
    const files = item.path ? [item.path] : (item.sources ?? []);
    if (files.length === 0) return undefined;
    try {
      const infos = files.map((file) => statSync(file));
      return {
        bytes: infos.reduce((total, info) => total + info.size, 0),
        modified: Math.max(...infos.map((info) => info.mtimeMs)),
        file: files.map((file) => path.resolve(file)).join('\n'),
      };
    } catch {
      return undefined;
    }
  };
  const isCurrent = (item: DatasetItem) => {
    const entry = journal.entries.get(item.id);
    if (!entry) return false;
    const source = sourceOf(item);
    return (
      !source || (entry.source?.bytes === source.bytes && entry.source?.modified === source.modified && entry.source?.file === source.file)
    );
  };
  const pending = items.filter((item) => !isCurrent(item));
  const resumedCount = items.length - pending.length;
  const skipped: SkippedItem[] = [];
  const workers = options.workers ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  const builtIn = builtInExtractionMethods.some((method) => method.name === spec.name && registry.get(spec.name) === method);
  // Workers are child processes, not worker threads: Node 20 unregisters a worker thread's isolate
  // from its platform before disposing of it, and a background compilation still running for that
  // isolate then aborts the whole process (`NodePlatform::ForIsolate ... Assertion failed`), which
  // happened when the pool was destroyed right after its last job. A process ends on its own.
  // They get no Node flags (nor NODE_OPTIONS): test runners' --conditions would resolve our
  // packages to TypeScript sources, --inspect would clash. Structured-clone serialisation carries
  // the typed arrays. They ignore the terminal's SIGINT and SIGHUP (extraction-worker), which
  // reach the whole process group: this process decides when to stop.
  const usePool = workers > 0 && builtIn && !reader.readFeatures && pending.length > 1;
  const pool = usePool
    ? new Tinypool({
        runtime: 'child_process',
        serialization: 'advanced',
        env: withoutNodeOptions(process.env),
        filename: workerFile(),
        minThreads: Math.min(workers, pending.length),
        maxThreads: workers,
        execArgv: [],
      })
    : undefined;
  const progress = createProgressReporter(options.progress ?? 'auto', reader.name, pending.length);
  let extractedCount = 0;
  let failure: ExtractionFailedError | undefined;
  let interrupted: ExtractionInterruptedError | undefined;

  const extractItem = async (item: DatasetItem): Promise<void> => {
    let outcome: ExtractionOutcome;
    try {
      if (reader.readFeatures) outcome = featuresOutcome(item, await reader.readFeatures(item));
      else {
        const audio = !item.path && reader.readAudio ? await reader.readAudio(item) : undefined;
        if (pool) {
          const source = item.path ?? item.id;
          const job: ExtractionJob = audio
            ? { spec, audio, source, maximumSeconds }
            : { spec, path: item.path as string, source, maximumSeconds };
          try {
            outcome = (await pool.run(job)) as ExtractionOutcome;
          } catch (error) {
            // the worker process died (a signal, out of memory): not this item's failure, so it
            // is neither skipped nor blamed, and the next run extracts it
            interrupted ??= new ExtractionInterruptedError({
              journalPath: `${journalPath}.partial`,
              message: `Extracting ${reader.name} was interrupted: the worker process extracting "${item.id}" exited (${(error as Error).message}; a signal or the out-of-memory killer). The items finished so far are kept in ${journalPath}.partial; run again to go on from there.`,
            });
            return;
          }
        } else {
          const features: FeatureMatrix = await registry.extract(spec, audio ?? (await readAudioFile(item.path as string)), {
            source: item.path ?? item.id,
            maximumSeconds,
          });
          outcome = featuresOutcome(item, features);
        }
      }
    } catch (error) {
      outcome = { ok: false, message: (error as Error).message, name: (error as Error).name };
    }
    if (outcome.ok) {
      journal.append(item.id, new Float32Array(outcome.buffer), outcome.shape, sourceOf(item));
      extractedCount++;
      return;
    }
    const reason = outcome.message;
    if ((options.onError ?? 'fail') === 'skip') {
      skipped.push({ id: item.id, path: item.path, reason });
      return;
    }
    failure ??= new ExtractionFailedError({
      itemId: item.id,
      path: item.path,
      message: `Extracting "${item.id}" failed: ${reason}. The items finished so far are kept in ${journalPath}.partial and will not be extracted again; fix or remove the file (or set onError: 'skip') and run again.`,
    });
  };

  try {
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(1, pool ? workers * 2 : 1);
    for (const item of pending) {
      if (failure || interrupted) break;
      const running: Promise<void> = extractItem(item).finally(() => {
        inFlight.delete(running);
        progress.update(extractedCount + skipped.length, skipped.length);
      });
      inFlight.add(running);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    progress.stop();
    await pool?.destroy();
  }
  if (interrupted) {
    journal.close();
    throw interrupted;
  }
  if (failure) {
    journal.close();
    throw failure;
  }

  const skippedIds = new Set(skipped.map((skip) => skip.id));
  const keptIndex = items.map((item) => journal.entries.has(item.id) && !skippedIds.has(item.id));
  const kept = items.filter((_, index) => keptIndex[index]);
  const entries = kept.map((item) => journal.entries.get(item.id) as JournalEntry);
  let split: PredefinedSplit | undefined;
  if (hasSplit) split = { kind: 'train-test', isTest: Uint8Array.from(kept, (item) => (item.split === 'test' ? 1 : 0)) };
  if (hasFold)
    split = {
      kind: 'folds',
      fold: Int32Array.from(kept, (item) => item.fold as number),
      foldCount: reader.foldCount ?? Math.max(...kept.map((item) => item.fold as number)) + 1,
    };
  await writeDatasetCache({
    directory,
    name: reader.name,
    tasks,
    count: kept.length,
    shapes: entries.map((entry) => entry.shape),
    readFeatures: (index) => journal.read(entries[index] as JournalEntry),
    targets: new Map(
      tasks.map((task) => {
        const all = rows.get(task.name) as TargetRow[];
        const flat =
          task.kind === 'regression' ? new Float32Array(kept.length * task.outputSize) : new Uint8Array(kept.length * task.outputSize);
        let position = 0;
        all.forEach((row, index) => {
          if (keptIndex[index]) flat.set(row, position++ * task.outputSize);
        });
        return [task.name, flat];
      }),
    ),
    ids: kept.map((item) => item.id),
    groups: kept.map((item) => item.group),
    metadata: kept.map((item) => ({ ...(item.path ? { sourceFile: item.path } : {}), ...item.metadata })),
    predefinedSplit: split,
    extra: { reader: reader.name, spec, specHash: inputs.specHash, itemCount: items.length, skipped, cacheInputs: inputs },
  });
  journal.remove();
  const dataset = await loadTaskDataset(directory, {
    indexMode: options.indexMode ?? false,
    tasks,
    ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
    ...(options.verification ? { verification: options.verification } : {}),
  });
  return { dataset, extractedCount, resumedCount, skipped };
}
