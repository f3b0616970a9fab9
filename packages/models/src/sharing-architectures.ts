/**
 * Soft-sharing multi-task architectures, with the hard-sharing builders' options and head
 * conventions (one output per task, in task order, named `head_<task>`, activation by task kind)
 * and their shared layers named `shared_*` (GradNorm watches the last one):
 * cross-stitch networks (Misra et al. 2016), MMoE (Ma et al. 2018), CGC and PLE (Tang et al. 2020)
 * on dense experts, and MTAN-style task attention on the CNN (Liu et al. 2019).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type CnnOptions,
  checkCnn,
  checkCommon,
  checkLayerSizes,
  checkParameterCount,
  convolutionBlock,
  convolutionBlocks,
  convolutionInput,
  convolutionParameters,
  type DnnOptions,
  head,
  headParameters,
  layerName,
  type TrunkOptions,
} from './multi-task-model';
import { CrossStitch, ExpertMixture } from './sharing-layers';
import { StepDropout } from './step-dropout';

/** Options of {@link createCrossStitchDnn}: one DNN column per task, `hiddenUnits` each. */
export interface CrossStitchOptions extends DnnOptions {
  /** Initial weight of a column's own activations in each cross-stitch unit (the rest split over the others). @default 0.9 */
  readonly selfWeight?: number;
}

/** Options of {@link createCrossStitchCnn}: one CNN column per task, `filters` each. */
export interface CrossStitchCnnOptions extends CnnOptions {
  /** Initial weight of a column's own feature maps in each cross-stitch unit (the rest split over the others). @default 0.9 */
  readonly selfWeight?: number;
}

/** Options of the expert models: each expert is a DNN of `hiddenUnits`. */
export interface ExpertOptions extends DnnOptions {
  /** Units of each task tower's dense layers, between its expert mixture and its head. @default [] */
  readonly towerUnits?: readonly number[];
}

/** Options of {@link createMmoeDnn}. */
export interface MmoeOptions extends ExpertOptions {
  /** Number of shared experts. @default 4 */
  readonly experts?: number;
}

/** Options of {@link createCgcDnn}. */
export interface CgcOptions extends ExpertOptions {
  /** Shared experts per level. @default 2 */
  readonly sharedExperts?: number;
  /** Experts of each task per level. @default 1 */
  readonly taskExperts?: number;
  /** Extraction levels: 1 is CGC, more is PLE. @default 1 */
  readonly levels?: number;
}

type Symbolic = tfl.SymbolicTensor;
const asList = (value: Symbolic | Symbolic[]): Symbolic[] => (Array.isArray(value) ? value : [value]);
const product = (shape: readonly number[]) => shape.reduce((result, dimension) => result * dimension, 1);

/** Weights of a dense stack of `units` on `inputs` features (batch norm counts its 4 statistics per unit). */
function stackParameters(inputs: number, units: readonly number[], batchNorm: boolean | undefined): number {
  let parameters = 0;
  for (const size of units) {
    parameters += (inputs + 1) * size + (batchNorm ? 4 * size : 0);
    inputs = size;
  }
  return parameters;
}

/** A dense stack named `<prefix>_dense_<i>` (with `_norm_`/`_dropout_` layers as configured), seeded from `seed`. */
function denseStack(input: Symbolic, units: readonly number[], prefix: string, seed: number, options: DnnOptions): Symbolic {
  let result = input;
  units.forEach((size, index) => {
    result = tfl.layers
      .dense({
        units: size,
        activation: options.activation ?? 'relu',
        name: `${prefix}_dense_${index}`,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + index }),
      })
      .apply(result) as Symbolic;
    if (options.batchNorm) result = tfl.layers.batchNormalization({ name: `${prefix}_norm_${index}` }).apply(result) as Symbolic;
    const dropout = options.dropout ?? 0;
    if (dropout > 0)
      result = new StepDropout({ rate: dropout, seed: seed + 50 + index, name: `${prefix}_dropout_${index}` }).apply(result) as Symbolic;
  });
  return result;
}

/** The features input and its flattened form. */
function flatInput(options: TrunkOptions): [Symbolic, Symbolic] {
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  return [input, options.inputShape.length > 1 ? (tfl.layers.flatten().apply(input) as Symbolic) : input];
}

function checkCount(argument: string, value: number | undefined): void {
  if (value !== undefined) checkLayerSizes(argument, [value]);
}

/**
 * A cross-stitch network: one DNN column per task, and after each hidden layer a cross-stitch unit
 * (`shared_cross_stitch_<i>`, a learned α matrix initialised at `selfWeight` on the diagonal) mixing the
 * columns; each task's head sits on its column. Columns are named `column_<task>`.
 * @example createCrossStitchDnn({ inputShape: [6, 24], tasks, hiddenUnits: [128, 128] })
 */
