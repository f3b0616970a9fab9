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
 * Where WebAssembly SIMD is available (Node 16.4+) and `POLYTASK_NATIVE_KERNELS` is not `0`, the
 * work runs in SIMD kernels of our own (native/training-kernels.c, see internal/native-kernels)
 * that read and write tensors in the backend's memory:
 * - 3 × 3 stride-1 convolutions (`Conv2D`, `FusedConv2D` with linear or relu, and the input
 *   gradient) by Winograd F(2 × 2, 3 × 3); stride-1 convolutions of one-channel inputs (any filter
 *   size) directly, four pixels by eight channels at a time;
 * - the filter gradient as gathered patches times the output gradient (register-tiled);
 * - batch-1 products (`BatchMatMul`, `_FusedMatMul`, either operand transposed), both operands
 *   packed into cache-friendly blocks, instead of XNNPACK's explicit transposes. Every product
 *   takes this path whatever came before: choosing XNNPACK for weights already seen (its cached
 *   operator) made the first step after a resume, whose weights are new to the process, compute
 *   in another order than the uninterrupted run's;
 * - `MaxPoolGrad` (stock starts each window's maximum at the smallest positive float, so windows
 *   of values <= 0 misroute their gradient), `Sum`/`Mean` over leading axes, transposes of the
 *   last two axes, broadcasting `Add`/`Sub`/`Multiply`/`RealDiv`, `Relu` and its gradient,
 *   `Step`, `Softmax`, `Square`, `FusedBatchNorm` and its gradient's reduction, and the fused
 *   Adam step (`PolytaskAdamUpdate`);
 * - `Identity` and same-type `Cast` share data instead of copying.
 * With the threaded build, convolutions, filter gradients, large products and the Adam step of
 * large variables are split over worker threads (internal/native-thread-pool).
 * Each kernel is checked against the cpu backend in tests.
 */
import { BackendUnavailableError } from '@polytask/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type NativeKernels,
  nativeKernels,
  offsetOf,
  storeInteger,
  type WasmBackendInternals,
  withScratch,
} from './internal/native-kernels';
import { maximumShares, nativeThreadPool } from './internal/native-thread-pool';

type KernelFunction = (parameters: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];
type DataBackend = { disposeData(dataId: object): void };

/** Name of the relu gradient kernel (registered on wasm when the SIMD kernels load). */
export const reluGradientKernelName = 'PolytaskReluGrad';

/** Name of the batch-norm gradient's reduction kernel: per channel, the sum of dy · (x − mean). */
export const centredProductSumKernelName = 'PolytaskCentredProductSum';

/** Name of the fused Adam step kernel (registered on wasm when the SIMD kernels load). */
export const adamUpdateKernelName = 'PolytaskAdamUpdate';

const patched = new Set<string>();
/** tfjs's own Transpose on wasm, kept when ours replaces it. */
let stockTranspose: KernelFunction | undefined;

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

/**
 * Whether the active backend is wasm with the native module loaded and `kernelName` (one of the
 * kernels this module adds) registered: the test for gradients and optimizers that call them.
 */
export function nativeKernelActive(kernelName: string): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(kernelName, 'wasm') !== undefined && nativeKernels(tf.backend()) !== undefined;
}

/** Attributes the convolution kernels share. */
interface ConvolutionAttributes {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
  dilations?: [number, number] | number;
}

/** Whether a stride or dilation attribute is 1 in both directions (absent counts as 1). */
function isOne(value: [number, number] | number | undefined): boolean {
  return value === undefined || (typeof value === 'number' ? value === 1 : value[0] === 1 && value[1] === 1);
}

/** tfjs's convolution geometry for NHWC input `[batch, height, width, channels]` without dilation. */
function convolutionInfo(
  inputShape: readonly number[],
  filterShape: readonly number[],
  attrs: Pick<ConvolutionAttributes, 'strides' | 'pad' | 'dimRoundingMode'>,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** tfjs's pooling geometry for NHWC input from a pooling kernel's attributes. */
function poolInfo(shape: readonly number[], attrs: unknown): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as ConvolutionAttributes & { filterSize: [number, number] | number };
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

/** The window geometry the native pooling kernels take after their tensor arguments. */
function poolGeometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Kernel names this module registers or replaces on the wasm backend. */
export const wasmTrainingKernelNames: readonly string[] = Object.freeze([
  'Conv2DBackpropFilter',
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2DBackpropInput',
  'MaxPool',
  'MaxPoolGrad',
  'Sum',
  'Mean',
  'Transpose',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Relu',
  'Softmax',
  'Step',
  'Identity',
  'Conv2D',
  'FusedConv2D',
  'FusedBatchNorm',
  'Square',
  'Cast',
  adamUpdateKernelName,
  reluGradientKernelName,
  centredProductSumKernelName,
]);

function kernel(name: string): KernelFunction {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc as unknown as KernelFunction;
}

/** Our kernel functions by name, as registered. */
const replacements = new Map<string, KernelFunction>();

function replace(name: string, kernelFunc: KernelFunction): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  replacements.set(name, kernelFunc);
}

/**
 * The wasm kernel function registered under `name` if it is this module's (registered by
 * `registerWasmTrainingKernels` and not replaced since); undefined otherwise, tfjs's own included.
 */
export function ownWasmKernel(name: string): KernelFunction | undefined {
  const ours = replacements.get(name);
  return ours !== undefined && tf.getKernel(name, 'wasm')?.kernelFunc === (ours as unknown) ? ours : undefined;
}

/**
 * Registers the training kernels on the wasm backend (once; later calls do nothing).
 * Call after the wasm backend is registered; `selectBackend` does it for you.
 */
