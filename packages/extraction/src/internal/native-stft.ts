/**
 * The float64 STFT kernels (native/stft-kernels.c, compiled to WebAssembly with SIMD and
 * committed as native-stft-binary.ts). Two frames ride in the two lanes of each f64x2 vector
 * through a radix-4 float64 FFT, the power spectrum, the sparse mel product and the logarithms,
 * so each frame gets the arithmetic of a scalar float64 FFT: the same librosa tolerances as the
 * fft.js path, 2-3× faster end to end (README, Speed). Instantiated synchronously on first use (Node compiles modules
 * of any size synchronously), or ahead of time by {@link loadNativeStft}. Where WebAssembly SIMD
 * is missing, or `POLYTASK_NATIVE_STFT=0` (read at first use), {@link nativeStft} returns
 * undefined and the callers keep the pure-JavaScript path.
 */
import type { ResolvedSpectrogramOptions } from '../spectrogram';
import { createWindow } from '../window';
import { stftKernelsBase64 } from './native-stft-binary';

/** A WebAssembly memory (typed here because the project's `lib` has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The exports of the kernels module; pointers are byte offsets in its memory. */
interface StftExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  stft_bands(...parameters: number[]): void;
  stft_power(...parameters: number[]): void;
  decibels(values: number, count: number, minimum: number, offset: number): number;
  natural_logs(values: number, count: number, offset: number): void;
}

/** The WebAssembly API used here. */
const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly?: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: object };
      compile(bytes: Uint8Array): Promise<object>;
    };
  }
).WebAssembly;

/** Where the padded signal comes from: frame f covers samples f · hopLength .. f · hopLength + fftSize - 1. */
export interface FrameSource {
  readonly frames: number;
  readonly hopLength: number;
  /** Writes samples `first .. first + target.length - 1` of the padded signal into `target`. */
  readonly read: (target: Float32Array, first: number) => void;
}

/** The STFT settings the kernels depend on. */
export type NativeSpectrumOptions = Pick<ResolvedSpectrogramOptions, 'fftSize' | 'window' | 'windowLength'>;

/** Sparse band weights: band b weighs bins firstBin[b] + i by weights[start[b] + i], i < start[b + 1] - start[b]. */
export interface BandWeights {
  readonly firstBin: Int32Array;
  readonly start: Int32Array;
  readonly weights: Float64Array;
}

/** The kernels, bound to their memory. */
export interface NativeStft {
  /** Band powers `[frames, bands]` into `target` (float64). */
  bandPower(source: FrameSource, options: NativeSpectrumOptions, bands: BandWeights, target: Float64Array): void;
  /** Power (or, with `magnitude`, magnitude) spectrum `[frames, fftSize / 2 + 1]` into `target`. */
  spectrum(source: FrameSource, options: NativeSpectrumOptions, magnitude: boolean, target: Float32Array | Float64Array): void;
  /** In place `10 log10(max(minimumPower, x)) - offset`; returns the largest result (NaN is skipped). */
  decibels(values: Float64Array, minimumPower: number, offset: number): number;
  /** In place `ln(x + offset)`. */
  naturalLogs(values: Float64Array, offset: number): void;
}

/** At most this many samples or output values go through the module's memory per call (32 MiB of float64). */
const chunkValues = 1 << 22;

const isPowerOfTwo = (value: number) => value >= 2 && (value & (value - 1)) === 0;

/** True when the kernels handle this FFT size (powers of two). */
export function nativeStftSupports(fftSize: number): boolean {
  return Number.isInteger(fftSize) && isPowerOfTwo(fftSize) && fftSize <= 1 << 24;
}

/** Byte offsets of one FFT size's tables in the module's memory. */
interface Plan {
  readonly window: number;
  readonly reverse: number;
  readonly twiddles: number;
  readonly post: number;
  readonly work: number;
  readonly power: number;
}

/** Bump allocation: plans stay for the module's lifetime; scratch space is reused by every call. */
function createHeap(memory: WasmMemory, base: number) {
  let permanentTop = base;
  const ensure = (end: number) => {
    const missing = end - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  };
  const align = (offset: number) => Math.ceil(offset / 16) * 16;
  return {
    /** Reserves `bytes` for good. */
    permanent(bytes: number): number {
      const offset = align(permanentTop);
      permanentTop = offset + bytes;
      ensure(permanentTop);
      return offset;
    },
    /** Lays out scratch blocks of these sizes (valid until the next call). */
    scratch(...sizes: number[]): number[] {
      let top = align(permanentTop);
      const offsets = sizes.map((bytes) => {
        const offset = top;
        top = align(offset + bytes);
        return offset;
      });
      ensure(top);
      return offsets;
    },
  };
}