export function createCrossStitchDnn(options: CrossStitchOptions): tfl.LayersModel {
  checkCommon(options);
  const hiddenUnits = options.hiddenUnits ?? [512, 512];
  checkLayerSizes('hiddenUnits', hiddenUnits);
  const columns = options.tasks.length;
  const inputs = product(options.inputShape);
  const last = hiddenUnits.at(-1) ?? inputs;
  checkParameterCount(
    options,
    columns * stackParameters(inputs, hiddenUnits, options.batchNorm) +
      hiddenUnits.length * columns * columns +
      headParameters(options, last),
    'hiddenUnits',
  );
  const seed = options.seed ?? 0;
  const [input, flat] = flatInput(options);
  let column = options.tasks.map(() => flat);
  hiddenUnits.forEach((units, layer) => {
    column = column.map((tensor, task) =>
      denseStack(
        tensor,
        [units],
        `column_${layerName((options.tasks[task] as { name: string }).name)}_${layer}`,
        seed + 100 * task + 2 * layer,
        options,
      ),
    );
    column = asList(
      new CrossStitch({ name: `shared_cross_stitch_${layer}`, selfWeight: options.selfWeight ?? 0.9 }).apply(column) as Symbolic[],
    );
  });
  const outputs = options.tasks.map((task, index) => head(column[index] as Symbolic, task, index, seed));
  return tfl.model({ inputs: input, outputs, name: 'cross_stitch_dnn' });
}

/**
 * A cross-stitch network of CNN columns: one CNN per task (`column_<task>_conv_<i>`, the hard-sharing
 * CNN's blocks), a cross-stitch unit (`shared_cross_stitch_<i>`) mixing the columns' feature maps
 * after each block, then each column's readout, dense layer (`column_<task>_dense`) and head.
 * @example createCrossStitchCnn({ inputShape: [96, 64], tasks, filters: [16, 32], denseUnits: 32 })
 */
export function createCrossStitchCnn(options: CrossStitchCnnOptions): tfl.LayersModel {
  const filterCounts = checkCnn(options);
  const convolutions = convolutionParameters(options, filterCounts);
  const readout = options.readout ?? 'global-average';
  const denseUnits = options.denseUnits ?? 64;
  const columns = options.tasks.length;
  const readoutFeatures = readout === 'flatten' ? convolutions.rows * convolutions.columns * convolutions.channels : convolutions.channels;
  checkParameterCount(
    options,
    columns * (convolutions.parameters + (denseUnits > 0 ? (readoutFeatures + 1) * denseUnits : 0)) +
      filterCounts.length * columns * columns +
      headParameters(options, denseUnits > 0 ? denseUnits : readoutFeatures),
    'filters',
  );
  const seed = options.seed ?? 0;
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  const names = options.tasks.map((task) => `column_${layerName(task.name)}`);
  const start = convolutionInput(input, options);
  let column = options.tasks.map(() => start);
  filterCounts.forEach((filters, index) => {
    column = column.map((tensor, task) =>
      convolutionBlock(tensor, options, { filters, index, prefix: names[task] as string, seed: seed + 100 * task }),
    );
    column = asList(
      new CrossStitch({ name: `shared_cross_stitch_${index}`, selfWeight: options.selfWeight ?? 0.9 }).apply(column) as Symbolic[],
    );
  });
  const outputs = options.tasks.map((task, index) => {
    let features = (readout === 'flatten' ? tfl.layers.flatten() : tfl.layers.globalAveragePooling2d({})).apply(
      column[index] as Symbolic,
    ) as Symbolic;
    if (denseUnits > 0)
      features = tfl.layers
        .dense({
          units: denseUnits,
          activation: 'relu',
          name: `${names[index]}_dense`,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 100 * index + 99 }),
        })
        .apply(features) as Symbolic;
    return head(features, task, index, seed);
  });
  return tfl.model({ inputs: input, outputs, name: 'cross_stitch_cnn' });
}

/** Task towers and heads on each task's representation. */
function towersAndHeads(representations: readonly Symbolic[], options: ExpertOptions): Symbolic[] {
  const seed = options.seed ?? 0;
  return options.tasks.map((task, index) => {
    const tower = denseStack(
      representations[index] as Symbolic,
      options.towerUnits ?? [],
      `tower_${layerName(task.name)}`,
      seed + 5000 + 100 * index,
      {
        ...options,
        dropout: 0,
        batchNorm: false,
      },
    );
    return head(tower, task, index, seed);
  });
}