export function registerWasmTrainingKernels(): void {
  if (patched.size > 0 || !tf.findBackendFactory('wasm')) return;
  const pad = kernel('PadV2');
  const transpose = kernel('Transpose');
  stockTranspose = transpose;
  const stridedSlice = kernel('StridedSlice');
  const reshape = kernel('Reshape');
  const batchMatMul = kernel('BatchMatMul');
  const fusedMatMul = kernel('_FusedMatMul');
  const concat = kernel('Concat');
  const reverse = kernel('Reverse');
  const conv2d = kernel('Conv2D');
  const conv2dBackpropInput = kernel('Conv2DBackpropInput');
  const sum = kernel('Sum');
  const mean = kernel('Mean');
  const maxPoolGrad = kernel('MaxPoolGrad');

  replace('Conv2DBackpropFilter', ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const convolution = attrs as unknown as ConvolutionAttributes & { filterShape: [number, number, number, number] };
    const { filterShape } = convolution;
    if (convolution.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
    const info = convolutionInfo(x.shape, filterShape, convolution);
    const native = nativeKernels(backend);
    if (native && x.dtype === 'float32') return nativeFilterGradient(native, backend, x, dy, info);
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
    const result = swapLastAxes(tensor, backend);
    temporary.push(result);
    return result;
  };
  const untransposed =
    (original: KernelFunction, fused: boolean): KernelFunction =>
    (parameters) => {
      const attrs = (parameters.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
      const native = nativeKernels(parameters.backend);
      const { a, b, bias, preluActivationWeights } = parameters.inputs as Record<string, tf.TensorInfo | undefined>;
      const activation = attrs.activation ?? 'linear';
      if (
        native &&
        a &&
        b &&
        a.dtype === 'float32' &&
        b.dtype === 'float32' &&
        !(attrs.transposeA && attrs.transposeB) &&
        !preluActivationWeights &&
        (activation === 'linear' || activation === 'relu') &&
        [a, b].every((tensor) => tensor.shape.slice(0, -2).every((size) => size === 1))
      ) {
        const columns = attrs.transposeB ? b.shape.at(-2) : b.shape.at(-1);
        // the kernel adds bias[n] to column n; a bias that broadcasts otherwise (one value for
        // every column) is added after the product, as tfjs's cpu backend does (its wasm kernel
        // would read past such a bias)
        const ownBias = fused && bias && !(bias.shape.length === 1 && bias.shape[0] === columns) ? bias : undefined;
        const product = nativeProduct({
          native,
          backend: parameters.backend,
          a,
          b,
          bias: fused && !ownBias ? bias : undefined,
          relu: activation === 'relu' && !ownBias,
          transposeA: !!attrs.transposeA,
          transposeB: !!attrs.transposeB,
        });
        return ownBias ? addBiasThenActivate(parameters.backend, product, ownBias, activation === 'relu') : product;
      }
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
  replace('BatchMatMul', untransposed(batchMatMul, false));
  replace('_FusedMatMul', untransposed(fusedMatMul, true));

  replace('Conv2DBackpropInput', (parameters) => {
    const { dy, filter } = parameters.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = parameters.attrs as unknown as ConvolutionAttributes & { inputShape: [number, number, number, number] };
    if (!isOne(attrs.strides) || attrs.dataFormat === 'NCHW') return conv2dBackpropInput(parameters);
    const { backend } = parameters;
    const [kernelHeight, kernelWidth] = filter.shape as [number, number, number, number];
    const info = convolutionInfo(attrs.inputShape, filter.shape, attrs);
    const { top, bottom, left, right } = info.padInfo;
    const { keep, release } = intermediates(backend);
    const native = nativeKernels(backend);
    if (native && winogradApplies({ backend, x: dy, filter, outputChannels: info.inChannels, outputSize: info.inHeight * info.inWidth })) {
      // dx = the 'full' correlation of dy with flip(W), input and output channels swapped
      const flipped = keep(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
      const swapped = keep(transpose({ inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } }));
      const result = winogradConvolution({
        native,
        backend,
        x: dy,
        filter: swapped,
        outputShape: [...attrs.inputShape],
        padTop: kernelHeight - 1 - top,
        padLeft: kernelWidth - 1 - left,
        relu: false,
      });
      release();
      return result;
    }
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
  for (const name of ['Conv2D', 'FusedConv2D'] as const) {
    const stock = name === 'Conv2D' ? conv2d : kernel('FusedConv2D');
    replace(name, (parameters) => {
      const { x, filter, bias, preluActivationWeights } = parameters.inputs as Record<string, tf.TensorInfo | undefined>;
      const attrs = parameters.attrs as unknown as ConvolutionAttributes & { activation?: string };
      const native = nativeKernels(parameters.backend);
      const activation = attrs.activation ?? 'linear';
      if (
        !native ||
        !x ||
        !filter ||
        preluActivationWeights ||
        (activation !== 'linear' && activation !== 'relu') ||
        attrs.dataFormat === 'NCHW' ||
        !isOne(attrs.strides) ||
        !isOne(attrs.dilations)
      )
        return stock(parameters);
      const info = convolutionInfo(x.shape, filter.shape, attrs);
      const { backend } = parameters;
      // the kernels add bias[o] to channel o; a bias that broadcasts otherwise (one value for every
      // channel) is added after the convolution, as tfjs's cpu backend does (its wasm kernel refuses it)
      if (bias && !(bias.shape.length === 1 && bias.shape[0] === info.outChannels)) {
        const plain = kernel('Conv2D')({
          inputs: { x, filter } as unknown as tf.NamedTensorInfoMap,
          backend,
          attrs: { ...parameters.attrs, activation: 'linear' },
        }) as tf.TensorInfo;
        return addBiasThenActivate(backend, plain, bias, activation === 'relu');
      }
      // one input channel (a spectrogram): 1.8x XNNPACK's convolution alone at one thread, shared by rows over the native pool
      if (info.inChannels === 1 && x.dtype === 'float32' && filter.dtype === 'float32')
        return singleChannelConvolution({ native, backend, x, filter, bias, info, relu: activation === 'relu' });
      if (!winogradApplies({ backend, x, filter, outputChannels: info.outChannels, outputSize: info.outHeight * info.outWidth }))
        return stock(parameters);
      return winogradConvolution({
        native,
        backend,
        x,
        filter,
        bias,
        outputShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
        padTop: info.padInfo.top,
        padLeft: info.padInfo.left,
        relu: activation === 'relu',
      });
    });
  }
  replace('Transpose', (parameters) => {
    const { x } = parameters.inputs as { x: tf.TensorInfo };
    const { perm } = parameters.attrs as unknown as { perm: number[] };
    const rank = x.shape.length;
    const swapsLastAxes =
      rank >= 2 && perm[rank - 2] === rank - 1 && perm[rank - 1] === rank - 2 && perm.slice(0, -2).every((axis, index) => axis === index);
    if (swapsLastAxes && x.dtype === 'float32' && nativeKernels(parameters.backend)) return swapLastAxes(x, parameters.backend);
    return transpose(parameters);
  });
  replace('Sum', (parameters) => leadingReduction(parameters, sum, false));
  replace('Mean', (parameters) => leadingReduction(parameters, mean, true));
  const stockMaxPool = kernel('MaxPool');
  replace('MaxPool', (parameters) => {
    const { x } = parameters.inputs as { x: tf.TensorInfo };
    const native = nativeKernels(parameters.backend);
    if (!native || !nativeThreadPool(parameters.backend) || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0)
      return stockMaxPool(parameters);
    const info = poolInfo(x.shape, parameters.attrs);
    const { backend } = parameters;
    const output = (backend as WasmBackendInternals).makeOutput(
      [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
      'float32',
    );
    // only with native threads (above, single-threaded, XNNPACK's pooling is faster): split by
    // images over them, since XNNPACK's pooling would wake its own pool, whose threads then spin
    // against the next native kernel
    runInShares({
      native,
      backend,
      name: 'max_pool',
      total: info.batchSize,
      scratchBytes: 0,
      sharesPerThread: 4,
      share: ({ begin, end }) => [offsetOf(backend, x), offsetOf(backend, output), ...poolGeometry(info), begin, end],
    });
    return output;
  });
  replace('MaxPoolGrad', (parameters) => {
    const native = nativeKernels(parameters.backend);
    const { dy, input } = parameters.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    if (input.dtype !== 'float32') return maxPoolGrad(parameters);
    const info = poolInfo(input.shape, parameters.attrs);
    const backend = parameters.backend as WasmBackendInternals;
    // tfjs-backend-wasm 4.22 starts each window's maximum at the smallest positive float
    // (numeric_limits<float>::min()), so windows of values <= 0 send their gradient to the
    // wrong place; without the native module this plain loop stands in for it
    if (!native) return maxPoolGradientInJavaScript(backend, dy, input, info);
    const output = backend.makeOutput([...input.shape], 'float32');
    // images in shares of the native pool
    const [imageIn, imageOut] = [info.inHeight * info.inWidth * info.inChannels, info.outHeight * info.outWidth * info.inChannels];
    inShares({
      native,
      backend,
      name: 'max_pool_grad',
      total: info.batchSize,
      large: info.batchSize * imageIn >= largeElementCount,
      share: (begin, end) => [
        offsetOf(backend, dy) + 4 * begin * imageOut,
        offsetOf(backend, input) + 4 * begin * imageIn,
        offsetOf(backend, output) + 4 * begin * imageIn,
        end - begin,
        ...poolGeometry(info),
      ],
    });
    return output;
  });
  for (const [name, operation] of [
    ['Add', 0],
    ['Sub', 1],
    ['Multiply', 2],
    ['RealDiv', 3],
  ] as const) {
    const stock = kernel(name);
    replace(name, (parameters) => elementWise(parameters, stock, operation));
  }
  const stockRelu = kernel('Relu');
  replace('Relu', (parameters) =>
    // large inputs: shared over our native pool, or XNNPACK's relu spreads over its thread pool
    sameShapeNatively(parameters, stockRelu, {
      applies: (x) => tf.util.sizeFromShape(x.shape) < largeElementCount || nativeThreadPool(parameters.backend) !== undefined,
      run: (native, input, output, size) =>
        inShares({
          native,
          backend: parameters.backend,
          name: 'relu',
          total: size,
          large: size >= largeElementCount,
          share: (begin, end) => [input + 4 * begin, output + 4 * begin, end - begin],
        }),
    }),
  );
  const stockStep = kernel('Step');
  replace('Step', (parameters) =>
    sameShapeNatively(parameters, stockStep, {
      run: (native, input, output, size) =>
        native.step(input, output, size, (parameters.attrs as unknown as { alpha?: number }).alpha ?? 0),
    }),
  );
  const stockSoftmax = kernel('Softmax');
  replace('Softmax', (parameters) => {
    const { dim } = parameters.attrs as unknown as { dim: number };
    return sameShapeNatively(parameters, stockSoftmax, {
      input: 'logits',
      applies: (logits) => logits.shape.length > 0 && (dim === -1 || dim === logits.shape.length - 1),
      run: (native, input, output, size, logits) => {
        const columns = logits.shape.at(-1) as number;
        native.softmax(input, output, size / columns, columns);
      },
    });
  });
  const stockBatchNorm = kernel('FusedBatchNorm');
  replace('FusedBatchNorm', (parameters) => {
    const { x, mean, variance, offset, scale } = parameters.inputs as Record<string, tf.TensorInfo | undefined>;
    const { varianceEpsilon } = parameters.attrs as unknown as { varianceEpsilon: number };
    const native = nativeKernels(parameters.backend);
    const channels = x?.shape.at(-1) ?? 0;
    if (
      !native ||
      !x ||
      !mean ||
      !variance ||
      x.dtype !== 'float32' ||
      ![mean, variance, offset, scale].every((tensor) => !tensor || perChannel(tensor, channels))
    )
      return stockBatchNorm(parameters);
    const backend = parameters.backend as WasmBackendInternals;
    const output = backend.makeOutput([...x.shape], 'float32');
    const at = (tensor: tf.TensorInfo | undefined) => (tensor ? offsetOf(backend, tensor) : 0);
    withScratch(backend, 8 * channels, (factors) =>
      native.batch_norm(
        at(x),
        at(mean),
        at(variance),
        at(offset),
        at(scale),
        at(output),
        factors,
        tf.util.sizeFromShape(x.shape) / channels,
        channels,
        varianceEpsilon,
      ),
    );
    return output;
  });
  const stockSquare = kernel('Square');
  replace('Square', (parameters) =>
    sameShapeNatively(parameters, stockSquare, {
      run: (native, input, output, size) => native.binary_blocks(2, input, input, output, 1, 1, size, 0),
    }),
  );
  const stockCast = kernel('Cast');
  replace('Cast', (parameters) => {
    const { x } = parameters.inputs as { x: tf.TensorInfo };
    const { dtype } = parameters.attrs as unknown as { dtype: tf.DataType };
    // a cast to the same type is a copy
    return dtype === x.dtype && x.dtype !== 'string' ? shareData(parameters.backend, x) : stockCast(parameters);
  });
  tf.registerKernel({
    kernelName: centredProductSumKernelName,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend }: Parameters<KernelFunction>[0]) => {
      const { dy, x, mean } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; mean: tf.TensorInfo };
      const native = nativeKernels(backend) as NativeKernels;
      const channels = x.shape.at(-1) as number;
      const output = (backend as WasmBackendInternals).makeOutput([channels], 'float32');
      native.centred_product_sum(
        offsetOf(backend, dy),
        offsetOf(backend, x),
        offsetOf(backend, mean),
        offsetOf(backend, output),
        tf.util.sizeFromShape(x.shape) / channels,
        channels,
      );
      return output;
    }) as unknown as tf.KernelFunc,
  });
  // tensors are immutable, so a copy shares its data (as on the cpu and webgl backends); tfjs
  // clones every tensor it saves for the backward pass, which on wasm copied whole activations
  const identity = kernel('Identity');
  replace('Identity', (parameters) => {
    const { x } = parameters.inputs as { x: tf.TensorInfo };
    return x.dtype === 'string' ? identity(parameters) : shareData(parameters.backend, x);
  });
  tf.registerKernel({
    kernelName: reluGradientKernelName,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend }: Parameters<KernelFunction>[0]) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const native = nativeKernels(backend) as NativeKernels;
      const output = (backend as WasmBackendInternals).makeOutput([...x.shape], 'float32');
      const size = tf.util.sizeFromShape(x.shape);
      inShares({
        native,
        backend,
        name: 'relu_grad',
        total: size,
        large: size >= largeElementCount,
        share: (begin, end) => [
          offsetOf(backend, dy) + 4 * begin,
          offsetOf(backend, x) + 4 * begin,
          offsetOf(backend, output) + 4 * begin,
          end - begin,
        ],
      });
      return output;
    }) as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: adamUpdateKernelName,
    backendName: 'wasm',
    kernelFunc: adamUpdate as unknown as tf.KernelFunc,
  });
  registerBroadcastBatchNormGradient();
  registerReluGradient();
  for (const name of wasmTrainingKernelNames) patched.add(name);
}

