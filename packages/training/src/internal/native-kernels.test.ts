import { describe, expect, it } from 'vitest';
import { type NativeKernels, nativeKernels, relaxedSimdAvailable } from './native-kernels';

/** A stand-in for the wasm backend: a fresh memory and nothing else. */
function standIn(pages: number) {
  const { Memory } = (
    globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  const memory = new Memory({ initial: pages });
  const backend = { wasm: { asm: { memory }, _malloc: () => 0, _free: () => {} } };
  const kernels = nativeKernels(backend) as NativeKernels;
  return { memory, kernels, floats: new Float32Array(memory.buffer) };
}

describe('native training kernels', () => {
  it('write only their outputs: no stack, no data segment, nothing below the arguments', () => {
    const { kernels, floats } = standIn(64);
    floats.fill(7.5);
    const base = 1 << 16; // float index 65536 = byte offset 262144
    const input = base * 4;
    for (let index = 0; index < 4096; index++) floats[base + index] = Math.sin(index);
    const output = (base + 8192) * 4;
    const scratch = (base + 16384) * 4;
    kernels.transpose_batched(input, output, 2, 13, 11);
    kernels.sum_leading(input, output, 17, 9, 1);
    kernels.max_pool_grad(input, input, output, 1, 6, 5, 3, 3, 3, 2, 2, 2, 2, 0, 0);
    kernels.adam_update(input, input, input, input, output, output + 400, output + 800, 100, 0.1, 0.9, 0.999, 0.1, 0.001, 0.1, 0.001, 1e-7);
    kernels.conv2d_filter_grad(input, input + 1024, output, scratch, 1, 5, 4, 3, 5, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 16);
    kernels.matmul(output, input, 7, 1, input + 400, 13, 1, input + 800, 5, 13, 7, 1, scratch, 0, 13);
    kernels.matmul(output, input, 1, 5, input + 400, 1, 7, 0, 5, 13, 7, 0, scratch, 8, 16);
    kernels.binary_blocks(3, input, input + 400, output, 2, 3, 5, 1);
    kernels.relu(input, output, 37);
    kernels.relu_grad(input, input + 400, output, 37);
    kernels.step(input, output, 37, 0.5);
    kernels.softmax(input, output, 3, 11);
    kernels.conv2d_winograd(input, input + 1024, input + 2048, output, scratch, 2, 5, 6, 4, 5, 6, 8, 1, 1, 1, 8);
    // everything before the input and between the input and the output is untouched
    for (let index = 0; index < base; index++) if (floats[index] !== 7.5) throw new Error(`float ${index} was written`);
    for (let index = base + 4096; index < base + 8192; index++) if (floats[index] !== 7.5) throw new Error(`float ${index} was written`);
    expect(floats[base + 40000]).toBe(7.5);
  });

  it('transpose and sum what they should', () => {
    const { kernels, floats } = standIn(2);
    const values = Array.from({ length: 15 }, (_, index) => index + 1);
    floats.set(values, 16);
    kernels.transpose_batched(64, 256, 1, 3, 5);
    expect(Array.from(floats.subarray(64, 79))).toEqual([1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14, 5, 10, 15]);
    kernels.sum_leading(64, 512, 3, 5, 0.5);
    expect(Array.from(floats.subarray(128, 133))).toEqual([9, 10.5, 12, 13.5, 15]);
  });

  it('products treat subnormal operands as zero and pass NaN and infinities on', () => {
    const { kernels, floats } = standIn(2);
    // left 2 x 3 (at float 16), right 3 x 2 (at float 32), out 2 x 2 (at float 48), scratch at float 64
    floats.set([1e-39, 2, 3, -1e-40, 5, Number.NaN], 16);
    floats.set([1e30, 2, 0, 1e-38, 0, Number.POSITIVE_INFINITY], 32);
    kernels.matmul(48 * 4, 16 * 4, 3, 1, 32 * 4, 2, 1, 0, 2, 2, 3, 0, 64 * 4, 0, 2);
    // 1e-39, -1e-40 and 1e-38 are below 2^-126 (about 1.18e-38): 1e-39 · 1e30 would be 1e-9
    expect(floats[48]).toBe(0);
    expect(floats[49]).toBe(Number.POSITIVE_INFINITY);
    expect(floats[50]).toBeNaN();
    expect(floats[51]).toBeNaN();
  });

  it('use relaxed SIMD unless POLYTASK_RELAXED_SIMD=0 (Node 20 compiles it behind a V8 flag the loader sets)', () => {
    const [major] = process.versions.node.split('.').map(Number);
    if (process.env.POLYTASK_RELAXED_SIMD === '0') expect(relaxedSimdAvailable()).toBe(false);
    else if ((major as number) >= 20) expect(relaxedSimdAvailable()).toBe(true);
  });

  it('give the same bits before and after V8 optimises the product (resumed runs equal uninterrupted ones)', () => {
    const { kernels, floats } = standIn(2);
    // left 16 x 24 at float 0, right 24 x 16 at float 1024, out at float 2048, scratch at float 4096
    for (let index = 0; index < 16 * 24; index++) {
      floats[index] = Math.sin(index * 0.37) * 1.3;
      floats[1024 + index] = Math.cos(index * 0.11) * 0.7;
    }
    const product = () => {
      kernels.matmul(2048 * 4, 0, 24, 1, 1024 * 4, 16, 1, 0, 16, 16, 24, 0, 4096 * 4, 0, 16);
      return Array.from(floats.subarray(2048, 2048 + 256));
    };
    const first = product();
    for (let call = 0; call < 20000; call++) product();
    expect(product()).toEqual(first);
  });

  it('is undefined for a backend whose memory cannot be reached', () => {
    expect(nativeKernels({ wasm: {} })).toBeUndefined();
  });
});
