/**
 * Chooses the tfjs backend a run trains on, once per process, and says which and why.
 * Order: `@tensorflow/tfjs-node-gpu` (native, CUDA), `@tensorflow/tfjs-node` (native),
 * `@tensorflow/tfjs-backend-wasm` (SIMD, threads via a Node shim), the pure-JS `cpu`
 * backend. `POLYTASK_BACKEND=tensorflow|wasm|cpu` forces one; a forced backend that cannot
 * start is an error, never a silent fallback.
 */
import os from 'node:os';
import { BackendUnavailableError, InvalidArgumentError, importOptional, MissingDependencyError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import { startNativeThreadPool } from './internal/native-thread-pool';
import { startWasmThreads } from './internal/wasm-threads';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

/** Backend names as tfjs registers them. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What may be asked for: a backend, or `auto` for the first that starts. */
export type BackendPreference = BackendName | 'auto';

/** Every accepted preference. */
export const backendPreferences: readonly BackendPreference[] = Object.freeze(['auto', 'tensorflow', 'wasm', 'cpu']);

/** One candidate that was tried. */
export interface BackendAttempt {
  /** The package tried. */
  readonly packageName: string;
  /** The tfjs backend it provides. */
  readonly backend: BackendName;
  /** True when this candidate became the active backend. */
  readonly selected: boolean;
  /** Why it was or was not chosen. */
  readonly reason: string;
}

/** The backend now active and how it was chosen. */
export interface BackendSelection {
  /** The active tfjs backend. */
  readonly backend: BackendName;
  /** The package providing it. */
  readonly packageName: string;
  /** Worker threads the backend computes with (1 for cpu and single-threaded wasm). */
  readonly threads: number;
  /** The preference that was applied and where it came from. */
  readonly preference: BackendPreference;
  /** Every candidate tried, in order. */
  readonly attempts: readonly BackendAttempt[];
  /** Set when the threaded wasm build was tried first and abandoned for the backend above. */
  readonly fallback?: BackendFallback;
  /** One line for logs and run metadata. */
  readonly summary: string;
}

/** A backend given up for the one selected, and why. */
export interface BackendFallback {
  /** What was tried first: the threaded SIMD build of the wasm backend. */
  readonly from: 'wasm-threads';
  /** Why it was given up (it failed, or did not start within the time allowed). */
  readonly reason: string;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Backend to use; `undefined` falls back to the default. @default process.env.POLYTASK_BACKEND ?? 'auto' */
  readonly preference?: string | undefined;
  /**
   * Threads for the wasm backend; 1 loads the single-threaded SIMD build.
   * @default process.env.POLYTASK_THREADS, else min(available cores, 4) when at least 2 cores
   */
  readonly threads?: number;
  /**
   * How long the threaded wasm build may take to start before it is abandoned for the
   * single-threaded build (reported as `fallback`), in milliseconds.
   * @default 30_000 (under full load on two cores: median 1.0 s, 90% within 3.2 s, slowest 5.3 s in 200 starts)
   */
  readonly threadedStartTimeoutMs?: number;
  /** Receives the one-line report. @default console.info */
  readonly log?: (line: string) => void;
  /** Loads candidate packages. @default import next to this package, then from process.cwd() */
  readonly importModule?: ModuleImporter;
}

interface Candidate {
  readonly packageName: string;
  readonly backend: BackendName;
}

const candidates: readonly Candidate[] = [
  { packageName: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow' },
  { packageName: '@tensorflow/tfjs-node', backend: 'tensorflow' },
  { packageName: '@tensorflow/tfjs-backend-wasm', backend: 'wasm' },
  { packageName: '@tensorflow/tfjs-backend-cpu', backend: 'cpu' },
];

let active: Promise<BackendSelection> | undefined;
let activePreference: BackendPreference | undefined;

function parsePreference(value: string): BackendPreference {
  const normalised = value.trim().toLowerCase();
  if ((backendPreferences as readonly string[]).includes(normalised)) return normalised as BackendPreference;
  throw new InvalidArgumentError({
    argument: 'POLYTASK_BACKEND',
    value,
    message: `Unknown backend "${value}"; use one of ${backendPreferences.join(', ')} (POLYTASK_BACKEND or the preference option).`,
  });
}

function parseThreads(value: number | string | undefined): number {
  if (value === undefined || value === '') {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return cores >= 2 ? Math.min(cores, 4) : 1;
  }
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InvalidArgumentError({
      argument: 'threads',
      value,
      message: `Thread count ${JSON.stringify(value)} is not an integer from 1 to 64 (POLYTASK_THREADS or the threads option).`,
    });
  }
  return threads;
}

function parseTimeout(value: number | undefined): number {
  if (value === undefined) return defaultThreadedStartTimeoutMs;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({
      argument: 'threadedStartTimeoutMs',
      value,
      message: `threadedStartTimeoutMs ${JSON.stringify(value)} is not a positive number of milliseconds.`,
    });
  }
  return value;
}