/** `[..., rows, columns]` to `[..., columns, rows]`, natively where possible. */
function swapLastAxes(tensor: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const rank = tensor.shape.length;
  const native = nativeKernels(backend);
  if (!native || tensor.dtype !== 'float32') {
    const perm = Array.from({ length: rank }, (_, axis) => axis);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1] as number, perm[rank - 2] as number];
    return (stockTranspose as KernelFunction)({ inputs: { x: tensor }, backend, attrs: { perm } }) as tf.TensorInfo;
  }
  const shape = [...tensor.shape];
  const rows = shape[rank - 2] as number;
  const columns = shape[rank - 1] as number;
  const batch = shape.slice(0, -2).reduce((product, size) => product * size, 1);
  [shape[rank - 2], shape[rank - 1]] = [columns, rows];
  const internals = backend as WasmBackendInternals;
  const output = internals.makeOutput(shape, 'float32');
  native.transpose_batched(offsetOf(backend, tensor), offsetOf(backend, output), batch, rows, columns);
  return output;
}

/**
 * Whether a convolution goes to the native Winograd kernel: 3 × 3 float32 filters with input
 * channels in multiples of 4; in the threaded build without a native thread pool only small ones (XNNPACK's convolution uses
 * every thread, ours one).
 */
function winogradApplies(options: {
  backend: unknown;
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  outputChannels: number;
  outputSize: number;
}): boolean {
  const { backend, x, filter, outputChannels, outputSize } = options;
  const [height, width, inputChannels] = filter.shape as [number, number, number, number];
  if (height !== 3 || width !== 3 || x.dtype !== 'float32' || filter.dtype !== 'float32') return false;
  // the transforms run 4 input channels at a time
  if (inputChannels % 4 !== 0) return false;
  if (nativeThreadPool(backend)) return true;
  const threads = (backend as { wasm: { _get_threads_count?: () => number } }).wasm._get_threads_count?.() ?? 1;
  const work = (x.shape[0] as number) * outputSize * inputChannels * outputChannels;
  return threads === 1 || work < 1 << 20;
}

