/**
 * Hard-sharing multi-task models: a shared trunk (the thesis's DNN or CNN) and one head per
 * task, whose activation follows the task kind (softmax for multi-class, sigmoid for binary
 * and multi-label, linear for regression). Any user `tf.LayersModel` with one output per task is accepted after
 * {@link checkModelForTasks}.
 */
import { InvalidArgumentError, ShapeMismatchError, type TaskKind } from '@polytask/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { StepDropout } from './step-dropout';

/** What a head needs to know about its task. */
export interface HeadSpec {
  readonly name: string;
  readonly kind: TaskKind;
  /** Output columns (1 for binary, one per output for regression). */
  readonly outputSize: number;
}

/** A head's activation by task kind. */
export type HeadActivation = 'softmax' | 'sigmoid' | 'linear';

/**
 * The head activation a task kind needs, the convention every model (yours too) follows: training
 * reads a head's outputs as probabilities (softmax for multi-class, sigmoid for binary and
 * multi-label) or, for regression, as the (scaled) predictions themselves (linear: no activation).
 * @example tfl.layers.dense({ units: task.outputSize, activation: headActivation(task.kind) })
 */
export function headActivation(kind: TaskKind): HeadActivation {
  if (kind === 'regression') return 'linear';
  return kind === 'multi-class' ? 'softmax' : 'sigmoid';
}

/** Options shared by the builders. */
export interface TrunkOptions {
  /** Shape of one example's features, e.g. `[168]` or `[96, 64]`. */
  readonly inputShape: readonly number[];
  readonly tasks: readonly HeadSpec[];
  /** Dropout rate after each shared layer. @default 0 */
  readonly dropout?: number;
  /** Batch normalisation after each shared layer. @default false */
  readonly batchNorm?: boolean;
  /** Seed of the weight initialisers (and dropout). @default 0 */
  readonly seed?: number;
  /** Largest number of weights the model may have; a larger one is refused before any memory is taken. @default 2^28 (1 GiB of float32 weights) */
  readonly maxParameters?: number;
}

/** Options of {@link createMultiTaskDnn}. */
export interface DnnOptions extends TrunkOptions {
  /** Units of each shared dense layer. @default [512, 512] (thesis: 512 × 4) */
  readonly hiddenUnits?: readonly number[];
  /** @default 'relu' */
  readonly activation?: 'relu' | 'elu' | 'tanh' | 'sigmoid';
}

/** Options of {@link createMultiTaskCnn}. */
export interface CnnOptions extends TrunkOptions {
  /** Filters of each convolution block. @default [16, 32, 64] */
  readonly filters?: readonly number[];
  /** Kernel size of the convolutions. @default [3, 3] */
  readonly kernelSize?: readonly [number, number];
  /** Max pooling after each block; null for none. @default [2, 2] */
  readonly poolSize?: readonly [number, number] | null;
  /** How the feature maps become a vector. @default 'global-average' */
  readonly readout?: 'global-average' | 'flatten';
  /** Units of the shared dense layer after the convolutions; 0 for none. @default 64 */
  readonly denseUnits?: number;
}

/** Checks the options every builder shares (tasks, input shape, dropout). */
export function checkCommon(options: TrunkOptions): void {
  if (options.tasks.length === 0)
    throw new InvalidArgumentError({ argument: 'tasks', value: [], message: 'A multi-task model needs at least one task.' });
  if (options.inputShape.length === 0 || options.inputShape.some((dimension) => !Number.isInteger(dimension) || dimension < 1)) {
    throw new InvalidArgumentError({
      argument: 'inputShape',
      value: options.inputShape,
      message: `inputShape must hold positive integers, got [${options.inputShape.join(', ')}].`,
    });
  }
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1))
    throw new InvalidArgumentError({ argument: 'dropout', value: dropout, message: `dropout must be in [0, 1), got ${dropout}.` });
}

