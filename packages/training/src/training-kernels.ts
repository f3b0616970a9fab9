/**
 * The kernels a model needs to train, read off its layers, so a backend that lacks one is
 * reported before the first batch rather than in the middle of a step.
 */
import { BackendUnavailableError } from '@polytask/core';
import type * as tfl from '@tensorflow/tfjs-layers';

const convolution = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Sum'];
const depthwise = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

/** Forward and backward kernels per tfjs-layers class. */
const layerKernels: Readonly<Record<string, readonly string[]>> = {
  Dense: ['BatchMatMul', '_FusedMatMul', 'Sum'],
  Conv1D: convolution,
  Conv2D: convolution,
  Conv2DTranspose: convolution,
  DepthwiseConv2D: depthwise,
  SeparableConv2D: [...depthwise, ...convolution],
  MaxPooling1D: ['MaxPool', 'MaxPoolGrad'],
  MaxPooling2D: ['MaxPool', 'MaxPoolGrad'],
  AveragePooling1D: ['AvgPool', 'AvgPoolGrad'],
  AveragePooling2D: ['AvgPool', 'AvgPoolGrad'],
  GlobalAveragePooling1D: ['Mean'],
  GlobalAveragePooling2D: ['Mean'],
  GlobalMaxPooling1D: ['Max'],
  GlobalMaxPooling2D: ['Max'],
  BatchNormalization: ['FusedBatchNorm', 'Mean', 'SquaredDifference', 'Rsqrt'],
  Concatenate: ['Concat', 'Slice'],
  LeakyReLU: ['LeakyRelu'],
  PReLU: ['Prelu'],
  ELU: ['Elu', 'EluGrad'],
  ReLU: ['Relu'],
};

/** Kernels per activation name (tfjs-layers class names, lower-cased). */
const activationKernels: Readonly<Record<string, readonly string[]>> = {
  relu: ['Relu'],
  relu6: ['Relu6'],
  elu: ['Elu', 'EluGrad'],
  selu: ['Selu'],
  sigmoid: ['Sigmoid'],
  tanh: ['Tanh'],
  softmax: ['Softmax'],
  softplus: ['Softplus'],
};

/**
 * The kernels training `model` needs (forward and backward), for the layer types tfjs-layers
 * provides; layers of other types add nothing here.
 */
export function trainingKernelsFor(model: tfl.LayersModel): string[] {
  const kernels = new Set<string>();
  const visit = (layer: tfl.layers.Layer) => {
    const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
    if (Array.isArray(nested)) nested.forEach(visit);
    for (const name of layerKernels[layer.getClassName()] ?? []) kernels.add(name);
    const activation = (layer as unknown as { activation?: { getClassName(): string } }).activation;
    const activationName = activation?.getClassName().toLowerCase();
    for (const name of activationKernels[activationName ?? ''] ?? []) kernels.add(name);
  };
  model.layers.forEach(visit);
  return [...kernels].sort();
}

const missingKernelPattern = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/**
 * Turns tfjs's "Kernel 'X' not registered for backend 'Y'" into a BackendUnavailableError that
 * says what to do; other errors are returned as they are.
 */
export function explainMissingKernel(error: unknown): unknown {
  const match = error instanceof Error ? missingKernelPattern.exec(error.message) : null;
  if (!match) return error;
  const [, kernel, backend] = match as unknown as [string, string, string];
  return new BackendUnavailableError({
    backend,
    message: `The ${backend} backend has no kernel for ${kernel}, which this model needs to train; use another backend (POLYTASK_BACKEND=cpu or tensorflow)${backend === 'wasm' ? ", or choose wasm through selectBackend(), which registers Polytask's training kernels" : ''}.`,
    cause: error,
  });
}