/** A stride-1 NHWC convolution of a one-channel input (plus bias and relu) with the native kernel, by output rows. */
function singleChannelConvolution(options: {
  native: NativeKernels;
  backend: unknown;
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias: tf.TensorInfo | undefined;
  info: tf.backend_util.Conv2DInfo;
  relu: boolean;
}): tf.TensorInfo {
  const { native, backend, x, filter, bias, info, relu } = options;
  const output = (backend as WasmBackendInternals).makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  runInShares({
    native,
    backend,
    name: 'conv2d_single_channel',
    total: info.batchSize * info.outHeight,
    scratchBytes: 0,
    sharesPerThread: 4,
    share: ({ begin, end }) => [
      offsetOf(backend, x),
      offsetOf(backend, filter),
      bias ? offsetOf(backend, bias) : 0,
      offsetOf(backend, output),
      info.inHeight,
      info.inWidth,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.padInfo.top,
      info.padInfo.left,
      relu ? 1 : 0,
      begin,
      end,
    ],
  });
  return output;
}

/**
 * `output + bias` (broadcast, with the registered `Add`), then the registered `Relu` when asked; frees `output`.
 * For biases the fused kernels cannot take (one value for every column or channel).
 */
function addBiasThenActivate(backend: unknown, output: tf.TensorInfo, bias: tf.TensorInfo, relu: boolean): tf.TensorInfo {
  const run = (name: string, inputs: Record<string, tf.TensorInfo>) =>
    kernel(name)({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend, attrs: {} }) as tf.TensorInfo;
  const biased = run('Add', { a: output, b: bias });
  (backend as DataBackend).disposeData(output.dataId);
  if (!relu) return biased;
  const activated = run('Relu', { x: biased });
  (backend as DataBackend).disposeData(biased.dataId);
  return activated;
}