/** A softmax gate over `input` with one column per expert, seeded. */
function gate(input: Symbolic, experts: number, name: string, seed: number): Symbolic {
  return tfl.layers
    .dense({ units: experts, activation: 'softmax', name, kernelInitializer: tfl.initializers.glorotUniform({ seed }) })
    .apply(input) as Symbolic;
}

function mixture(gateOutput: Symbolic, experts: readonly Symbolic[], name: string): Symbolic {
  return new ExpertMixture({ name }).apply([gateOutput, ...experts]) as Symbolic;
}

/**
 * MMoE: `experts` DNN experts (`shared_expert_<e>`) on the input, one softmax gate per task over the input
 * (`gate_<task>`, one column per expert) mixing them (`mixture_<task>`), then the task's tower and head.
 * @example createMmoeDnn({ inputShape: [168], tasks, experts: 4, hiddenUnits: [128], towerUnits: [32] })
 */
export function createMmoeDnn(options: MmoeOptions): tfl.LayersModel {
  checkCommon(options);
  const hiddenUnits = options.hiddenUnits ?? [512, 512];
  checkLayerSizes('hiddenUnits', hiddenUnits);
  checkLayerSizes('towerUnits', options.towerUnits ?? []);
  checkCount('experts', options.experts);
  const experts = options.experts ?? 4;
  const inputs = product(options.inputShape);
  const expertOutputs = hiddenUnits.at(-1) ?? inputs;
  const towerUnits = options.towerUnits ?? [];
  checkParameterCount(
    options,
    experts * stackParameters(inputs, hiddenUnits, options.batchNorm) +
      options.tasks.length * ((inputs + 1) * experts + stackParameters(expertOutputs, towerUnits, false)) +
      headParameters(options, towerUnits.at(-1) ?? expertOutputs),
    'hiddenUnits',
  );
  const seed = options.seed ?? 0;
  const [input, flat] = flatInput(options);
  const expertTensors = Array.from({ length: experts }, (_, expert) =>
    denseStack(flat, hiddenUnits, `shared_expert_${expert}`, seed + 100 * expert, options),
  );
  const mixed = options.tasks.map((task, index) =>
    mixture(gate(flat, experts, `gate_${layerName(task.name)}`, seed + 3000 + index), expertTensors, `mixture_${layerName(task.name)}`),
  );
  return tfl.model({ inputs: input, outputs: towersAndHeads(mixed, options), name: 'mmoe_dnn' });
}

/**
 * CGC (one level) or PLE (`levels` > 1): at each level `sharedExperts` shared
 * (`shared_level_<l>_expert_<e>`) and `taskExperts` per-task DNN experts; each task's gate (`level_<l>_gate_<task>`) mixes its own and the shared
 * experts; between levels a shared gate (`level_<l>_shared_gate`) mixes all of them for the next
 * level's shared experts. Then each task's tower and head.
 * @example createCgcDnn({ inputShape: [168], tasks, sharedExperts: 2, taskExperts: 1, hiddenUnits: [64], levels: 2 })
 */
export function createCgcDnn(options: CgcOptions): tfl.LayersModel {
  checkCommon(options);
  const hiddenUnits = options.hiddenUnits ?? [512, 512];
  checkLayerSizes('hiddenUnits', hiddenUnits);
  checkLayerSizes('towerUnits', options.towerUnits ?? []);
  checkCount('sharedExperts', options.sharedExperts);
  checkCount('taskExperts', options.taskExperts);
  checkCount('levels', options.levels);
  const [shared, own, levels] = [options.sharedExperts ?? 2, options.taskExperts ?? 1, options.levels ?? 1];
  const tasks = options.tasks.length;
  const towerUnits = options.towerUnits ?? [];
  let parameters = 0;
  let inputs = product(options.inputShape);
  for (let level = 0; level < levels; level++) {
    parameters += (shared + tasks * own) * stackParameters(inputs, hiddenUnits, options.batchNorm) + tasks * (inputs + 1) * (shared + own);
    if (level < levels - 1) parameters += (inputs + 1) * (shared + tasks * own);
    inputs = hiddenUnits.at(-1) ?? inputs;
  }
  parameters += tasks * stackParameters(inputs, towerUnits, false) + headParameters(options, towerUnits.at(-1) ?? inputs);
  checkParameterCount(options, parameters, 'hiddenUnits');
  const seed = options.seed ?? 0;
  const [input, flat] = flatInput(options);
  let sharedInput = flat;
  let taskInputs = options.tasks.map(() => flat);
  for (let level = 0; level < levels; level++) {
    const levelSeed = seed + 10_000 * (level + 1);
    const sharedExperts = Array.from({ length: shared }, (_, expert) =>
      denseStack(sharedInput, hiddenUnits, `shared_level_${level}_expert_${expert}`, levelSeed + 100 * expert, options),
    );
    const taskExperts = options.tasks.map((task, index) =>
      Array.from({ length: own }, (_, expert) =>
        denseStack(
          taskInputs[index] as Symbolic,
          hiddenUnits,
          `level_${level}_${layerName(task.name)}_expert_${expert}`,
          levelSeed + 100 * (shared + index * own + expert),
          options,
        ),
      ),
    );
    const next = options.tasks.map((task, index) => {
      const name = layerName(task.name);
      const experts = [...(taskExperts[index] as Symbolic[]), ...sharedExperts];
      const weights = gate(taskInputs[index] as Symbolic, experts.length, `level_${level}_gate_${name}`, levelSeed + 7000 + index);
      return mixture(weights, experts, `level_${level}_mixture_${name}`);
    });
    if (level < levels - 1) {
      const experts = [...taskExperts.flat(), ...sharedExperts];
      sharedInput = mixture(
        gate(sharedInput, experts.length, `level_${level}_shared_gate`, levelSeed + 8000),
        experts,
        `level_${level}_shared_mixture`,
      );
    }
    taskInputs = next;
  }
  return tfl.model({ inputs: input, outputs: towersAndHeads(taskInputs, options), name: levels > 1 ? 'ple_dnn' : 'cgc_dnn' });
}

