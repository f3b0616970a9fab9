/**
 * Kernels that make `@tensorflow/tfjs-backend-wasm` 4.22 train in Node, registered through
 * the public `tf.registerKernel` (nothing in node_modules is edited). Measured in
 * shared/notes/backend.md §2:
 * - `Conv2DBackpropFilter` is missing on wasm, so no Conv2D model can train: added, as one
 *   XNNPACK matrix product per filter tap;
 * - transposed `BatchMatMul` / `_FusedMatMul` (every Dense backward pass) run in slow scalar
 *   code: replaced by an explicit Transpose plus the fast untransposed product;
 * - `Conv2DBackpropInput` with stride 1 runs in slow scalar code: replaced by a convolution of
 *   the padded output gradient with the flipped filter;
 * - the `FusedBatchNorm` gradient tiles the inverse standard deviation to the input's shape
 *   (slow `Tile` on wasm): replaced by the same formula with broadcasting (a gradient is global,
 *   so this one serves every backend; tested against batch norm written with plain ops).
 * Each kernel is checked against the cpu backend in tests.
 */
import { BackendUnavailableError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';

type KernelFunction = (parameters: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];
type DataBackend = { disposeData(dataId: object): void };

const patched = new Set<string>();

/** Collects a kernel's intermediate tensors so they can be freed once its result exists. */
function intermediates(backend: unknown) {
  const held: tf.TensorInfo[] = [];
  return {
    keep(tensor: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
      held.push(tensor as tf.TensorInfo);
      return tensor as tf.TensorInfo;
    },
    release(): void {
      for (const tensor of held) (backend as DataBackend).disposeData(tensor.dataId);
    },
  };
}

/** Kernel names this module registers or replaces on the wasm backend. */
export const wasmTrainingKernelNames: readonly string[] = Object.freeze([
  'Conv2DBackpropFilter',
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2DBackpropInput',
]);

function kernel(name: string): KernelFunction {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc as unknown as KernelFunction;
}

function replace(name: string, kernelFunc: KernelFunction): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * Registers the training kernels on the wasm backend (once; later calls do nothing).
 * Call after the wasm backend is registered; `selectBackend` does it for you.
 */
export function registerWasmTrainingKernels(): void {
  if (patched.size > 0 || !tf.findBackendFactory('wasm')) return;
  const pad = kernel('PadV2');
  const transpose = kernel('Transpose');
  const stridedSlice = kernel('StridedSlice');
  const reshape = kernel('Reshape');
  const batchMatMul = kernel('BatchMatMul');
  const fusedMatMul = kernel('_FusedMatMul');
  const concat = kernel('Concat');
  const reverse = kernel('Reverse');
  const conv2d = kernel('Conv2D');
  const conv2dBackpropInput = kernel('Conv2DBackpropInput');

  replace('Conv2DBackpropFilter', ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const {
      strides,
      pad: padding,
      dimRoundingMode,
      filterShape,
      dataFormat,
    } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
      dataFormat?: 'NHWC' | 'NCHW';
    };
    if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      padding,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [batch, , , channels] = x.shape as [number, number, number, number];
    const [kernelHeight, kernelWidth, , outputChannels] = filterShape;
    const { top, bottom, left, right } = info.padInfo;
    const rows = batch * info.outHeight * info.outWidth;
    const { keep, release } = intermediates(backend);
    const padded = keep(
      pad({
        inputs: { x },
        backend,
        attrs: {
          paddings: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        },
      }),
    );
    const channelsFirst = keep(transpose({ inputs: { x: padded }, backend, attrs: { perm: [3, 0, 1, 2] } }));
    const gradient = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, rows, outputChannels] } }));
    const taps: tf.TensorInfo[] = [];
    for (let row = 0; row < kernelHeight; row++) {
      for (let column = 0; column < kernelWidth; column++) {
        // dW[row, column] = window(x)ᵀ · dy, one fast matrix product per tap
        const window = keep(
          stridedSlice({
            inputs: { x: channelsFirst },
            backend,
            attrs: {
              begin: [0, 0, row, column],
              end: [
                channels,
                batch,
                row + (info.outHeight - 1) * info.strideHeight + 1,
                column + (info.outWidth - 1) * info.strideWidth + 1,
              ],
              strides: [1, 1, info.strideHeight, info.strideWidth],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          }),
        );
        const flat = keep(reshape({ inputs: { x: window }, backend, attrs: { shape: [1, channels, rows] } }));
        taps.push(keep(batchMatMul({ inputs: { a: flat, b: gradient }, backend, attrs: { transposeA: false, transposeB: false } })));
      }
    }
    const joined = keep(concat({ inputs: taps as unknown as tf.NamedTensorInfoMap, backend, attrs: { axis: 0 } }));
    const result = reshape({ inputs: { x: joined }, backend, attrs: { shape: filterShape } }) as tf.TensorInfo;
    release();
    return result;
  });

  const transposeLast = (tensor: tf.TensorInfo, backend: unknown, temporary: tf.TensorInfo[]) => {
    const rank = tensor.shape.length;
    const perm = Array.from({ length: rank }, (_, axis) => axis);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1] as number, perm[rank - 2] as number];
    const result = transpose({ inputs: { x: tensor }, backend, attrs: { perm } }) as tf.TensorInfo;
    temporary.push(result);
    return result;
  };
  const untransposed =
    (original: KernelFunction): KernelFunction =>
    (parameters) => {
      const attrs = (parameters.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!attrs.transposeA && !attrs.transposeB) return original(parameters);
      const temporary: tf.TensorInfo[] = [];
      const inputs = { ...parameters.inputs } as Record<string, tf.TensorInfo>;
      if (attrs.transposeA) inputs.a = transposeLast(inputs.a as tf.TensorInfo, parameters.backend, temporary);
      if (attrs.transposeB) inputs.b = transposeLast(inputs.b as tf.TensorInfo, parameters.backend, temporary);
      const result = original({
        inputs: inputs as unknown as tf.NamedTensorInfoMap,
        backend: parameters.backend,
        attrs: { ...parameters.attrs, transposeA: false, transposeB: false },
      });
      for (const tensor of temporary) (parameters.backend as DataBackend).disposeData(tensor.dataId);
      return result;
    };
  replace('BatchMatMul', untransposed(batchMatMul));
  replace('_FusedMatMul', untransposed(fusedMatMul));

  replace('Conv2DBackpropInput', (parameters) => {
    const { dy, filter } = parameters.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = parameters.attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
      dataFormat?: string;
    };
    const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
    if (strides[0] !== 1 || strides[1] !== 1 || attrs.dataFormat === 'NCHW') return conv2dBackpropInput(parameters);
    const { backend } = parameters;
    const [kernelHeight, kernelWidth] = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      1,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, bottom, left, right } = info.padInfo;
    const { keep, release } = intermediates(backend);
    // dx = conv(pad(dy, K-1-pad), flip(W) with input and output channels swapped)
    const padded = keep(
      pad({
        inputs: { x: dy },
        backend,
        attrs: {
          paddings: [
            [0, 0],
            [kernelHeight - 1 - top, kernelHeight - 1 - bottom],
            [kernelWidth - 1 - left, kernelWidth - 1 - right],
            [0, 0],
          ],
          constantValue: 0,
        },
      }),
    );
    const flipped = keep(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
    const swapped = keep(transpose({ inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } }));
    const result = conv2d({
      inputs: { x: padded, filter: swapped },
      backend,
      attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
    }) as tf.TensorInfo;
    release();
    return result;
  });
  registerBroadcastBatchNormGradient();
  for (const name of wasmTrainingKernelNames) patched.add(name);
}