/** A 3 × 3, stride-1 NHWC convolution (plus bias and relu) with the native Winograd kernel. */
function winogradConvolution(options: {
  native: NativeKernels;
  backend: unknown;
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias?: tf.TensorInfo | undefined;
  outputShape: number[];
  padTop: number;
  padLeft: number;
  relu: boolean;
}): tf.TensorInfo {
  const { native, backend, x, filter, bias, outputShape, padTop, padLeft, relu } = options;
  const [batch, height, width, inputChannels] = x.shape as [number, number, number, number];
  const [, outputHeight, outputWidth, outputChannels] = outputShape as [number, number, number, number];
  const output = (backend as WasmBackendInternals).makeOutput(outputShape, 'float32');
  // tiles per chunk: their transforms (16 × (in + out) floats each) fill about 256 KiB
  const chunk = Math.max(4, Math.floor(4096 / (inputChannels + outputChannels)) & ~3);
  const scratchBytes = 4 * 16 * (inputChannels * outputChannels + chunk * (inputChannels + outputChannels));
  const tiles = batch * Math.ceil(outputHeight / 2) * Math.ceil(outputWidth / 2);
  runInShares({
    native,
    backend,
    name: 'conv2d_winograd',
    total: tiles,
    scratchBytes,
    // tiles are independent: cut finer, so a worker that starts late takes fewer
    sharesPerThread: 2,
    share: ({ begin, end, scratch }) => [
      offsetOf(backend, x),
      offsetOf(backend, filter),
      bias ? offsetOf(backend, bias) : 0,
      offsetOf(backend, output),
      scratch,
      batch,
      height,
      width,
      inputChannels,
      outputHeight,
      outputWidth,
      outputChannels,
      padTop,
      padLeft,
      relu ? 1 : 0,
      chunk,
      begin,
      end,
    ],
  });
  return output;
}

/** Element count from which the element-wise kernels are worth sharing over the native pool (1 MiB of float32). */
const largeElementCount = 1 << 18;

/**
 * Runs a native kernel over [0, total) in shares of the native pool when the work is `large`,
 * otherwise in one call; `share(begin, end)` gives a share's arguments. For kernels whose every
 * output element depends on its own share only, so the result is the same for any thread count.
 */
function inShares(options: {
  native: NativeKernels;
  backend: unknown;
  name: keyof NativeKernels;
  total: number;
  large: boolean;
  share: (begin: number, end: number) => number[];
}): void {
  const { native, backend, name, total, large, share } = options;
  const run = native[name] as (...values: number[]) => void;
  if (!large || !nativeThreadPool(backend)) run(...share(0, total));
  else runInShares({ native, backend, name, total, scratchBytes: 0, sharesPerThread: 4, share: ({ begin, end }) => share(begin, end) });
}

/**
 * Runs a native kernel over [0, total) in `sharesPerThread` shares per thread of the backend's
 * native pool (one share without a pool), each share with `scratchBytes` of its own scratch
 * memory; the threads claim shares as they go, so several per thread even out a thread that
 * starts late. More than one per thread only where a share's result does not depend on how
 * [0, total) was cut (each output element computed within one share, in the same order).
 */
function runInShares(options: {
  native: NativeKernels;
  backend: unknown;
  name: keyof NativeKernels;
  total: number;
  scratchBytes: number;
  sharesPerThread?: number;
  share: (range: { begin: number; end: number; scratch: number; index: number }) => number[];
  /** Runs after every share, while the scratch memory is still allocated. */
  after?: () => void;
}): void {
  const { native, backend, name, total, scratchBytes, share, after } = options;
  const pool = nativeThreadPool(backend);
  const count = pool ? Math.max(1, Math.min(pool.threads * (options.sharesPerThread ?? 1), total, maximumShares)) : 1;
  withScratch(backend, Math.max(scratchBytes, 4) * count, (scratch) => {
    const shares = Array.from({ length: count }, (_, index) =>
      share({
        begin: Math.floor((total * index) / count),
        end: Math.floor((total * (index + 1)) / count),
        scratch: scratch + index * Math.max(scratchBytes, 4),
        index,
      }),
    );
    if (pool && count > 1) pool.run(name, shares);
    else (native[name] as (...values: number[]) => void)(...(shares[0] as number[]));
    after?.();
  });
}

/** Operands of a product with a batch of one. */
interface ProductOperands {
  native: NativeKernels;
  backend: unknown;
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  bias: tf.TensorInfo | undefined;
  relu: boolean;
}

