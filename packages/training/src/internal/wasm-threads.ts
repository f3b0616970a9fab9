/**
 * Enables the multi-threaded SIMD build of `@tensorflow/tfjs-backend-wasm` 4.22 in Node.
 * The stock backend disables threads under Node (tfjs#3830) because its pthread worker
 * is handed over as a `blob:` URL, which Node's Worker refuses, and the C++ side caps
 * threads at half the reported cores. This shim writes the worker sources to a temporary
 * folder, hands Node a file path instead, and reports enough cores while the backend
 * initialises. Nothing in node_modules is changed. Measured in shared/notes/backend.md.
 */

import type { Blob as NodeBlobClass } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type BlobParts = ConstructorParameters<typeof NodeBlobClass>[0];
type BlobOptions = ConstructorParameters<typeof NodeBlobClass>[1];

interface TfEnvironment {
  env(): { set(flag: string, value: unknown): void };
  backend(): unknown;
}

interface PThreadPool {
  unusedWorkers: Array<{ unref(): void }>;
  runningWorkers: Array<{ unref(): void }>;
}

let installed: { directory: string } | undefined;

/** The per-user folder the worker sources are written to (one for every process and start). */
export function wasmThreadsDirectory(): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  return path.join(os.tmpdir(), `polytask-wasm-${user}`);
}

/**
 * Writes `source` once to a file named after its hash and returns the path. A file is never
 * rewritten in place: the source goes to a unique temporary name and is renamed over, so a
 * worker (of this process or another) starting at the same moment reads the whole file or
 * none, never a truncated one (an empty worker script never reports loaded: the start hung).
 */
function writeOnce(directory: string, stem: string, source: string): string {
  const file = path.join(directory, `${stem}-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.js`);
  if (existsSync(file)) return file;
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
 * Patches Blob and URL.createObjectURL so the threaded module and its worker load from
 * files, sets the thread count, and temporarily widens `os.cpus()`. Call before
 * `tf.setBackend('wasm')`; call the returned function after it resolves.
 */
export function enableWasmThreads(options: { tf: TfEnvironment; setThreadsCount: (count: number) => void; threads: number }): () => void {
  const { tf, setThreadsCount, threads } = options;
  if (!installed) {
    const directory = wasmThreadsDirectory();
    mkdirSync(directory, { recursive: true, mode: 0o700 });
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
      return writeOnce(
        directory,
        'worker',
        `URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};\n${workerSource}`,
      );
    };
    installed = { directory };
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const originalCpus = os.cpus;
  const cpus = originalCpus();
  os.cpus = () => Array.from({ length: Math.max(2 * threads, cpus.length) }, () => cpus[0] as os.CpuInfo);
  return () => {
    os.cpus = originalCpus;
    // Unreferenced workers let the process exit when the work is done.
    const pool = (tf.backend() as { wasm?: { PThread?: PThreadPool } }).wasm?.PThread;
    for (const worker of [...(pool?.unusedWorkers ?? []), ...(pool?.runningWorkers ?? [])]) worker.unref();
  };
}
