/**
 * Experiment configuration: one JSON file describes a whole experiment (datasets, extraction,
 * split, preparation, model, training, runs). Validated with zod; every error names the path
 * in the file, the bad value and what is allowed. Configs compose: a base file plus `--set
 * path=value` overrides, so varying one part is one flag.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, MissingFileError } from '@polytask/core';
import { resampleMethods } from '@polytask/extraction';
import { featureScales, optimizerNames } from '@polytask/training';
import { samplingStrategies } from '@polytask/training-sets';
import { z } from 'zod';

const positiveInteger = z.number().int().positive();
const nonnegativeInteger = z.number().int().nonnegative();

/** The options of the dense models (the hard-sharing DNN; the experts and columns of the soft-sharing ones). */
const denseOptions = {
  hiddenUnits: z.array(positiveInteger).min(1).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  batchNorm: z.boolean().optional(),
};

/** The options of the convolutional models (the hard-sharing CNN, MTAN). */
const convolutionOptions = {
  filters: z.array(positiveInteger).min(1).optional(),
  kernelSize: z.tuple([positiveInteger, positiveInteger]).optional(),
  denseUnits: z.number().int().nonnegative().optional(),
  /** How the feature maps become a vector: averaged over time and frequency, or flattened (keeps the time order). */
  readout: z.enum(['global-average', 'flatten']).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  batchNorm: z.boolean().optional(),
};

/** Dense layers of each task's tower, between its expert mixture and its head. */
const towerUnits = z.array(positiveInteger).optional();
const unitInterval = z.number().min(0).lt(1);
/** An extension package of your own (see `loadExtensions`): its npm name and its options. */
const extension = {
  package: z.string().regex(/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/),
  options: z.record(z.string(), z.unknown()).default({}),
};
const classWeights = z.union([z.literal('balanced'), z.array(z.number().nonnegative()).min(2)]);

const datasetSchema = z.strictObject({
  /** Reader package suffix: `esc50` loads `@polytask/dataset-esc50`. */
  reader: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  /** Options of the package's `createReader`, e.g. `{ "directory": "data/ESC-50" }`. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Limit examples per label of the main task. */
  sampleLabels: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /**
   * Renames this dataset's tasks (reader's name → experiment's name). Tasks are keyed by name: give
   * two datasets' tasks of one label space one name to share a head, or different names to keep
   * same-named tasks apart, e.g. { "sound": "esc50_sound" }.
   */
  tasks: z.record(z.string(), z.string().regex(/^[A-Za-z0-9_.-]+$/)).optional(),
  /**
   * A file that fails to decode or extract: `fail` the run (default) or `skip` it; skipped files are
   * counted in the log and listed in the run folder's `skipped-files.json`.
   */
  onError: z.enum(['fail', 'skip']).optional(),
});