/**
 * MTAN-style task attention on the CNN: the shared convolution blocks, and per task an attention
 * module after each block (`attention_<task>_<i>`: a 1×1 convolution with sigmoid over the block's
 * output, and from the second block also the task's previous, pooled, attended features) whose
 * mask multiplies the block's output; then the task's readout, dense layer (`task_dense_<task>`)
 * and head.
 * @example createMtanCnn({ inputShape: [96, 64], tasks, filters: [16, 32, 64], denseUnits: 32 })
 */
export function createMtanCnn(options: CnnOptions): tfl.LayersModel {
  const filterCounts = checkCnn(options);
  const convolutions = convolutionParameters(options, filterCounts);
  const readout = options.readout ?? 'global-average';
  const denseUnits = options.denseUnits ?? 64;
  const readoutFeatures = readout === 'flatten' ? convolutions.rows * convolutions.columns * convolutions.channels : convolutions.channels;
  const attention = filterCounts.reduce(
    (sum, filters, index) => sum + ((index > 0 ? (filterCounts[index - 1] as number) : 0) + filters + 1) * filters,
    0,
  );
  checkParameterCount(
    options,
    convolutions.parameters +
      options.tasks.length * (attention + (denseUnits > 0 ? (readoutFeatures + 1) * denseUnits : 0)) +
      headParameters(options, denseUnits > 0 ? denseUnits : readoutFeatures),
    'filters',
  );
  const seed = options.seed ?? 0;
  const input = tfl.input({ shape: [...options.inputShape], name: 'features' });
  const blocks = convolutionBlocks(input, options, filterCounts);
  const poolSize = options.poolSize === undefined ? ([2, 2] as const) : options.poolSize;
  const outputs = options.tasks.map((task, index) => {
    const name = layerName(task.name);
    let attended: Symbolic | undefined;
    blocks.forEach((shared, block) => {
      let context = shared;
      if (attended) {
        const previous = poolSize
          ? (tfl.layers.maxPooling2d({ poolSize: [...poolSize], padding: 'same' }).apply(attended) as Symbolic)
          : attended;
        context = tfl.layers.concatenate({ axis: -1 }).apply([shared, previous]) as Symbolic;
      }
      const mask = tfl.layers
        .conv2d({
          filters: filterCounts[block] as number,
          kernelSize: 1,
          activation: 'sigmoid',
          name: `attention_${name}_${block}`,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 3000 + 100 * index + block }),
        })
        .apply(context) as Symbolic;
      attended = tfl.layers.multiply().apply([mask, shared]) as Symbolic;
    });
    let features = (readout === 'flatten' ? tfl.layers.flatten() : tfl.layers.globalAveragePooling2d({})).apply(
      attended as Symbolic,
    ) as Symbolic;
    if (denseUnits > 0)
      features = tfl.layers
        .dense({
          units: denseUnits,
          activation: 'relu',
          name: `task_dense_${name}`,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 4000 + index }),
        })
        .apply(features) as Symbolic;
    return head(features, task, index, seed);
  });
  return tfl.model({ inputs: input, outputs, name: 'mtan_cnn' });
}