/** Checks that each layer size is a positive integer. */
export function checkLayerSizes(argument: string, sizes: readonly number[]): void {
  sizes.forEach((size, index) => {
    if (!Number.isInteger(size) || size < 1)
      throw new InvalidArgumentError({
        argument: `${argument}[${index}]`,
        value: size,
        message: `${argument}[${index}] must be a positive integer, got ${size}.`,
      });
  });
}

/**
 * Refuses a model whose weights would not fit (`parameters` counted from the options) before tfjs
 * allocates them, naming the setting to change.
 */
export function checkParameterCount(options: TrunkOptions, parameters: number, setting: string): void {
  const limit = options.maxParameters ?? 2 ** 28;
  if (parameters <= limit) return;
  const gibibytes = (parameters * 4) / 2 ** 30;
  throw new InvalidArgumentError({
    argument: setting,
    value: parameters,
    message: `This model would have ${parameters.toExponential(2)} weights (${gibibytes.toFixed(1)} GiB as float32, about 3x that while training with Adam), more than maxParameters = ${limit}; make ${setting} smaller (or raise maxParameters).`,
  });
}

/** The weights of the heads on `inputs` features. */
export const headParameters = (options: TrunkOptions, inputs: number) =>
  options.tasks.reduce((sum, task) => sum + (inputs + 1) * task.outputSize, 0);

/** A layer name made of a task name (tfjs names allow letters, digits and underscores). */
export const layerName = (taskName: string) => taskName.replace(/[^A-Za-z0-9_]/g, '_');

/** The head of task `index` on its trunk: `head_<task>`, as wide as the task, with the kind's activation. */
export function head(trunk: tfl.SymbolicTensor, task: HeadSpec, index: number, seed: number): tfl.SymbolicTensor {
  return tfl.layers
    .dense({
      units: task.outputSize,
      activation: headActivation(task.kind),
      name: `head_${layerName(task.name)}`,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1000 + index }),
    })
    .apply(trunk) as tfl.SymbolicTensor;
}

function heads(trunk: tfl.SymbolicTensor, options: TrunkOptions): tfl.SymbolicTensor[] {
  return options.tasks.map((task, index) => head(trunk, task, index, options.seed ?? 0));
}

function regularise(tensor: tfl.SymbolicTensor, options: TrunkOptions, index: number): tfl.SymbolicTensor {
  let result = tensor;
  if (options.batchNorm) result = tfl.layers.batchNormalization({ name: `shared_norm_${index}` }).apply(result) as tfl.SymbolicTensor;
  const dropout = options.dropout ?? 0;
  if (dropout > 0)
    result = new StepDropout({ rate: dropout, seed: (options.seed ?? 0) + 500 + index, name: `shared_dropout_${index}` }).apply(
      result,
    ) as tfl.SymbolicTensor;
  return result;
}

/**
 * The thesis's hard-sharing DNN: flatten, shared dense layers, one head per task.
 * @example createMultiTaskDnn({ inputShape: [6, 24], tasks, hiddenUnits: [512, 512, 512, 512] })
 */
export function createMultiTaskDnn(options: DnnOptions): tfl.LayersModel {
  checkCommon(options);
  const hiddenUnits = options.hiddenUnits ?? [512, 512];
  checkLayerSizes('hiddenUnits', hiddenUnits);
  let inputs = options.inputShape.reduce((product, dimension) => product * dimension, 1);
  let parameters = 0;
  for (const units of hiddenUnits) {
    parameters += (inputs + 1) * units + (options.batchNorm ? 4 * units : 0);
    inputs = units;
  }
  checkParameterCount(options, parameters + headParameters(options, inputs), 'hiddenUnits');
  const seed = options.seed ?? 0;
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  let trunk = options.inputShape.length > 1 ? (tfl.layers.flatten().apply(input) as tfl.SymbolicTensor) : input;
  hiddenUnits.forEach((units, index) => {
    trunk = tfl.layers
      .dense({
        units,
        activation: options.activation ?? 'relu',
        name: `shared_dense_${index}`,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + index }),
      })
      .apply(trunk) as tfl.SymbolicTensor;
    trunk = regularise(trunk, options, index);
  });
  return tfl.model({ inputs: input, outputs: heads(trunk, options), name: 'multi_task_dnn' });
}