/** The twiddle factors of the radix-4 stages after the first (which needs none), in the order radix4_stages reads them. */
function stageTwiddles(half: number): Float64Array {
  const stages: number[] = [];
  for (let span = Math.log2(half) % 2 === 1 ? 2 : 4; 4 * span <= half; span *= 4) stages.push(span);
  const table = new Float64Array(Math.max(1, 6 * stages.reduce((sum, span) => sum + span, 0)));
  let index = 0;
  for (const span of stages) {
    for (let k = 0; k < span; k++) {
      for (let multiple = 1; multiple <= 3; multiple++) {
        const angle = (2 * Math.PI * multiple * k) / (4 * span);
        table[index++] = Math.cos(angle);
        table[index++] = Math.sin(angle);
      }
    }
  }
  return table;
}

function bitReversal(half: number): Int32Array {
  const bits = Math.log2(half);
  const table = new Int32Array(half);
  for (let index = 0; index < half; index++) {
    let reversed = 0;
    for (let bit = 0; bit < bits; bit++) if (index & (1 << bit)) reversed |= 1 << (bits - 1 - bit);
    table[index] = reversed;
  }
  return table;
}

function createPlan(heap: ReturnType<typeof createHeap>, memory: WasmMemory, options: NativeSpectrumOptions): Plan {
  const { fftSize } = options;
  const half = fftSize / 2;
  const window = new Float64Array(fftSize);
  window.set(createWindow(options.window, options.windowLength, true), Math.floor((fftSize - options.windowLength) / 2));
  const twiddles = stageTwiddles(half);
  const post = new Float64Array(2 * (half + 1));
  for (let k = 0; k <= half; k++) {
    post[2 * k] = Math.cos((2 * Math.PI * k) / fftSize);
    post[2 * k + 1] = Math.sin((2 * Math.PI * k) / fftSize);
  }
  const plan: Plan = {
    window: heap.permanent(window.byteLength),
    reverse: heap.permanent(4 * half),
    twiddles: heap.permanent(twiddles.byteLength),
    post: heap.permanent(post.byteLength),
    work: heap.permanent(32 * half),
    power: heap.permanent(16 * (half + 1)),
  };
  new Float64Array(memory.buffer, plan.window, fftSize).set(window);
  new Int32Array(memory.buffer, plan.reverse, half).set(bitReversal(half));
  new Float64Array(memory.buffer, plan.twiddles, twiddles.length).set(twiddles);
  new Float64Array(memory.buffer, plan.post, post.length).set(post);
  return plan;
}