/** The experiment file's schema. */
export const experimentConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('experiment'),
  datasets: z.array(datasetSchema).min(1),
  extraction: z.strictObject({
    name: z.string(),
    sampleRate: positiveInteger,
    channelPolicy: z.enum(['mean', 'first']).optional(),
    /** Resampler for files at another rate: `polyphase` (default, scipy's resample_poly) or `high-quality` (needs `@alexanderolsen/libsamplerate-js`). */
    resampling: z.enum(resampleMethods).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
  }),
  cacheDirectory: z.string().default('.polytask/cache'),
  indexMode: z.boolean().default(false),
  split: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('k-fold'),
        folds: positiveInteger.min(2).optional(),
        stratify: z.boolean().optional(),
        grouped: z.boolean().optional(),
        seed: z.number().int().optional(),
      }),
      z.strictObject({ kind: z.literal('ratio'), testFraction: z.number().gt(0).lt(1), seed: z.number().int().optional() }),
    ])
    .default({ kind: 'k-fold', folds: 5 }),
  preparation: z
    .strictObject({
      frames: z
        .union([
          z.strictObject({ count: positiveInteger }),
          z.strictObject({
            fit: z.enum(['median', 'minimum', 'maximum', 'percentile']),
            percentile: z.number().min(0).max(100).optional(),
          }),
        ])
        .optional(),
      padMode: z.enum(['zeros', 'edge', 'wrap']).optional(),
      scaling: z.enum(['per-feature', 'per-cell', 'min-max']).nullable().optional(),
      /** Fixed-length windows, e.g. the thesis's { "length": 98, "hop": 24 }; test metrics are then per recording. */
      windows: z
        .strictObject({ length: positiveInteger, hop: positiveInteger.optional(), padMode: z.enum(['zeros', 'edge', 'wrap']).optional() })
        .optional(),
    })
    .default({ scaling: 'per-feature' }),
  /**
   * The model: hard sharing (`dnn`, `cnn`), soft sharing (`cross-stitch`, `mmoe`, `cgc` with
   * `levels` > 1 for PLE, all on dense layers; `cross-stitch-cnn`; `mtan`, task attention on the
   * CNN) or a package's.
   */
  model: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('dnn'), ...denseOptions }),
      z.strictObject({ kind: z.literal('cnn'), ...convolutionOptions }),
      /** One DNN column per task, mixed by cross-stitch units after each hidden layer. */
      z.strictObject({ kind: z.literal('cross-stitch'), ...denseOptions, selfWeight: z.number().gt(0).max(1).optional() }),
      /** Shared DNN experts, one softmax gate per task over the input. */
      z.strictObject({ kind: z.literal('mmoe'), ...denseOptions, experts: positiveInteger.optional(), towerUnits }),
      /** Shared and task-specific DNN experts per level, per-task gates; `levels` > 1 is PLE. */
      z.strictObject({
        kind: z.literal('cgc'),
        ...denseOptions,
        sharedExperts: positiveInteger.optional(),
        taskExperts: positiveInteger.optional(),
        levels: positiveInteger.optional(),
        towerUnits,
      }),
      /** One CNN column per task, mixed by cross-stitch units after each convolution block. */
      z.strictObject({ kind: z.literal('cross-stitch-cnn'), ...convolutionOptions, selfWeight: z.number().gt(0).max(1).optional() }),
      /** The CNN's shared blocks with per-task attention masks after each block. */
      z.strictObject({ kind: z.literal('mtan'), ...convolutionOptions }),
      /** A model builder from an installed package: its `createModel({ inputShape, tasks, seed, options })`. */
      z.strictObject({ kind: z.literal('package'), ...extension }),
    ])
    .default({ kind: 'dnn' }),
  training: z
    .strictObject({
      epochs: positiveInteger.default(20),
      batchSize: positiveInteger.default(32),
      lr: z.number().positive().default(0.001),
      /** A name, or an object with the optimizer's options, e.g. { "name": "adamw", "weightDecay": 0.01 }. */
      optimizer: z
        .union([
          z.enum(optimizerNames),
          z.discriminatedUnion('name', [
            z.strictObject({
              name: z.literal('adam'),
              beta1: unitInterval.optional(),
              beta2: unitInterval.optional(),
              epsilon: z.number().positive().optional(),
            }),
            z.strictObject({
              name: z.literal('adamw'),
              beta1: unitInterval.optional(),
              beta2: unitInterval.optional(),
              epsilon: z.number().positive().optional(),
              weightDecay: z.number().nonnegative().optional(),
            }),
            z.strictObject({ name: z.literal('sgd'), momentum: unitInterval.optional(), nesterov: z.boolean().optional() }),
            z.strictObject({
              name: z.literal('rmsprop'),
              decay: unitInterval.optional(),
              momentum: unitInterval.optional(),
              epsilon: z.number().positive().optional(),
            }),
          ]),
        ])
        .default('adam'),
      /** A name, or an object with the combiner's options, e.g. { "kind": "weighted", "weights": { "keyword": 2 } }. */
      lossCombiner: z
        .union([
          z.enum([
            'sum',
            'uncertainty',
            'dynamic-weight-average',
            'gradnorm',
            'pcgrad',
            'random-loss-weighting',
            'famo',
            'db-mtl',
            'imtl',
            'cagrad',
            'gradvac',
            'graddrop',
            'mgda',
            'mgda-ub',
            'aligned-mtl',
            'nash-mtl',
          ]),
          z.discriminatedUnion('kind', [
            z.strictObject({ kind: z.literal('sum') }),
            z.strictObject({ kind: z.literal('weighted'), weights: z.record(z.string(), z.number().nonnegative()) }),
            z.strictObject({ kind: z.literal('uncertainty'), form: z.enum(['kendall', 'libmtl']).optional() }),
            z.strictObject({ kind: z.literal('dynamic-weight-average'), temperature: z.number().positive().optional() }),
            z.strictObject({
              kind: z.literal('gradnorm'),
              alpha: z.number().nonnegative().optional(),
              learningRate: z.number().positive().optional(),
            }),
            z.strictObject({ kind: z.literal('pcgrad'), seed: z.number().int().optional(), scope: z.enum(['all', 'shared']).optional() }),
            z.strictObject({ kind: z.literal('random-loss-weighting'), seed: z.number().int().optional() }),
            z.strictObject({
              kind: z.literal('famo'),
              learningRate: z.number().positive().optional(),
              weightDecay: z.number().nonnegative().optional(),
            }),
            z.strictObject({
              kind: z.literal('db-mtl'),
              beta: z.number().min(0).max(1).optional(),
              betaSigma: z.number().nonnegative().optional(),
            }),
            z.strictObject({ kind: z.literal('imtl') }),
            z.strictObject({
              kind: z.literal('cagrad'),
              calpha: z.number().nonnegative().optional(),
              rescale: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
            }),
            z.strictObject({
              kind: z.literal('gradvac'),
              beta: z.number().min(0).max(1).optional(),
              groupType: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
              seed: z.number().int().optional(),
            }),
            z.strictObject({ kind: z.literal('graddrop'), leak: z.number().min(0).max(1).optional(), seed: z.number().int().optional() }),
            z.strictObject({ kind: z.literal('mgda'), gradientNormalization: z.enum(['none', 'l2', 'loss', 'loss+']).optional() }),
            z.strictObject({ kind: z.literal('mgda-ub'), gradientNormalization: z.enum(['none', 'l2', 'loss', 'loss+']).optional() }),
            z.strictObject({ kind: z.literal('aligned-mtl') }),
            z.strictObject({
              kind: z.literal('nash-mtl'),
              updateWeightsEvery: z.number().int().positive().optional(),
              optimizationIterations: z.number().int().positive().optional(),
              maxNorm: z.number().nonnegative().optional(),
            }),
            /** A combiner from an installed package: its `createLossCombiner({ tasks, options })`. */
            z.strictObject({ kind: z.literal('package'), ...extension }),
          ]),
        ])
        .default('sum'),
      /** Unset: every-dataset for the gradient combiners (PCGrad, GradNorm, DB-MTL, IMTL, CAGrad, GradVac, GradDrop, MGDA, MGDA-UB, Aligned-MTL, Nash-MTL) when the datasets carry different tasks, else per-dataset. */
      sampling: z
        .union([
          z.enum(samplingStrategies),
          /** A sampler from an installed package: its `createBatchSampler({ set, batchSize, seed, options })`. */
          z.strictObject(extension),
        ])
        .optional(),
      /** Dataset weights of the balanced and every-dataset samplers, in `datasets` order. */
      samplingWeights: z.array(z.number().nonnegative()).optional(),
      /** Learning-rate schedule over epochs; reduce-on-plateau watches the validation loss. */
      schedule: z
        .discriminatedUnion('kind', [
          z.strictObject({ kind: z.literal('constant') }),
          z.strictObject({ kind: z.literal('step'), everyEpochs: positiveInteger, factor: z.number().positive().optional() }),
          z.strictObject({ kind: z.literal('cosine'), epochs: positiveInteger, minimum: z.number().nonnegative().optional() }),
          z.strictObject({
            kind: z.literal('reduce-on-plateau'),
            patience: z.number().int().nonnegative().optional(),
            factor: z.number().positive().lt(1).optional(),
            minimum: z.number().nonnegative().optional(),
            minDelta: z.number().nonnegative().optional(),
          }),
        ])
        .optional(),
      gradientClipNorm: z.number().positive().optional(),
      /**
       * Per task: cross-entropy with class weights (a list or "balanced") or focal loss, e.g. { "spoof": { "kind": "focal" } };
       * for a regression task mean-squared-error (its default), mean-absolute-error or huber (with `delta`).
       */
      losses: z
        .record(
          z.string(),
          z.discriminatedUnion('kind', [
            z.strictObject({ kind: z.literal('cross-entropy'), classWeights: classWeights.optional() }),
            z.strictObject({ kind: z.literal('focal'), gamma: z.number().nonnegative().optional(), classWeights: classWeights.optional() }),
            z.strictObject({ kind: z.literal('mean-squared-error') }),
            z.strictObject({ kind: z.literal('mean-absolute-error') }),
            z.strictObject({ kind: z.literal('huber'), delta: z.number().positive().optional() }),
          ]),
        )
        .optional(),
      /**
       * Augmentations of the training batches (never validation or test), applied in order with
       * draws seeded by training.seed, the fold, the epoch and the batch (so a resumed run continues exactly), e.g.
       * [{ "kind": "spec-augment", "frequencyMaskWidth": 8, "timeMaskWidth": 20 }, { "kind": "mixup", "alpha": 0.4 }].
       * spec-augment needs [time, frequency] features; random-gain's and noise-mixing's featureScale say what the
       * features are; noise-mixing reads its corpus through any reader and needs preparation.scaling null.
       */
      augmentations: z
        .array(
          z.discriminatedUnion('kind', [
            z.strictObject({
              kind: z.literal('spec-augment'),
              frequencyMasks: nonnegativeInteger.optional(),
              frequencyMaskWidth: nonnegativeInteger.optional(),
              timeMasks: nonnegativeInteger.optional(),
              timeMaskWidth: nonnegativeInteger.optional(),
              maskValue: z.union([z.literal('mean'), z.number()]).optional(),
              timeWarp: nonnegativeInteger.optional(),
            }),
            z.strictObject({ kind: z.literal('mixup'), alpha: z.number().positive().optional(), acrossDatasets: z.boolean().optional() }),
            z
              .strictObject({
                kind: z.literal('random-gain'),
                minimumDecibels: z.number().optional(),
                maximumDecibels: z.number().optional(),
                featureScale: z.enum(featureScales).optional(),
              })
              .refine((gain) => (gain.minimumDecibels ?? -6) <= (gain.maximumDecibels ?? 6), {
                path: ['maximumDecibels'],
                message: 'maximumDecibels must be at least minimumDecibels (defaults -6 and 6)',
              }),
            z.strictObject({
              kind: z.literal('time-shift'),
              maximumFrames: nonnegativeInteger,
              mode: z.enum(['circular', 'pad']).optional(),
              padValue: z.number().optional(),
            }),
            z
              .strictObject({
                kind: z.literal('noise-mixing'),
                /** The noise corpus: any reader, extracted as the datasets are (same extraction, same cache); its labels are not used. */
                corpus: datasetSchema.pick({ reader: true, options: true, onError: true }),
                minimumSnr: z.number().optional(),
                maximumSnr: z.number().optional(),
                featureScale: z.enum(featureScales).optional(),
                probability: z.number().min(0).max(1).optional(),
              })
              .refine((mixing) => (mixing.minimumSnr ?? 0) <= (mixing.maximumSnr ?? 20), {
                path: ['maximumSnr'],
                message: 'maximumSnr must be at least minimumSnr (defaults 0 and 20)',
              }),
          ]),
        )
        .optional(),
      /** Regression targets: standard-scaled with the training part's mean and deviation per fold (default), or left as they are. */
      targetScaling: z.enum(['standard', 'none']).optional(),
      earlyStopping: z
        .strictObject({
          metric: z.string().optional(),
          task: z.string().optional(),
          mode: z.enum(['global', 'per-task']).optional(),
          patience: positiveInteger.optional(),
          minDelta: z.number().nonnegative().optional(),
          restoreBestWeights: z.boolean().optional(),
        })
        .optional(),
      /** Which epochs' checkpoints stay (the last always does): the best, every k-th, or all. Default: the last and the best. */
      checkpoints: z
        .strictObject({ best: z.boolean().optional(), every: positiveInteger.optional(), all: z.boolean().optional() })
        .optional(),
      seed: z.number().int().default(0),
    })
    .default({ epochs: 20, batchSize: 32, lr: 0.001, optimizer: 'adam', lossCombiner: 'sum', seed: 0 }),
  /**
   * The validation part carved from each fold's training part (grouped and stratified like the
   * split), which early stopping, schedules and the best epoch watch; the test part is only
   * reported. Default: 15% when early stopping or a reduce-on-plateau schedule is set, else none.
   */
  validation: z
    .union([
      z.strictObject({ fraction: z.number().gt(0).lt(1), seed: z.number().int().optional() }),
      z.strictObject({ folds: positiveInteger.min(2), seed: z.number().int().optional() }),
      z.literal(false),
    ])
    .optional(),
  /** Also train every task alone with the same model and budget, and compare. */
  baselines: z.boolean().default(false),
  /** A backend the run must use; unset or 'auto' leaves the choice to POLYTASK_BACKEND, else the automatic order. */
  backend: z
    .enum(['auto', 'tensorflow', 'wasm', 'cpu'])
    .optional()
    .transform((backend) => (backend === 'auto' ? undefined : backend)),
  runsDirectory: z.string().default('.polytask/runs'),
  /**
   * Settings to compare: a grid (every combination of the listed values per config path) and/or a
   * list of named variants (each a set of config paths to values); each variant is the config with
   * its values set. See `polytask plan`.
   */
  sweep: z
    .strictObject({
      grid: z.record(z.string(), z.array(z.unknown()).min(1)).optional(),
      variants: z
        .array(
          z.strictObject({
            name: z
              .string()
              .regex(/^[A-Za-z0-9._=,-]+$/)
              .optional(),
            set: z.record(z.string(), z.unknown()),
          }),
        )
        .min(1)
        .optional(),
    })
    .optional(),
});