/** The CNN's weight count: convolutions (with batch norm), readout, dense layer and heads. */
function cnnParameters(options: CnnOptions, filterCounts: readonly number[]): number {
  const { parameters: convolutions, rows, columns, channels } = convolutionParameters(options, filterCounts);
  let parameters = convolutions;
  let features = (options.readout ?? 'global-average') === 'flatten' ? rows * columns * channels : channels;
  const denseUnits = options.denseUnits ?? 64;
  if (denseUnits > 0) {
    parameters += (features + 1) * denseUnits;
    features = denseUnits;
  }
  return parameters + headParameters(options, features);
}

/** The weights of the CNN's convolution blocks, and the shape of the last block's output. */
export function convolutionParameters(
  options: CnnOptions,
  filterCounts: readonly number[],
): { parameters: number; rows: number; columns: number; channels: number } {
  const [kernelRows, kernelColumns] = options.kernelSize ?? [3, 3];
  const poolSize = options.poolSize === undefined ? ([2, 2] as const) : options.poolSize;
  let [rows, columns, channels] = [options.inputShape[0] as number, options.inputShape[1] as number, options.inputShape[2] ?? 1];
  let parameters = 0;
  for (const filters of filterCounts) {
    parameters += (kernelRows * kernelColumns * channels + 1) * filters + (options.batchNorm ? 4 * filters : 0);
    channels = filters;
    if (poolSize) [rows, columns] = [Math.ceil(rows / poolSize[0]), Math.ceil(columns / poolSize[1])];
  }
  return { parameters, rows, columns, channels };
}

/** Checks a CNN's options (those of every builder, the input's rank, the filters) and returns its filter counts. */
export function checkCnn(options: CnnOptions): readonly number[] {
  checkCommon(options);
  if (options.inputShape.length < 2 || options.inputShape.length > 3) {
    throw new InvalidArgumentError({
      argument: 'inputShape',
      value: options.inputShape,
      message: `The CNN takes [frames, bins] or [frames, bins, channels] features, got [${options.inputShape.join(', ')}].`,
    });
  }
  const filterCounts = options.filters ?? [16, 32, 64];
  checkLayerSizes('filters', filterCounts);
  return filterCounts;
}

/** The features as the convolutions' `[frames, bins, channels]` input. */
export function convolutionInput(input: tfl.SymbolicTensor, options: CnnOptions): tfl.SymbolicTensor {
  return options.inputShape.length === 2
    ? (tfl.layers.reshape({ targetShape: [...options.inputShape, 1] }).apply(input) as tfl.SymbolicTensor)
    : input;
}

/**
 * Convolution block `index` of the CNN (convolution, optional batch norm, ReLU, pooling, dropout),
 * its layers named `<prefix>_conv_<index>` and `<prefix>_conv_norm_<index>`, seeded from `seed`.
 */
export function convolutionBlock(
  trunk: tfl.SymbolicTensor,
  options: CnnOptions,
  block: { filters: number; index: number; prefix?: string; seed?: number },
): tfl.SymbolicTensor {
  const { filters, index, prefix = 'shared' } = block;
  const seed = block.seed ?? options.seed ?? 0;
  const poolSize = options.poolSize === undefined ? ([2, 2] as const) : options.poolSize;
  let result = tfl.layers
    .conv2d({
      filters,
      kernelSize: [...(options.kernelSize ?? [3, 3])],
      padding: 'same',
      name: `${prefix}_conv_${index}`,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + index }),
      // without batch norm the relu is fused into the convolution (one kernel, one pass fewer)
      ...(options.batchNorm ? {} : { activation: 'relu' as const }),
    })
    .apply(trunk) as tfl.SymbolicTensor;
  if (options.batchNorm) {
    result = tfl.layers.batchNormalization({ name: `${prefix}_conv_norm_${index}` }).apply(result) as tfl.SymbolicTensor;
    result = tfl.layers.activation({ activation: 'relu' }).apply(result) as tfl.SymbolicTensor;
  }
  if (poolSize) result = tfl.layers.maxPooling2d({ poolSize: [...poolSize], padding: 'same' }).apply(result) as tfl.SymbolicTensor;
  const dropout = options.dropout ?? 0;
  if (dropout > 0) result = new StepDropout({ rate: dropout, seed: seed + 700 + index }).apply(result) as tfl.SymbolicTensor;
  return result;
}