/** Loads a module by specifier; replaceable in tests. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const importNextToThisPackage: ModuleImporter = (specifier) => importOptional(specifier, (name) => import(name), 'training');

function describe(error: unknown): string {
  if (MissingDependencyError.isInstance(error)) return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).slice(0, 200);
}

interface CandidateOutcome {
  readonly ok: boolean;
  readonly reason: string;
  readonly threads: number;
  readonly fallback?: BackendFallback;
}

interface WasmModule {
  setThreadsCount(count: number): void;
  getThreadsCount(): number;
}

async function tryCandidate(
  candidate: Candidate,
  importModule: ModuleImporter,
  threads: number,
  threadedStartTimeoutMs: number,
): Promise<CandidateOutcome> {
  try {
    if (candidate.backend === 'wasm')
      return await startWasm((await importModule(candidate.packageName)) as WasmModule, threads, threadedStartTimeoutMs);
    await importModule(candidate.packageName);
    if (!tf.findBackendFactory(candidate.backend))
      return { ok: false, reason: `loaded but registered no "${candidate.backend}" backend`, threads: 1 };
    const started = await tf.setBackend(candidate.backend);
    return started
      ? { ok: true, reason: candidate.backend === 'cpu' ? 'pure JavaScript, single thread' : 'native libtensorflow', threads: 1 }
      : { ok: false, reason: 'failed to initialise', threads: 1 };
  } catch (error) {
    if (candidate.backend === 'tensorflow') forgetBackend('tensorflow');
    return { ok: false, reason: describe(error), threads: 1 };
  }
}

/**
 * Starts the threaded build when more than one thread is asked for; if it fails or does not finish
 * within `threadedStartTimeoutMs`, abandons it (its workers terminated, its pending start made
 * obsolete) and starts the single-threaded SIMD build, reporting the fallback.
 */
async function startWasm(wasm: WasmModule, threads: number, threadedStartTimeoutMs: number): Promise<CandidateOutcome> {
  let fallback: BackendFallback | undefined;
  if (threads > 1) {
    const threaded = await startThreadedWasm(wasm, threads, threadedStartTimeoutMs);
    if (threaded.ok) return threaded;
    fallback = Object.freeze({ from: 'wasm-threads', reason: threaded.reason });
    resetWasmBackend();
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  const started = await tf.setBackend('wasm');
  if (!started)
    return {
      ok: false,
      reason: fallback ? `${fallback.reason}; single-threaded build failed to initialise` : 'failed to initialise',
      threads: 1,
      ...(fallback && { fallback }),
    };
  registerWasmTrainingKernels();
  return { ok: true, reason: 'SIMD', threads: 1, ...(fallback && { fallback }) };
}

async function startThreadedWasm(wasm: WasmModule, threads: number, timeoutMs: number): Promise<CandidateOutcome> {
  const began = Date.now();
  const start = startWasmThreads({ tf, setThreadsCount: wasm.setThreadsCount, threads });
  let started: boolean | 'timeout';
  try {
    started = await withStartTimeout(tf.setBackend('wasm'), timeoutMs);
  } catch (error) {
    await start.finish({ abandon: true });
    return { ok: false, reason: `threaded build failed to initialise: ${describe(error)}`, threads: 1 };
  }
  await start.finish({ abandon: started !== true });
  if (started === 'timeout') return { ok: false, reason: `threaded build did not start within ${timeoutMs / 1000} s`, threads: 1 };
  if (!started) return { ok: false, reason: 'threaded build failed to initialise', threads: 1 };
  registerWasmTrainingKernels();
  const actualThreads = wasm.getThreadsCount();
  // the native kernel workers get what is left of the start's time (at least a second)
  if (actualThreads > 1) await startNativeThreadPool(tf.backend(), actualThreads, Math.max(1_000, timeoutMs - (Date.now() - began)));
  return { ok: true, reason: actualThreads > 1 ? 'SIMD, threaded' : 'SIMD', threads: actualThreads };
}

/**
 * Makes a pending or failed wasm start obsolete (tfjs ignores its result if it ever settles) and
 * registers the wasm factory afresh, so the next `setBackend('wasm')` initialises a new module.
 */
function resetWasmBackend(): void {
  const factory = tf.findBackendFactory('wasm');
  if (!factory) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, wasmPriority);
}

