/**
 * Enables the multi-threaded SIMD build of `@tensorflow/tfjs-backend-wasm` 4.22 in Node.
 * The stock backend disables threads under Node (tfjs#3830) because its pthread worker
 * is handed over as a `blob:` URL, which Node's Worker refuses, and the C++ side caps
 * threads at half the reported cores. This shim writes the worker sources to a temporary
 * folder, hands Node a file path instead, and reports enough cores while the backend
 * initialises. It also keeps hold of the pthread workers the start creates, so a start that
 * is abandoned can end them. Nothing in node_modules is changed. Measured in shared/notes/backend.md.
 */

import type { Blob as NodeBlobClass } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';

type BlobParts = ConstructorParameters<typeof NodeBlobClass>[0];
type BlobOptions = ConstructorParameters<typeof NodeBlobClass>[1];

interface TfEnvironment {
  env(): { set(flag: string, value: unknown): void };
}

/** A threaded start in progress: end it once `tf.setBackend('wasm')` has settled or been given up. */
export interface ThreadedStart {
  /**
   * Restores `os.cpus()` and the global `Worker`, and unreferences the pthread workers so they never
   * keep the process alive. With `abandon` (a start that did not finish in time), terminates every
   * pthread worker this start created instead, and waits until they have exited.
   */
  finish(options?: { abandon?: boolean }): Promise<void>;
}

let installed: { directory: string } | undefined;
/**
 * Test seam: with this variable set to 1, every pthread worker of a threaded start blocks before it
 * loads, as a worker that never reports loaded would, so the start never finishes. Its source
 * differs, so it is written under its own content hash and never replaces the real one.
 */
export const workersNeverLoadVariable = 'POLYTASK_TEST_WASM_WORKERS_NEVER_LOAD';

/** A temporary file of a writer that is gone (killed between write and rename) is removed after this long. */
const staleTemporaryMs = 10 * 60_000;

/** The per-user folder the worker sources are written to (one for every process and start). */
export function wasmThreadsDirectory(): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  return path.join(os.tmpdir(), `polytask-wasm-${user}`);
}

function hashOf(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files left by writers that were killed between write and rename: those of
 * processes no longer running, and any older than ten minutes. A live writer's file is left alone.
 */
function removeStaleTemporaryFiles(directory: string): void {
  for (const name of readdirSync(directory)) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(directory, name);
    const pid = Number(name.split('.').at(-3));
    try {
      const old = Date.now() - statSync(file).mtimeMs > staleTemporaryMs;
      if (old || !Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && !isRunning(pid))) rmSync(file, { force: true });
    } catch {
      // another process removed or renamed it first
    }
  }
}

/**
 * Writes `source` once to a file named after its hash and returns the path. A file is never
 * rewritten in place: the source goes to a unique temporary name and is renamed over, so a
 * worker (of this process or another) starting at the same moment reads the whole file or
 * none, never a truncated one (an empty worker script never reports loaded: the start hung).
 * A file already there is used only if its content matches its name; anything else (damaged
 * outside this code) is replaced the same way.
 */
function writeOnce(directory: string, stem: string, source: string): string {
  const file = path.join(directory, `${stem}-${hashOf(source)}.js`);
  try {
    if (readFileSync(file, 'utf8') === source) return file;
  } catch {
    // not written yet
  }
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(temporary, source, { mode: 0o600 });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
  return file;
}

/**
 * Installs the Blob and URL.createObjectURL patches (once per process) so the threaded module
 * and its worker load from files, sets the thread count, temporarily widens `os.cpus()` and
 * records the pthread workers created until `finish`. Call before `tf.setBackend('wasm')`.
 */
export function startWasmThreads(options: { tf: TfEnvironment; setThreadsCount: (count: number) => void; threads: number }): ThreadedStart {
  const { tf, setThreadsCount, threads } = options;
  if (!installed) {
    const directory = wasmThreadsDirectory();
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    removeStaleTemporaryFiles(directory);
    let mainFile = path.join(directory, 'main.js');
    const NodeBlob = globalThis.Blob as unknown as typeof NodeBlobClass;
    const originalCreateObjectUrl = URL.createObjectURL.bind(URL);
    class SourceBlob extends NodeBlob {
      workerSource?: string;
      constructor(parts?: BlobParts, blobOptions?: BlobOptions) {
        super(parts ?? [], blobOptions);
        const source = parts?.every((part) => typeof part === 'string') ? (parts as string[]).join('') : undefined;
        if (source?.startsWith('var WasmBackendModuleThreadedSimd')) {
          mainFile = writeOnce(
            directory,
            'main',
            "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks')," +
              "require$$4=require('os'),commonjsGlobal=globalThis;\n" +
              source,
          );
        } else if (source?.includes('WasmBackendModuleThreadedSimd(Module)')) {
          this.workerSource = source;
        }
      }
    }
    globalThis.Blob = SourceBlob as unknown as typeof globalThis.Blob;
    URL.createObjectURL = (blob: NodeBlobClass) => {
      const workerSource = (blob as SourceBlob | undefined)?.workerSource;
      if (workerSource === undefined) return originalCreateObjectUrl(blob);
      const block = process.env[workersNeverLoadVariable] === '1' ? 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0);\n' : '';
      return writeOnce(
        directory,
        'worker',
        `${block}URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};\n${workerSource}`,
      );
    };
    installed = { directory };
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const originalCpus = os.cpus;
  const cpus = originalCpus();
  os.cpus = () => Array.from({ length: Math.max(2 * threads, cpus.length) }, () => cpus[0] as os.CpuInfo);
  const workers = recordWorkers();
  return {
    async finish(finishOptions = {}) {
      os.cpus = originalCpus;
      const created = workers.stop();
      if (!finishOptions.abandon) {
        // the glue references a worker again while it runs a pthread (XNNPACK's pool threads)
        for (const worker of created) worker.unref();
        return;
      }
      // a worker that never loaded is still referenced and would keep the process alive
      await Promise.all(created.map((worker) => worker.terminate().catch(() => undefined)));
    },
  };
}

/**
 * Emscripten's Node glue assigns `worker_threads.Worker` to the global `Worker` and creates its
 * pthread pool with `new Worker(file)`. Until `stop`, the global is an accessor: what the glue
 * assigns is kept, and what it constructs is a subclass that records each worker. `stop` puts a
 * plain property back (the glue's value, or what was there before).
 */
function recordWorkers(): { stop(): NodeWorker[] } {
  const created: NodeWorker[] = [];
  const global = globalThis as { Worker?: unknown };
  const before = Object.getOwnPropertyDescriptor(global, 'Worker');
  let assigned: unknown = before?.value;
  let recording: unknown;
  const recorderFor = (value: unknown) => {
    if (typeof value !== 'function') return value;
    const Base = value as typeof NodeWorker;
    return class RecordedWorker extends Base {
      constructor(...parameters: ConstructorParameters<typeof NodeWorker>) {
        super(...parameters);
        created.push(this);
      }
    };
  };
  recording = recorderFor(assigned);
  Object.defineProperty(global, 'Worker', {
    configurable: true,
    enumerable: before?.enumerable ?? true,
    get: () => recording,
    set: (value: unknown) => {
      assigned = value;
      recording = recorderFor(value);
    },
  });
  return {
    stop() {
      if (assigned === undefined && before === undefined) delete global.Worker;
      else
        Object.defineProperty(global, 'Worker', {
          configurable: true,
          enumerable: before?.enumerable ?? true,
          writable: true,
          value: assigned,
        });
      return created;
    },
  };
}