/** A validated experiment configuration. */
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;

/** Sets `value` at a dotted path, creating objects on the way; values parse as JSON when they can. */
export function applyOverride(config: Record<string, unknown>, assignment: string): Record<string, unknown> {
  const equals = assignment.indexOf('=');
  if (equals <= 0)
    throw new ConfigError({
      configPath: assignment,
      value: assignment,
      message: `Override "${assignment}" must look like path.to.key=value, e.g. training.lr=0.001.`,
    });
  const raw = assignment.slice(equals + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return setConfigValue(config, assignment.slice(0, equals), value);
}

/** Sets `value` at a dotted path (`training.lr`, `datasets.0.options.root`) in a copy of `config`, creating objects on the way. */
export function setConfigValue(config: Record<string, unknown>, configPath: string, value: unknown): Record<string, unknown> {
  const keys = configPath.split('.');
  const result = structuredClone(config);
  let target: Record<string, unknown> = result;
  for (const key of keys.slice(0, -1)) {
    const next = Array.isArray(target) ? target[Number(key)] : target[key];
    if (next === undefined || next === null || typeof next !== 'object') target[key] = {};
    target = (Array.isArray(target) ? target[Number(key)] : target[key]) as Record<string, unknown>;
  }
  target[keys.at(-1) as string] = value;
  return result;
}

/**
 * Validates a configuration object.
 * @throws ConfigError naming the path, the value and what is allowed.
 */
export function parseExperimentConfig(input: unknown, source = 'config'): ExperimentConfig {
  const parsed = experimentConfigSchema.safeParse(input);
  if (parsed.success) {
    checkNoiseMixing(parsed.data, source);
    return parsed.data;
  }
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const configPath = issue.path.map(String).join('.') || '(root)';
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  const detail = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}` : issue.message;
  throw new ConfigError({
    configPath,
    value,
    message: `${source}: ${configPath}: ${detail}; got ${JSON.stringify(value)}.`,
    cause: parsed.error,
  });
}

/** Noise mixing adds powers, so it needs the features as extracted: no scaling in the preparation. */
function checkNoiseMixing(config: ExperimentConfig, source: string): void {
  for (const [index, augmentation] of (config.training.augmentations ?? []).entries()) {
    // the preparation scales only when it names a scaling (without a preparation the default names per-feature)
    const scaling = config.preparation.scaling ?? null;
    if (augmentation.kind !== 'noise-mixing' || scaling === null) continue;
    throw new ConfigError({
      configPath: `training.augmentations.${index}`,
      value: augmentation,
      message: `${source}: training.augmentations.${index}: noise mixing adds signal and noise powers, so the features must stay as extracted, but preparation.scaling is ${JSON.stringify(scaling)} (a config without a preparation scales per feature); set "preparation": { "scaling": null } (and featureScale to what the extraction gives, e.g. "decibels" for log-mel).`,
    });
  }
}

/**
 * Reads a JSON experiment file and applies `--set` overrides.
 * @example loadExperimentConfig('experiments/georgiev.json', ['training.lr=0.0005'])
 */
export function loadExperimentConfig(file: string, overrides: readonly string[] = []): ExperimentConfig {
  if (!existsSync(file)) throw new MissingFileError({ path: file, message: `${file}: no such experiment file.` });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError({
      configPath: '(root)',
      value: file,
      message: `${file} is not valid JSON (${(cause as Error).message}).`,
      cause,
    });
  }
  for (const override of overrides) raw = applyOverride(raw, override);
  return parseExperimentConfig(raw, file);
}