/** The priority `@tensorflow/tfjs-backend-wasm` registers itself with. */
const wasmPriority = 2;

/** The threaded start's limit when no option sets it: about six times its slowest start measured under full load. */
export const defaultThreadedStartTimeoutMs = 30_000;

/**
 * Waits for a backend start with a referenced timer, so a start that never settles (a worker
 * that never reports loaded) ends in a reported failure instead of the process exiting with
 * nothing pending.
 */
async function withStartTimeout(start: Promise<boolean>, milliseconds: number): Promise<boolean | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), milliseconds);
  });
  try {
    return await Promise.race([start, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removes what a failed candidate registered, so the next one starts clean. */
function forgetBackend(name: BackendName): void {
  for (const kernel of tf.getKernelsForBackend(name)) tf.unregisterKernel(kernel.kernelName, name);
  if (tf.findBackendFactory(name)) tf.removeBackend(name);
}

interface SelectSettings {
  readonly preference: BackendPreference;
  readonly threads: number;
  readonly threadedStartTimeoutMs: number;
  readonly importModule: ModuleImporter;
  readonly log: (line: string) => void;
}

async function select(settings: SelectSettings): Promise<BackendSelection> {
  const { preference, threads, threadedStartTimeoutMs, importModule, log } = settings;
  const attempts: BackendAttempt[] = [];
  let fallback: BackendFallback | undefined;
  for (const candidate of candidates) {
    if (preference !== 'auto' && candidate.backend !== preference) continue;
    const outcome = await tryCandidate(candidate, importModule, threads, threadedStartTimeoutMs);
    fallback ??= outcome.fallback;
    attempts.push({ packageName: candidate.packageName, backend: candidate.backend, selected: outcome.ok, reason: outcome.reason });
    if (!outcome.ok) continue;
    const skipped = attempts.filter((attempt) => !attempt.selected).map((attempt) => `${attempt.packageName}: ${attempt.reason}`);
    const summary =
      `polytask: backend ${candidate.backend} (${candidate.packageName}, ${outcome.reason}, ${outcome.threads} thread${outcome.threads === 1 ? '' : 's'})` +
      (preference === 'auto' ? '' : ', forced by POLYTASK_BACKEND/preference') +
      (fallback ? `; fell back from the threaded wasm build: ${fallback.reason}` : '') +
      (skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : '');
    log(summary);
    return Object.freeze({
      backend: candidate.backend,
      packageName: candidate.packageName,
      threads: outcome.threads,
      preference,
      attempts: Object.freeze(attempts),
      ...(fallback && { fallback }),
      summary,
    });
  }
  const tried = attempts.map((attempt) => `${attempt.packageName}: ${attempt.reason}`).join('; ');
  throw new BackendUnavailableError({
    backend: preference,
    message:
      preference === 'auto'
        ? `No tfjs backend could start (${tried}). Install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu.`
        : `Backend "${preference}" was requested but cannot start (${tried}). Install its package, or unset POLYTASK_BACKEND to fall back automatically.`,
  });
}

/**
 * Activates the best available backend (or the forced one) and reports it once.
 * Later calls with the same preference return the same selection without reloading
 * (unless `importModule` is given).
 * @throws BackendUnavailableError when the requested backend, or every backend, fails.
 * @throws InvalidArgumentError for an unknown preference or thread count.
 * @example const { backend, summary } = await selectBackend(); // 'wasm' on a CPU-only machine
 */
export function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const preference = parsePreference(options.preference ?? process.env.POLYTASK_BACKEND ?? 'auto');
  const threads = parseThreads(options.threads ?? process.env.POLYTASK_THREADS);
  const threadedStartTimeoutMs = parseTimeout(options.threadedStartTimeoutMs);
  const log = options.log ?? ((line: string) => console.info(line));
  const settings = { preference, threads, threadedStartTimeoutMs, log };
  // A custom importer (tests, embedding hosts) always selects afresh.
  if (options.importModule) return select({ ...settings, importModule: options.importModule });
  if (active && activePreference === preference) return active;
  activePreference = preference;
  active = select({ ...settings, importModule: importNextToThisPackage });
  active.catch(() => {
    active = undefined;
    activePreference = undefined;
  });
  return active;
}