/**
 * The CNN's shared convolution blocks on the features input; returns each block's output (the
 * last one feeds the readout).
 */
export function convolutionBlocks(input: tfl.SymbolicTensor, options: CnnOptions, filterCounts: readonly number[]): tfl.SymbolicTensor[] {
  let trunk = convolutionInput(input, options);
  return filterCounts.map((filters, index) => {
    trunk = convolutionBlock(trunk, options, { filters, index });
    return trunk;
  });
}

/**
 * The thesis's hard-sharing CNN over `[frames, bins]` (or `[frames, bins, channels]`) features:
 * convolution blocks (convolution, optional batch norm, ReLU, pooling, dropout), a readout, a
 * shared dense layer, one head per task.
 * @example createMultiTaskCnn({ inputShape: [96, 64], tasks, filters: [16, 32, 64] })
 */
export function createMultiTaskCnn(options: CnnOptions): tfl.LayersModel {
  const filterCounts = checkCnn(options);
  checkParameterCount(options, cnnParameters(options, filterCounts), 'filters');
  const seed = options.seed ?? 0;
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  let trunk = convolutionBlocks(input, options, filterCounts).at(-1) as tfl.SymbolicTensor;
  trunk = ((options.readout ?? 'global-average') === 'flatten' ? tfl.layers.flatten() : tfl.layers.globalAveragePooling2d({})).apply(
    trunk,
  ) as tfl.SymbolicTensor;
  const denseUnits = options.denseUnits ?? 64;
  if (denseUnits > 0) {
    trunk = tfl.layers
      .dense({
        units: denseUnits,
        activation: 'relu',
        name: 'shared_dense',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 99 }),
      })
      .apply(trunk) as tfl.SymbolicTensor;
  }
  return tfl.model({ inputs: input, outputs: heads(trunk, options), name: 'multi_task_cnn' });
}

/**
 * Checks that a model fits the tasks and features before training: one input of the feature
 * shape, one output per task in task order, each as wide as its task.
 * @throws ShapeMismatchError naming the first mismatch.
 */
export function checkModelForTasks(model: tfl.LayersModel, options: { inputShape: readonly number[]; tasks: readonly HeadSpec[] }): void {
  const inputs = model.inputs;
  if (inputs.length !== 1)
    throw new ShapeMismatchError({
      expected: 1,
      actual: inputs.length,
      message: `The model has ${inputs.length} inputs; Polytask feeds one features input.`,
    });
  const declared = (inputs[0] as tfl.SymbolicTensor).shape.slice(1);
  if (
    declared.length !== options.inputShape.length ||
    declared.some((dimension, index) => dimension !== null && dimension !== options.inputShape[index])
  ) {
    throw new ShapeMismatchError({
      expected: options.inputShape,
      actual: declared,
      message: `The model's input is [${declared.join(', ')}] but the features are [${options.inputShape.join(', ')}]; prepare the features to that shape or rebuild the model.`,
    });
  }
  const outputs = model.outputs;
  if (outputs.length !== options.tasks.length) {
    throw new ShapeMismatchError({
      expected: options.tasks.length,
      actual: outputs.length,
      message: `The model has ${outputs.length} outputs but there are ${options.tasks.length} tasks (${options.tasks.map((task) => task.name).join(', ')}); give it one head per task, in this order.`,
    });
  }
  options.tasks.forEach((task, index) => {
    const width = (outputs[index] as tfl.SymbolicTensor).shape.at(-1);
    if (width !== task.outputSize) {
      throw new ShapeMismatchError({
        expected: task.outputSize,
        actual: width,
        message: `Output ${index} of the model has ${width} units but task "${task.name}" needs ${task.outputSize}.`,
      });
    }
  });
}
