/**
 * Loads the SIMD training kernels (native/training-kernels.c, compiled to WebAssembly) into the
 * memory of a `@tensorflow/tfjs-backend-wasm` instance, so they read and write tensors in place.
 * Returns undefined where that is impossible (no WebAssembly SIMD, or a backend whose memory is
 * not reachable); callers then keep tfjs's own kernels.
 */
import v8 from 'node:v8';
import type * as tf from '@tensorflow/tfjs-core';
import { plainKernelsBase64, plainRelaxedKernelsBase64, sharedKernelsBase64, sharedRelaxedKernelsBase64 } from './native-kernels-binary';

/** A WebAssembly memory (typed here because the project's `lib` has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The WebAssembly API used here. */
const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (descriptor: { initial: number }) => WasmMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: object };
      validate(bytes: Uint8Array): boolean;
    };
  }
).WebAssembly;

/** The parts of the wasm backend the kernels use. */
export interface WasmBackendInternals {
  wasm: {
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    wasmMemory?: WasmMemory;
    asm?: { memory?: WasmMemory };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): void;
}

/** The exported functions of the kernels module; pointers are byte offsets in the backend's memory. */
export interface NativeKernels {
  transpose_batched(input: number, output: number, batch: number, rows: number, columns: number): void;
  sum_leading(input: number, output: number, rows: number, columns: number, scale: number): void;
  max_pool(...parameters: number[]): void;
  max_pool_grad(...parameters: number[]): void;
  adam_update(...parameters: number[]): void;
  conv2d_filter_grad(...parameters: number[]): void;
  matmul(...parameters: number[]): void;
  matmul_claimed(...parameters: number[]): void;
  pack_right(packedRight: number, right: number, rowStride: number, columnStride: number, columns: number, depth: number): void;
  relu(input: number, output: number, size: number): void;
  binary_blocks(
    operation: number,
    full: number,
    small: number,
    output: number,
    outer: number,
    middle: number,
    inner: number,
    swap: number,
  ): void;
  softmax(logits: number, output: number, rows: number, columns: number): void;
  relu_grad(dy: number, x: number, dx: number, size: number): void;
  step(input: number, output: number, size: number, alpha: number): void;
  conv2d_winograd(...parameters: number[]): void;
  conv2d_single_channel(...parameters: number[]): void;
  batch_norm(...parameters: number[]): void;
  centred_product_sum(dy: number, x: number, mean: number, output: number, rows: number, channels: number): void;
}

const loaded = new WeakMap<object, { module: object; kernels: NativeKernels } | null>();

function decode(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

let relaxedSimd: boolean | undefined;

/**
 * Whether the relaxed-SIMD kernels (fused multiply-add in the products: about a quarter faster on
 * CPUs with FMA) are used: wherever the engine compiles them, unless `POLYTASK_RELAXED_SIMD=0`.
 * Results stay the same from process to process on one machine: V8 fuses the multiply-add in its
 * baseline and optimising tiers alike (tested: a product's bits before and after tier-up), and
 * every product of a kind takes one path (see wasm-training-kernels). Another CPU (one without
 * FMA, or another architecture) may round differently in the last bits. Node 20's V8 (11.3) has
 * relaxed SIMD behind `--experimental-wasm-relaxed-simd`, switched on here when needed, before the
 * module is compiled; V8 11.4 and later have it on by default.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSimd !== undefined) return relaxedSimd;
  relaxedSimd = false;
  if (process.env.POLYTASK_RELAXED_SIMD === '0') return relaxedSimd;
  const probe = decode(plainRelaxedKernelsBase64);
  try {
    if (!WebAssemblyApi.validate(probe)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedSimd = WebAssemblyApi.validate(probe);
  } catch {
    relaxedSimd = false;
  }
  return relaxedSimd;
}

/**
 * The backend's kernels module, instantiated once per backend; undefined where it cannot load
 * or when `POLYTASK_NATIVE_KERNELS=0` (read at that first use) asks for tfjs's own kernels.
 */
export function nativeKernels(backend: unknown): NativeKernels | undefined {
  return nativeKernelsModule(backend)?.kernels;
}

/** The compiled kernels module and its instance on the backend's memory (for worker threads). */
export function nativeKernelsModule(backend: unknown): { module: object; kernels: NativeKernels } | undefined {
  const internals = backend as WasmBackendInternals;
  const cached = loaded.get(internals);
  if (cached !== undefined) return cached ?? undefined;
  let result: { module: object; kernels: NativeKernels } | null = null;
  const memory = internals.wasm?.wasmMemory ?? internals.wasm?.asm?.memory;
  if (memory instanceof WebAssemblyApi.Memory && process.env.POLYTASK_NATIVE_KERNELS !== '0') {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    try {
      const relaxed = relaxedSimdAvailable();
      const base64 = shared
        ? relaxed
          ? sharedRelaxedKernelsBase64
          : sharedKernelsBase64
        : relaxed
          ? plainRelaxedKernelsBase64
          : plainKernelsBase64;
      const module = new WebAssemblyApi.Module(decode(base64));
      const kernels = new WebAssemblyApi.Instance(module, { env: { memory } }).exports as unknown as NativeKernels;
      result = { module, kernels };
    } catch {
      result = null;
    }
  }
  loaded.set(internals, result);
  return result ?? undefined;
}

/** The byte offset of a tensor's data in the backend's memory. */
export function offsetOf(backend: unknown, tensor: tf.TensorInfo): number {
  const entry = (backend as WasmBackendInternals).dataIdMap.get(tensor.dataId);
  if (!entry) throw new Error('tensor is not on the wasm backend');
  return entry.memoryOffset;
}

/** Sets the 32-bit integer at byte offset `pointer` of the backend's memory. */
export function storeInteger(backend: unknown, pointer: number, value: number): void {
  const { wasm } = backend as WasmBackendInternals;
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  if (!memory) throw new Error('the wasm backend exposes no memory');
  new Int32Array(memory.buffer, pointer, 1)[0] = value;
}

/** Allocates scratch memory on the backend's heap for the duration of `use`. */
export function withScratch<T>(backend: unknown, bytes: number, use: (pointer: number) => T): T {
  const { wasm } = backend as WasmBackendInternals;
  const pointer = wasm._malloc(bytes) >>> 0;
  try {
    return use(pointer);
  } finally {
    wasm._free(pointer);
  }
}