/** The batch dimensions (all ones) of a product's output. */
function outerShape(a: tf.TensorInfo, b: tf.TensorInfo): number[] {
  return (a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2);
}

/**
 * `a · b`, `aᵀ · b` or `a · bᵀ` (then bias and relu) with the native kernel, which packs both
 * operands into scratch memory and reads transposed ones in place: no transposes, no XNNPACK set-up.
 */
function nativeProduct(
  options: ProductOperands & { transposeA: boolean; transposeB: boolean; packedRight?: tf.TensorInfo },
): tf.TensorInfo {
  const { native, backend, a, b, bias, relu, transposeA, transposeB, packedRight } = options;
  const [rows, depth] = (transposeA ? [a.shape.at(-1), a.shape.at(-2)] : [a.shape.at(-2), a.shape.at(-1)]) as [number, number];
  const columns = (transposeB ? b.shape.at(-2) : b.shape.at(-1)) as number;
  const internals = backend as WasmBackendInternals;
  const output = internals.makeOutput([...outerShape(a, b), rows, columns], 'float32');
  if (rows * columns === 0) return output;
  const scratchBytes = 4 * depth * (4 * Math.ceil(rows / 4) + 8);
  const operands = [
    offsetOf(backend, output),
    offsetOf(backend, a),
    transposeA ? 1 : depth,
    transposeA ? rows : 1,
    offsetOf(backend, b),
    transposeB ? 1 : columns,
    transposeB ? depth : 1,
    bias ? offsetOf(backend, bias) : 0,
    rows,
    columns,
    depth,
    relu ? 1 : 0,
  ];
  const packed = packedRight ? offsetOf(backend, packedRight) : 0;
  // large products are shared by the native threads: each packs the left operand and claims groups
  // of two 8-column panels until none are left, so a thread that wakes late takes fewer
  const pool = rows * columns * depth >= 1 << 19 && columns > 16 ? nativeThreadPool(backend) : undefined;
  if (pool)
    withScratch(backend, 4, (counter) => {
      storeInteger(backend, counter, 0);
      runInShares({
        native,
        backend,
        name: 'matmul_claimed',
        total: pool.threads,
        scratchBytes,
        share: ({ scratch }) => [...operands, scratch, counter, 16, packed],
      });
    });
  else
    runInShares({
      native,
      backend,
      name: 'matmul',
      total: 1,
      scratchBytes,
      share: ({ scratch }) => [...operands, scratch, 0, columns, packed],
    });
  return output;
}

/**
 * A dense layer's weights (`[depth, columns]`, float32) packed into the native product's 8-column
 * panels, for products with many batches (inference), or undefined without the native kernels.
 * The caller disposes the result (`backend.disposeData`).
 */
export function packProductWeights(backend: unknown, weights: tf.TensorInfo): tf.TensorInfo | undefined {
  const native = nativeKernels(backend);
  if (!native || weights.dtype !== 'float32' || weights.shape.length !== 2) return undefined;
  const [depth, columns] = weights.shape as [number, number];
  const packed = (backend as WasmBackendInternals).makeOutput([Math.ceil(columns / 8) * 8 * depth], 'float32');
  if (depth * columns > 0) native.pack_right(offsetOf(backend, packed), offsetOf(backend, weights), columns, 1, columns, depth);
  return packed;
}

/**
 * `input · weights` (then bias and relu) with `packed` (packProductWeights of `weights`) as the
 * right operand: the same sums as `_FusedMatMul` on these operands, without packing the weights
 * again for every batch.
 */
export function packedProduct(options: {
  backend: unknown;
  input: tf.TensorInfo;
  weights: tf.TensorInfo;
  packed: tf.TensorInfo;
  bias: tf.TensorInfo | undefined;
  relu: boolean;
}): tf.TensorInfo {
  const { backend, input, weights, packed, bias, relu } = options;
  const native = nativeKernels(backend);
  if (!native) throw new Error('packedProduct needs the native kernels');
  return nativeProduct({ native, backend, a: input, b: weights, bias, relu, transposeA: false, transposeB: false, packedRight: packed });
}

/**
 * Splits `full` into [outer, middle, inner] so that `small` (left-padded with ones) is
 * [outer, 1, inner]: equal to `full` on a prefix and a suffix of axes, ones in between.
 * Undefined when `small` broadcasts any other way.
 */
function broadcastBlocks(full: readonly number[], small: readonly number[]): [number, number, number] | undefined {
  const padded = [...Array.from({ length: full.length - small.length }, () => 1), ...small];
  if (padded.length !== full.length) return undefined;
  let stage = 0; // 0: prefix (equal), 1: middle (ones), 2: suffix (equal)
  const sizes = [1, 1, 1];
  for (let axis = 0; axis < full.length; axis++) {
    const [length, other] = [full[axis] as number, padded[axis] as number];
    if (length === 1) continue;
    if (other === length) stage = stage === 1 ? 2 : stage;
    else if (other === 1 && stage < 2) stage = 1;
    else return undefined;
    sizes[stage] = (sizes[stage] as number) * length;
  }
  // nothing broadcast: one contiguous block
  if (sizes[1] === 1) return [1, 1, (sizes[0] as number) * (sizes[2] as number)];
  return sizes as [number, number, number];
}