/**
 * The gradient of `FusedBatchNorm` with broadcasting where tfjs-core 4.22 tiles the inverse
 * standard deviation to the input's shape; the same formula otherwise.
 */
function registerBroadcastBatchNormGradient(): void {
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const gradient = dy as tf.Tensor;
      const scaleValue = scale ?? tf.scalar(1);
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const reduce = (value: tf.Tensor) => tf.reshape(mean.rank === 1 ? tf.sum(value, axes) : value, mean.shape);
      const inverseDeviation = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const centred = tf.sub(x, mean);
      const gradientTimesScale = tf.mul(gradient, scaleValue);
      return {
        x: () => tf.reshape(tf.mul(tf.mul(gradient, inverseDeviation), scaleValue), x.shape),
        mean: () => reduce(tf.mul(tf.neg(inverseDeviation), gradientTimesScale)),
        variance: () =>
          reduce(tf.mul(tf.mul(tf.mul(tf.pow(inverseDeviation, tf.scalar(3)), tf.scalar(-0.5)), centred), gradientTimesScale)),
        scale: () => reduce(tf.mul(gradient, tf.mul(centred, inverseDeviation))),
        offset: () => reduce(gradient),
      };
    },
  });
}

/**
 * Throws a clear error when the active backend lacks a kernel a model needs.
 * @param kernelNames kernels the model's forward and backward passes use.
 */
export function assertKernelsRegistered(kernelNames: readonly string[]): void {
  const backend = tf.getBackend();
  const missing = kernelNames.filter((name) => !tf.getKernel(name, backend));
  if (missing.length > 0) {
    throw new BackendUnavailableError({
      backend,
      message: `The ${backend} backend has no kernel for ${missing.join(', ')}, so this model cannot train on it; use another backend (POLYTASK_BACKEND=cpu or tensorflow).`,
    });
  }
}