function bindKernels(exports: StftExports): NativeStft {
  const { memory } = exports;
  const heap = createHeap(memory, exports.__heap_base.value);
  const plans = new Map<string, Plan>();
  const planFor = (options: NativeSpectrumOptions): Plan => {
    const key = `${options.fftSize}/${options.window}/${options.windowLength}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = createPlan(heap, memory, options);
      plans.set(key, plan);
    }
    return plan;
  };
  /** Runs `kernel` over chunks of frames, each with its samples copied into the module's memory. */
  const overFrameChunks = (
    source: FrameSource,
    fftSize: number,
    columns: number,
    extraBytes: number,
    kernel: (signal: number, frames: number, out: number, extra: number) => void,
    collect: (out: Float64Array, firstFrame: number) => void,
  ) => {
    const { frames, hopLength } = source;
    const perChunk = Math.max(1, Math.min(frames, Math.floor((chunkValues - fftSize) / hopLength) + 1, Math.floor(chunkValues / columns)));
    for (let first = 0; first < frames; first += perChunk) {
      const count = Math.min(perChunk, frames - first);
      const samples = (count - 1) * hopLength + fftSize;
      const [signal = 0, out = 0, extra = 0] = heap.scratch(4 * samples, 8 * count * columns, extraBytes);
      source.read(new Float32Array(memory.buffer, signal, samples), first * hopLength);
      kernel(signal, count, out, extra);
      collect(new Float64Array(memory.buffer, out, count * columns), first);
    }
  };
  /** Runs an in-place kernel over `values` in chunks. */
  const overValueChunks = (values: Float64Array, kernel: (pointer: number, count: number) => void) => {
    for (let first = 0; first < values.length; first += chunkValues) {
      const count = Math.min(chunkValues, values.length - first);
      const [pointer = 0] = heap.scratch(8 * count);
      const view = new Float64Array(memory.buffer, pointer, count);
      view.set(values.subarray(first, first + count));
      kernel(pointer, count);
      values.set(view, first);
    }
  };
  return {
    bandPower(source, options, bands, target) {
      const plan = planFor(options);
      const bandCount = bands.firstBin.length;
      const tableBytes = 4 * bandCount + 4 * (bandCount + 1) + 16 + bands.weights.byteLength;
      overFrameChunks(
        source,
        options.fftSize,
        bandCount,
        tableBytes,
        (signal, frames, out, extra) => {
          const firstBin = extra;
          const start = firstBin + 4 * bandCount;
          const weights = Math.ceil((start + 4 * (bandCount + 1)) / 16) * 16;
          new Int32Array(memory.buffer, firstBin, bandCount).set(bands.firstBin);
          new Int32Array(memory.buffer, start, bandCount + 1).set(bands.start);
          new Float64Array(memory.buffer, weights, bands.weights.length).set(bands.weights);
          const { window, reverse, twiddles, post, work, power } = plan;
          exports.stft_bands(
            options.fftSize,
            window,
            reverse,
            twiddles,
            post,
            work,
            power,
            signal,
            frames,
            source.hopLength,
            bandCount,
            firstBin,
            start,
            weights,
            out,
          );
        },
        (out, firstFrame) => target.set(out, firstFrame * bandCount),
      );
    },
    spectrum(source, options, magnitude, target) {
      const plan = planFor(options);
      const bins = options.fftSize / 2 + 1;
      overFrameChunks(
        source,
        options.fftSize,
        bins,
        0,
        (signal, frames, out) => {
          const { window, reverse, twiddles, post, work, power } = plan;
          exports.stft_power(
            options.fftSize,
            window,
            reverse,
            twiddles,
            post,
            work,
            power,
            signal,
            frames,
            source.hopLength,
            magnitude ? 1 : 0,
            out,
          );
        },
        (out, firstFrame) => target.set(out, firstFrame * bins),
      );
    },
    decibels(values, minimumPower, offset) {
      let largest = Number.NEGATIVE_INFINITY;
      overValueChunks(values, (pointer, count) => {
        largest = Math.max(largest, exports.decibels(pointer, count, minimumPower, offset));
      });
      return largest;
    },
    naturalLogs(values, offset) {
      overValueChunks(values, (pointer, count) => exports.natural_logs(pointer, count, offset));
    },
  };
}

/** undefined: not tried yet; null: unavailable (no WebAssembly SIMD) or switched off. */
let kernels: NativeStft | null | undefined;
let enabled = true;

function switchedOffByEnvironment(): boolean {
  return typeof process !== 'undefined' && process.env?.POLYTASK_NATIVE_STFT === '0';
}

function moduleBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(stftKernelsBase64, 'base64'));
}

function instantiate(module: object): NativeStft {
  return bindKernels(new (WebAssemblyApi as NonNullable<typeof WebAssemblyApi>).Instance(module, {}).exports as unknown as StftExports);
}

/**
 * The kernels, instantiated synchronously on first use; undefined where WebAssembly SIMD is
 * missing or they are switched off (`POLYTASK_NATIVE_STFT=0`).
 */
export function nativeStft(): NativeStft | undefined {
  if (!enabled) return undefined;
  if (kernels === undefined) {
    try {
      kernels = WebAssemblyApi && !switchedOffByEnvironment() ? instantiate(new WebAssemblyApi.Module(moduleBytes())) : null;
    } catch {
      kernels = null;
    }
  }
  return kernels ?? undefined;
}

/**
 * Compiles the kernels asynchronously (where synchronous compilation is limited, as on a
 * browser's main thread); resolves to whether they are in use. Safe to call many times.
 */
export async function loadNativeStft(): Promise<boolean> {
  if (kernels === undefined) {
    try {
      kernels = WebAssemblyApi && !switchedOffByEnvironment() ? instantiate(await WebAssemblyApi.compile(moduleBytes())) : null;
    } catch {
      kernels = null;
    }
  }
  return enabled && kernels !== null;
}

/**
 * Switches the kernels off (every feature takes the pure-JavaScript path) or back on.
 * @internal for tests that check both paths
 */
export function setNativeStftEnabled(value: boolean): void {
  enabled = value;
}