/** Add, Sub, Multiply or RealDiv natively where one operand is the other broadcast over one run of axes. */
function elementWise(parameters: Parameters<KernelFunction>[0], stock: KernelFunction, operation: number): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = parameters.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const native = nativeKernels(parameters.backend);
  if (!native || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(parameters);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  if (size === 0) return stock(parameters);
  let plan: [tf.TensorInfo, tf.TensorInfo, number, [number, number, number]] | undefined;
  const aBlocks = tf.util.sizeFromShape(a.shape) === size ? broadcastBlocks(shape, b.shape) : undefined;
  const bBlocks = aBlocks ? undefined : tf.util.sizeFromShape(b.shape) === size ? broadcastBlocks(shape, a.shape) : undefined;
  if (aBlocks) plan = [a, b, 0, aBlocks];
  else if (bBlocks) plan = [b, a, 1, bBlocks];
  if (!plan) return stock(parameters);
  const [full, small, swap, [outer, middle, inner]] = plan;
  const backend = parameters.backend as WasmBackendInternals;
  const output = backend.makeOutput(shape, 'float32');
  const [fullAt, smallAt, outputAt] = [offsetOf(backend, full), offsetOf(backend, small), offsetOf(backend, output)];
  // in shares of the native pool: blocks of the outer axis, rows of the middle one (a bias added to
  // every row), or runs of elements (operands of one shape)
  const split = outer > 1 ? 'outer' : middle > 1 ? 'middle' : 'elements';
  inShares({
    native,
    backend,
    name: 'binary_blocks',
    total: split === 'outer' ? outer : split === 'middle' ? middle : inner,
    large: size >= largeElementCount,
    share: (begin, end) => {
      if (split === 'outer')
        return [
          operation,
          fullAt + 4 * begin * middle * inner,
          smallAt + 4 * begin * inner,
          outputAt + 4 * begin * middle * inner,
          end - begin,
          middle,
          inner,
          swap,
        ];
      if (split === 'middle')
        return [operation, fullAt + 4 * begin * inner, smallAt, outputAt + 4 * begin * inner, 1, end - begin, inner, swap];
      return [operation, fullAt + 4 * begin, smallAt + 4 * begin, outputAt + 4 * begin, 1, 1, end - begin, swap];
    },
  });
  return output;
}

/** `Sum` or `Mean` over leading axes as one pass of the native kernel; tfjs's own otherwise. */
function leadingReduction(
  parameters: Parameters<KernelFunction>[0],
  stock: KernelFunction,
  average: boolean,
): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = parameters.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = parameters.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const native = nativeKernels(parameters.backend);
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((first, second) => first - second);
  const leading = axes.length > 0 && axes.length < rank && axes.every((value, index) => value === index);
  if (!native || !leading || x.dtype !== 'float32') return stock(parameters);
  const rows = x.shape.slice(0, axes.length).reduce((product, size) => product * size, 1);
  const kept = x.shape.slice(axes.length);
  const columns = kept.reduce((product, size) => product * size, 1);
  const backend = parameters.backend as WasmBackendInternals;
  const output = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : [...kept], 'float32');
  native.sum_leading(offsetOf(backend, x), offsetOf(backend, output), rows, columns, average && rows > 0 ? 1 / rows : 1);
  return output;
}

/** The filter gradient of a 2-D NHWC convolution with the native kernel. */
function nativeFilterGradient(
  native: NativeKernels,
  backend: unknown,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const internals = backend as WasmBackendInternals;
  const output = internals.makeOutput([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels], 'float32');
  const patchStride = (info.filterHeight * info.filterWidth * info.inChannels + 3) & ~3;
  // about 128 KiB of gathered patches per chunk, so they stay in cache while multiplied
  const chunk = Math.max(16, Math.floor(32768 / patchStride));
  const filterSize = patchStride * info.outChannels;
  const gatherBytes = chunk * patchStride * 4;
  // shares after the first sum into their own part of the scratch, added to the output after
  const partials: number[] = [];
  runInShares({
    native,
    backend,
    name: 'conv2d_filter_grad',
    total: info.batchSize * info.outHeight * info.outWidth,
    scratchBytes: gatherBytes + filterSize * 4,
    share: ({ begin, end, scratch, index }) => {
      if (index > 0) partials.push(scratch + gatherBytes);
      return [
        offsetOf(backend, x),
        offsetOf(backend, dy),
        index === 0 ? offsetOf(backend, output) : scratch + gatherBytes,
        scratch,
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        info.outHeight,
        info.outWidth,
        info.outChannels,
        info.filterHeight,
        info.filterWidth,
        info.strideHeight,
        info.strideWidth,
        info.dilationHeight,
        info.dilationWidth,
        info.padInfo.top,
        info.padInfo.left,
        chunk,
        begin,
        end,
      ];
    },
    after: () => {
      const size = info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
      const target = offsetOf(backend, output);
      for (const partial of partials) native.binary_blocks(0, target, partial, target, 1, 1, size, 0);
    },
  });
  return output;
}

/** A tensor with `tensor`'s data (tensors are immutable, so a copy can share it). */
function shareData(backend: unknown, tensor: tf.TensorInfo): tf.TensorInfo {
  (backend as { incRef(dataId: object): void }).incRef(tensor.dataId);
  return { dataId: tensor.dataId, shape: [...tensor.shape], dtype: tensor.dtype };
}

/**
 * Runs a kernel whose float32 output has its input's shape natively (`run` gets the offsets and
 * the element count); tfjs's own kernel without the native module, for other types, empty
 * tensors, or where `applies` says no.
 */
function sameShapeNatively(
  parameters: Parameters<KernelFunction>[0],
  stock: KernelFunction,
  options: {
    input?: string;
    applies?: (input: tf.TensorInfo) => boolean;
    run: (native: NativeKernels, input: number, output: number, size: number, tensor: tf.TensorInfo) => void;
  },
): tf.TensorInfo | tf.TensorInfo[] {
  const tensor = (parameters.inputs as Record<string, tf.TensorInfo>)[options.input ?? 'x'] as tf.TensorInfo;
  const native = nativeKernels(parameters.backend);
  const size = tf.util.sizeFromShape(tensor.shape);
  if (!native || tensor.dtype !== 'float32' || size === 0 || (options.applies && !options.applies(tensor))) return stock(parameters);
  const output = (parameters.backend as WasmBackendInternals).makeOutput([...tensor.shape], 'float32');
  options.run(native, offsetOf(parameters.backend, tensor), offsetOf(parameters.backend, output), size, tensor);
  return output;
}

