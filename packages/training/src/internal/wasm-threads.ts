/**
 * Enables the multi-threaded SIMD build of `@tensorflow/tfjs-backend-wasm` 4.22 in Node.
 * The stock backend disables threads under Node (tfjs#3830) because its pthread worker
 * is handed over as a `blob:` URL, which Node's Worker refuses, and the C++ side caps
 * threads at half the reported cores. This shim writes the worker sources to a temporary
 * folder, hands Node a file path instead, and reports enough cores while the backend
 * initialises. Nothing in node_modules is changed. Measured in shared/notes/backend.md.
 */

import type { Blob as NodeBlobClass } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

/**
 * Patches Blob and URL.createObjectURL so the threaded module and its worker load from
 * files, sets the thread count, and temporarily widens `os.cpus()`. Call before
 * `tf.setBackend('wasm')`; call the returned function after it resolves.
 */
export function enableWasmThreads(options: { tf: TfEnvironment; setThreadsCount: (count: number) => void; threads: number }): () => void {
  const { tf, setThreadsCount, threads } = options;
  if (!installed) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'polytask-wasm-'));
    const mainFile = path.join(directory, 'main.js');
    const NodeBlob = globalThis.Blob as unknown as typeof NodeBlobClass;
    const originalCreateObjectUrl = URL.createObjectURL.bind(URL);
    class SourceBlob extends NodeBlob {
      workerSource?: string;
      constructor(parts?: BlobParts, blobOptions?: BlobOptions) {
        super(parts ?? [], blobOptions);
        const source = parts?.every((part) => typeof part === 'string') ? (parts as string[]).join('') : undefined;
        if (source?.startsWith('var WasmBackendModuleThreadedSimd')) {
          writeFileSync(
            mainFile,
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
      const workerFile = path.join(directory, 'worker.js');
      writeFileSync(workerFile, `URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};\n${workerSource}`);
      return workerFile;
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
