/**
 * Runs the native kernels on several threads when the wasm backend is the threaded build: each
 * worker instantiates the kernels module on the backend's shared memory, so a kernel call split
 * into shares (ranges of tiles or pixels) runs on the calling thread and the workers together:
 * every thread claims the next share from a shared counter until none are left, so a thread that
 * starts late or runs slower takes fewer (a share's result does not depend on which thread ran it).
 * Between calls a worker spins for a while before it sleeps in `Atomics.wait`, and the calling
 * thread spins while it waits for the workers' shares (as OpenMP's threads do): waking a sleeping
 * thread costs about 0.1 ms on a virtual machine (measured here: 90-110 µs a round trip after a
 * pause, 5-12 µs when both sides spin), as long as a small kernel takes. Workers never keep the
 * process alive.
 */
import { Worker } from 'node:worker_threads';
import { type NativeKernels, nativeKernelsModule, type WasmBackendInternals } from './native-kernels';

/** Splits native kernel calls over the calling thread and the pool's workers. */
export interface NativeThreadPool {
  /** Threads in all, the calling one included. */
  readonly threads: number;
  /**
   * Calls the kernel `name` once per share (at most `maximumShares`), the threads claiming shares
   * as they go, and returns when all are done; throws if any share failed.
   */
  run(name: keyof NativeKernels, shares: readonly (readonly number[])[]): void;
}

interface WorkerSlot {
  worker: Worker;
  state: Int32Array;
}

const idle = 0;
const busy = 1;
const failed = 2;
const maximumArguments = 32;
/** Shares one call may have. */
export const maximumShares = 64;
/**
 * How long a thread spins before it sleeps, in milliseconds: a worker after its shares (the next
 * call of a training step comes within it), the calling thread while a worker's share runs.
 * `POLYTASK_NATIVE_SPIN_MS` overrides it (0: always sleep).
 */
const spinMilliseconds = spinFromEnvironment(process.env.POLYTASK_NATIVE_SPIN_MS, 1);

function spinFromEnvironment(value: string | undefined, fallback: number): number {
  const parsed = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

// Plain JavaScript evaluated in each worker: wait for a call, claim and run shares until none are
// left, report, repeat. call[0]: the kernel's index, call[1]: the share count, call[2]: the next
// share to claim; lengths[i] and values[i * maximumArguments ...]: share i's arguments.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { memory, module, names, control, call, lengths, values, spin } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const state = new Int32Array(control);
const calls = new Int32Array(call);
const lengthOf = new Int32Array(lengths);
const argumentsOf = new Float64Array(values);
parentPort.postMessage('ready');
for (;;) {
  let current;
  if (spin > 0) {
    const started = performance.now();
    while (Atomics.load(state, 0) !== ${busy} && performance.now() - started < spin) {}
  }
  while ((current = Atomics.load(state, 0)) !== ${busy}) Atomics.wait(state, 0, current);
  try {
    const kernel = kernels[names[calls[0]]];
    const count = calls[1];
    for (let share = Atomics.add(calls, 2, 1); share < count; share = Atomics.add(calls, 2, 1)) {
      const at = share * ${maximumArguments};
      kernel(...argumentsOf.subarray(at, at + lengthOf[share]));
    }
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
  // one call at a time: its kernel, share count and claim counter, and the shares' arguments
  const call = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const lengths = new SharedArrayBuffer(maximumShares * Int32Array.BYTES_PER_ELEMENT);
  const values = new SharedArrayBuffer(maximumShares * maximumArguments * Float64Array.BYTES_PER_ELEMENT);
  try {
    for (let index = 1; index < threads; index++) {
      const control = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
      const worker = new Worker(workerSource, {
        eval: true,
        workerData: { memory, module: loaded.module, names, control, call, lengths, values, spin: spinMilliseconds },
      });
      slots.push({ worker, state: new Int32Array(control) });
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
  const calls = new Int32Array(call);
  const lengthOf = new Int32Array(lengths);
  const argumentsOf = new Float64Array(values);
  pools.set(backend as object, {
    threads,
    run(name, shares) {
      if (shares.length > maximumShares) throw new RangeError(`at most ${maximumShares} shares per call, got ${shares.length}`);
      shares.forEach((share, index) => {
        if (share.length > maximumArguments) throw new RangeError(`at most ${maximumArguments} arguments per share`);
        argumentsOf.set(share, index * maximumArguments);
        lengthOf[index] = share.length;
      });
      calls[0] = names.indexOf(name);
      calls[1] = shares.length;
      Atomics.store(calls, 2, 0);
      // as many workers as there are shares beyond this thread's first
      const used = slots.slice(0, shares.length - 1);
      for (const slot of used) {
        Atomics.store(slot.state, 0, busy);
        Atomics.notify(slot.state, 0);
      }
      let failure: unknown;
      try {
        const kernel = kernels[name] as (...values: number[]) => void;
        for (let share = Atomics.add(calls, 2, 1); share < shares.length; share = Atomics.add(calls, 2, 1))
          kernel(...(shares[share] as readonly number[]));
      } catch (error) {
        failure = error;
        // no further shares for the workers either
        Atomics.store(calls, 2, shares.length);
      }
      for (const slot of used) {
        if (spinMilliseconds > 0) {
          const started = performance.now();
          while (Atomics.load(slot.state, 0) === busy && performance.now() - started < spinMilliseconds) {}
        }
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
