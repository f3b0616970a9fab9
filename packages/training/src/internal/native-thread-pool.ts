/**
 * Runs the native kernels on several threads when the wasm backend is the threaded build: each
 * worker instantiates the kernels module on the backend's shared memory, so a kernel call split
 * into shares (ranges of tiles or pixels) runs one share here and the others on the workers.
 * Workers sleep in `Atomics.wait` between calls and never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { type NativeKernels, nativeKernelsModule, type WasmBackendInternals } from './native-kernels';

/** Splits native kernel calls over the calling thread and the pool's workers. */
export interface NativeThreadPool {
  /** Threads in all, the calling one included. */
  readonly threads: number;
  /**
   * Calls the kernel `name` once per share, share 0 on this thread, and returns when all are done;
   * throws if any share failed.
   */
  run(name: keyof NativeKernels, shares: readonly (readonly number[])[]): void;
}

interface WorkerSlot {
  worker: Worker;
  state: Int32Array;
  values: Float64Array;
}

const idle = 0;
const busy = 1;
const failed = 2;
const maximumArguments = 32;

// Plain JavaScript evaluated in each worker: wait for a call, run it, report, repeat.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { memory, module, names, control, values } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const state = new Int32Array(control);
const argumentsOf = new Float64Array(values);
parentPort.postMessage('ready');
for (;;) {
  let current;
  while ((current = Atomics.load(state, 0)) !== ${busy}) Atomics.wait(state, 0, current);
  try {
    kernels[names[state[1]]](...argumentsOf.subarray(0, state[2]));
    Atomics.store(state, 0, ${idle});
  } catch {
    Atomics.store(state, 0, ${failed});
  }
  Atomics.notify(state, 0);
}
`;

const pools = new WeakMap<object, NativeThreadPool>();

/** The backend's pool, if `startNativeThreadPool` made one. */
export function nativeThreadPool(backend: unknown): NativeThreadPool | undefined {
  return pools.get(backend as object);
}

/**
 * Starts `threads - 1` workers for a threaded wasm backend (shared memory) and waits until they
 * are ready (kernels instantiated, waiting for calls). Does nothing for one thread, a backend
 * without shared memory, or one that has a pool. Workers not ready within `timeoutMs` (all of
 * them together) are terminated and no pool is made: the kernels then run on the calling thread.
 */
export async function startNativeThreadPool(backend: unknown, threads: number, timeoutMs = 30_000): Promise<void> {
  const internals = backend as WasmBackendInternals;
  const memory = internals.wasm?.wasmMemory;
  if (threads < 2 || pools.has(backend as object) || !memory || !(memory.buffer instanceof SharedArrayBuffer)) return;
  const loaded = nativeKernelsModule(backend);
  if (!loaded) return;
  const names = Object.keys(loaded.kernels).sort();
  const slots: WorkerSlot[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`native kernel workers not ready within ${timeoutMs} ms`)), timeoutMs);
  });
  timeout.catch(() => {});
  try {
    for (let index = 1; index < threads; index++) {
      const control = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
      const values = new SharedArrayBuffer(maximumArguments * Float64Array.BYTES_PER_ELEMENT);
      const worker = new Worker(workerSource, { eval: true, workerData: { memory, module: loaded.module, names, control, values } });
      slots.push({ worker, state: new Int32Array(control), values: new Float64Array(values) });
      // Ready, not merely online: otherwise the caller may go on (and the process end) while the
      // worker is still bootstrapping, and Node terminates it mid-start.
      const ready = new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`native kernel worker exited with code ${code} before it was ready`)));
      });
      await Promise.race([ready, timeout]);
      worker.unref();
      // a worker that dies later leaves the pool: its shares then run here
      const leave = () => {
        const position = slots.findIndex((slot) => slot.worker === worker);
        if (position >= 0) slots.splice(position, 1);
      };
      worker.on('error', leave);
      worker.on('exit', leave);
    }
  } catch {
    // no pool: the kernels run on the calling thread (XNNPACK's threads still serve convolutions)
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    return;
  } finally {
    clearTimeout(timer);
  }
  const kernels = loaded.kernels as unknown as Record<string, (...values: number[]) => void>;
  pools.set(backend as object, {
    threads,
    run(name, shares) {
      const index = names.indexOf(name);
      const used = slots.slice(0, shares.length - 1);
      // shares beyond the live workers run here, after share 0
      const local = [shares[0] ?? [], ...shares.slice(used.length + 1)];
      used.forEach((slot, position) => {
        const share = shares[position + 1] as readonly number[];
        slot.values.set(share);
        slot.state[1] = index;
        slot.state[2] = share.length;
        Atomics.store(slot.state, 0, busy);
        Atomics.notify(slot.state, 0);
      });
      let failure: unknown;
      try {
        for (const share of local) (kernels[name] as (...values: number[]) => void)(...share);
      } catch (error) {
        failure = error;
      }
      for (const slot of used) {
        while (Atomics.load(slot.state, 0) === busy) Atomics.wait(slot.state, 0, busy);
        if (Atomics.load(slot.state, 0) === failed) {
          Atomics.store(slot.state, 0, idle);
          failure ??= new Error(`native kernel ${name} failed on a worker thread`);
        }
      }
      if (failure) throw failure;
    },
  });
}