/** Whether `tensor` holds one value per channel of the last axis ([C], or [1, …, 1, C]). */
function perChannel(tensor: tf.TensorInfo, channels: number): boolean {
  return tensor.dtype === 'float32' && tensor.shape.at(-1) === channels && tensor.shape.slice(0, -1).every((length) => length === 1);
}

/** MaxPoolGrad as a plain loop over the backend's memory (first maximum of each window wins). */
function maxPoolGradientInJavaScript(
  backend: WasmBackendInternals,
  dy: tf.TensorInfo,
  input: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const output = backend.makeOutput([...input.shape], 'float32');
  const heap = backend as unknown as { typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array };
  const [gradient, image, target] = [heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(input), heap.typedArrayFromHeap(output)];
  target.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  for (let n = 0; n < batchSize; n++)
    for (let outY = 0; outY < outHeight; outY++)
      for (let outX = 0; outX < outWidth; outX++)
        for (let channel = 0; channel < channels; channel++) {
          let best = Number.NEGATIVE_INFINITY;
          let where = -1;
          const top = outY * info.strideHeight - info.padInfo.top;
          const left = outX * info.strideWidth - info.padInfo.left;
          for (let y = Math.max(0, top); y < Math.min(inHeight, top + info.filterHeight); y++)
            for (let x = Math.max(0, left); x < Math.min(inWidth, left + info.filterWidth); x++) {
              const at = ((n * inHeight + y) * inWidth + x) * channels + channel;
              if ((image[at] as number) > best) {
                best = image[at] as number;
                where = at;
              }
            }
          if (where >= 0)
            target[where] =
              (target[where] as number) + (gradient[((n * outHeight + outY) * outWidth + outX) * channels + channel] as number);
        }
  return output;
}

/** Attributes of the fused Adam step; see `createTrainingOptimizer`. */
interface AdamUpdateAttributes {
  learningRate: number;
  beta1: number;
  beta2: number;
  oneMinusAccumulatedBeta1: number;
  oneMinusAccumulatedBeta2: number;
  epsilon: number;
}

/** The fused Adam step: new value, first moment and second moment in one pass. */
function adamUpdate(parameters: Parameters<KernelFunction>[0]): tf.TensorInfo[] {
  const { value, gradient, firstMoment, secondMoment } = parameters.inputs as Record<string, tf.TensorInfo>;
  const attrs = parameters.attrs as unknown as AdamUpdateAttributes;
  const native = nativeKernels(parameters.backend);
  if (!native) throw new BackendUnavailableError({ backend: 'wasm', message: 'The fused Adam kernel needs WebAssembly SIMD.' });
  const backend = parameters.backend as WasmBackendInternals;
  const inputs = [value, gradient, firstMoment, secondMoment] as tf.TensorInfo[];
  const outputs = [0, 1, 2].map(() => backend.makeOutput([...(value as tf.TensorInfo).shape], 'float32'));
  const size = (value as tf.TensorInfo).shape.reduce((product, length) => product * length, 1);
  const offsets = [...inputs, ...outputs].map((tensor) => offsetOf(backend, tensor));
  // element-wise, so large variables are split into ranges over the native threads (multiples of 4 elements)
  const split = size >= 1 << 16;
  runInShares({
    native,
    backend,
    name: 'adam_update',
    total: split ? Math.ceil(size / 4) : 1,
    scratchBytes: 0,
    sharesPerThread: 2,
    share: ({ begin, end }) => {
      const [first, last] = split ? [4 * begin, Math.min(size, 4 * end)] : [0, size];
      return [
        ...offsets.map((offset) => offset + 4 * first),
        last - first,
        attrs.learningRate,
        attrs.beta1,
        attrs.beta2,
        1 - attrs.beta1,
        1 - attrs.beta2,
        attrs.oneMinusAccumulatedBeta1,
        attrs.oneMinusAccumulatedBeta2,
        attrs.epsilon,
      ];
    },
  });
  return outputs;
}

/**
 * The gradient of `Relu` as one pass on wasm (tfjs computes `dy · cast(step(x))`: three
 * passes and two temporaries); the same formula elsewhere.
 */
function registerReluGradient(): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      const gradient = dy as tf.Tensor;
      return {
        x: () =>
          nativeKernelActive(reluGradientKernelName) && x.dtype === 'float32' && gradient.dtype === 'float32'
            ? (tf.engine().runKernel(reluGradientKernelName, { dy: gradient, x }) as tf.Tensor)
            : tf.mul(gradient, tf.cast(tf.step(x), 'float32')),
      };
    },
  });
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
      const channels = x.shape.at(-1) as number;
      if (
        nativeKernelActive(centredProductSumKernelName) &&
        gradient.dtype === 'float32' &&
        mean.rank === 1 &&
        [x, mean, variance, ...(scale ? [scale] : [])].every((tensor) => tensor.dtype === 'float32') &&
        mean.size === channels &&
        (!scale || scale.size === channels)
      ) {
        // per channel: Σ dy and Σ dy · (x − mean), each one pass, no full-size temporaries
        const factor = tf.mul(inverseDeviation, scaleValue);
        const centredSum = () => tf.engine().runKernel(centredProductSumKernelName, { dy: gradient, x, mean }) as tf.Tensor;
        return {
          x: () => tf.mul(gradient, factor),
          mean: () => tf.reshape(tf.neg(tf.mul(factor, tf.sum(gradient, axes))), mean.shape),
          variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(tf.square(inverseDeviation), factor), -0.5), centredSum()), mean.shape),
          scale: () => tf.reshape(tf.mul(inverseDeviation, centredSum()), mean.shape),
          offset: () => tf.reshape(tf.sum(gradient, axes), mean.shape),
        };
      }
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
