/**
 * An experiment as independent work units: its sweep expanded into variants, each variant's
 * feature extractions (one per dataset and extraction setting), and its trainings (one per variant,
 * fold and model: the multi-task model and, with baselines, each task alone). Every training unit
 * writes only into its own folder of the run, so units run in any order, at once, on several
 * machines sharing the run folder, and again after a failure; `collectExperiment` gathers them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ConfigError, PolytaskError, type TaskDefinition } from '@polytask/core';
import { experimentFoldCount } from '@polytask/training-sets';
import { type ExperimentConfig, parseExperimentConfig, setConfigValue } from './experiment-config';

/** One setting of a sweep: the config with the sweep's values for it set. */
export interface ExperimentVariant {
  /** File-safe name, e.g. `lr=0.01,lossCombiner=dwa`; `default` without a sweep. */
  readonly name: string;
  /** The config path → value pairs this variant sets (empty without a sweep). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The variant's complete config (without `sweep`). */
  readonly config: ExperimentConfig;
  /** The variant's folder relative to the run folder: `''` without a sweep, else `variants/<name>`. */
  readonly folder: string;
}

/** Reading and extracting one dataset into the feature cache. */
export interface ExtractionUnit {
  readonly index: number;
  /** The first variant whose config reads it this way (its `datasets[dataset]` and `extraction`). */
  readonly variant: string;
  readonly dataset: number;
  readonly reader: string;
  /** What determines the cache entry (reader, its options, extraction): one unit per distinct value. */
  readonly key: string;
}

/** Training one model on one fold of one variant. */
export interface TrainingUnit {
  /** Position in the plan; `polytask run --unit <index>` and `SLURM_ARRAY_TASK_ID` pick it. */
  readonly index: number;
  readonly variant: string;
  readonly fold: number;
  /** `multi-task`, or `single:<task>` for a task's single-task baseline. */
  readonly model: string;
  /** The unit's folder relative to the run folder, e.g. `fold-0/multi-task` or `variants/<v>/fold-2/single-noise`. */
  readonly folder: string;
}

/** What an experiment consists of. */
export interface ExperimentPlan {
  readonly name: string;
  readonly variants: readonly ExperimentVariant[];
  /** Folds per variant, by name. */
  readonly foldCounts: Readonly<Record<string, number>>;
  /** Tasks per variant (first appearance over the datasets), by name. */
  readonly tasks: Readonly<Record<string, readonly string[]>>;
  readonly extraction: readonly ExtractionUnit[];
  readonly training: readonly TrainingUnit[];
  /** Per variant, its datasets outlined (when planned from the readers; absent in a plan read back from `plan.json`). */
  readonly outlines?: Readonly<Record<string, readonly DatasetOutline[]>>;
}

/** What a plan needs to know of a dataset before any extraction: its tasks and its predefined split. */
export interface DatasetOutline {
  /** The reader's tasks, renamed as the entry says. */
  readonly tasks: readonly TaskDefinition[];
  readonly predefinedSplit: { readonly kind: 'folds'; readonly foldCount: number } | { readonly kind: 'train-test' } | undefined;
}

/** A unit's run was planned with other folds or tasks than the data now give. */
export class PlanMismatchError extends PolytaskError {
  constructor(options: { what: string; planned: unknown; actual: unknown }) {
    super({
      message: `The run's plan has ${options.what} ${JSON.stringify(options.planned)} but the data now give ${JSON.stringify(options.actual)} (did the corpus or a reader change since the run was planned?); start a new run.`,
      context: { ...options },
    });
    this.name = 'PlanMismatchError';
  }

  static override isInstance(error: unknown): error is PlanMismatchError {
    return PolytaskError.isInstance(error) && error.name === 'PlanMismatchError';
  }
}

const safeName = (text: string) => text.replace(/[^A-Za-z0-9._=,-]+/g, '_');
const formatValue = (value: unknown) =>
  typeof value === 'string'
    ? value
    : Array.isArray(value) && value.every((item) => typeof item !== 'object')
      ? value.join('-')
      : JSON.stringify(value);

/** Every combination of a grid's values, the last path varying fastest. */
function gridCombinations(grid: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown>[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [configPath, values] of Object.entries(grid))
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [configPath]: value })));
  return combinations;
}

/** A grid point's name: `<last path key>=<value>` joined by commas (the whole path where last keys repeat). */
function combinationName(values: Readonly<Record<string, unknown>>): string {
  const paths = Object.keys(values);
  const last = paths.map((configPath) => configPath.split('.').at(-1) as string);
  return paths
    .map(
      (configPath, index) =>
        `${last.indexOf(last[index] as string) === last.lastIndexOf(last[index] as string) ? last[index] : configPath}=${formatValue(values[configPath])}`,
    )
    .join(',');
}

/**
 * Expands the config's `sweep` into variants: each listed variant (or the config itself) times each
 * grid point, in order. Each variant's config is validated like a config file.
 * @throws ConfigError naming the variant and the path of a value the schema refuses.
 */
export function expandSweep(config: ExperimentConfig): ExperimentVariant[] {
  const { sweep, ...base } = config;
  if (!sweep) return [{ name: 'default', values: {}, config: base as ExperimentConfig, folder: '' }];
  const listed = sweep.variants ?? [{ set: {} }];
  const grid = gridCombinations(sweep.grid ?? {});
  const variants: ExperimentVariant[] = [];
  const taken = new Set<string>();
  for (const entry of listed) {
    for (const point of grid) {
      const values = { ...entry.set, ...point };
      const pointName = combinationName(point);
      let name = safeName(
        [entry.name ?? (Object.keys(point).length ? '' : combinationName(entry.set)), pointName].filter(Boolean).join(',') || 'default',
      );
      if (taken.has(name)) name = `${name}-${variants.length}`;
      taken.add(name);
      let raw = base as Record<string, unknown>;
      for (const [configPath, value] of Object.entries(values)) raw = setConfigValue(raw, configPath, value);
      variants.push({
        name,
        values,
        config: parseExperimentConfig(raw, `sweep variant "${name}"`),
        folder: path.posix.join('variants', name),
      });
    }
  }
  return variants;
}

/** The folder of a training unit relative to its variant's folder: `fold-<f>/multi-task` or `fold-<f>/single-<task>`. */
export function unitFolderName(fold: number, model: string): string {
  return path.posix.join(
    `fold-${fold}`,
    model === 'multi-task' ? 'multi-task' : `single-${model.slice('single:'.length).replace(/[^A-Za-z0-9_.-]/g, '_')}`,
  );
}

/** Options of {@link planExperiment}. */
export interface PlanExperimentOptions {
  /** A dataset entry's tasks and predefined split, from its reader's listing (no audio is read). */
  readonly outline: (entry: ExperimentConfig['datasets'][number], index: number, variant: ExperimentVariant) => Promise<DatasetOutline>;
}

/**
 * Plans an experiment: variants, extraction units (one per distinct dataset reading and extraction),
 * and training units per variant in order: fold 0's multi-task model, then (with `baselines` and
 * more than one task) each task alone, then fold 1, and so on. Deterministic for a given config and corpus listing.
 */
export async function planExperiment(config: ExperimentConfig, options: PlanExperimentOptions): Promise<ExperimentPlan> {
  const variants = expandSweep(config);
  const extraction: ExtractionUnit[] = [];
  const training: TrainingUnit[] = [];
  const foldCounts: Record<string, number> = {};
  const tasks: Record<string, readonly string[]> = {};
  const outlineOf = new Map<string, Promise<DatasetOutline>>();
  const outlines: Record<string, readonly DatasetOutline[]> = {};
  for (const variant of variants) {
    const outlinesOfVariant: DatasetOutline[] = [];
    for (const [index, entry] of variant.config.datasets.entries()) {
      const readingKey = JSON.stringify([entry.reader, entry.options, entry.tasks ?? {}]);
      let outline = outlineOf.get(readingKey);
      if (!outline) {
        outline = options.outline(entry, index, variant);
        outlineOf.set(readingKey, outline);
      }
      outlinesOfVariant.push(await outline);
      const key = JSON.stringify([entry.reader, entry.options, variant.config.extraction, variant.config.cacheDirectory]);
      if (!extraction.some((unit) => unit.key === key))
        extraction.push({ index: extraction.length, variant: variant.name, dataset: index, reader: entry.reader, key });
    }
    let foldCount: number;
    try {
      foldCount = experimentFoldCount({
        split: variant.config.split as Parameters<typeof experimentFoldCount>[0]['split'],
        predefinedSplits: outlinesOfVariant.map((outline) => outline.predefinedSplit),
      });
    } catch (cause) {
      throw new ConfigError({ configPath: 'split', value: variant.config.split, message: `split: ${(cause as Error).message}`, cause });
    }
    const taskNames = [...new Set(outlinesOfVariant.flatMap((outline) => outline.tasks.map((task) => task.name)))];
    outlines[variant.name] = outlinesOfVariant;
    foldCounts[variant.name] = foldCount;
    tasks[variant.name] = taskNames;
    const models = ['multi-task', ...(variant.config.baselines && taskNames.length > 1 ? taskNames.map((task) => `single:${task}`) : [])];
    for (let fold = 0; fold < foldCount; fold++)
      for (const model of models)
        training.push({
          index: training.length,
          variant: variant.name,
          fold,
          model,
          folder: path.posix.join(variant.folder, unitFolderName(fold, model)),
        });
  }
  return { name: config.name, variants, foldCounts, tasks, extraction, training, outlines };
}

/** The plan as a JSON-safe value for `plan.json` (variant configs are kept by their values). */
export function planToJson(plan: ExperimentPlan) {
  return {
    name: plan.name,
    variants: plan.variants.map(({ name, values, folder }) => ({ name, values, folder })),
    foldCounts: plan.foldCounts,
    tasks: plan.tasks,
    extraction: plan.extraction,
    training: plan.training,
  };
}

/** A short fingerprint of a config: the default run folder of `--unit`/`--shard` runs is `<runsDirectory>/<name>-<fingerprint>`. */
export function configFingerprint(config: ExperimentConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 10);
}

/** The plan as text: variants, extraction units and training units (what `polytask plan` prints). */
export function formatPlan(plan: ExperimentPlan): string {
  const lines = [
    `${plan.name}: ${plan.variants.length} variant(s), ${plan.extraction.length} extraction unit(s), ${plan.training.length} training unit(s)`,
    '',
    'variants:',
    ...plan.variants.map(
      (variant) =>
        `  ${variant.name}: ${plan.foldCounts[variant.name]} fold(s), tasks ${plan.tasks[variant.name]?.join(', ')}${
          Object.keys(variant.values).length
            ? `; sets ${Object.entries(variant.values)
                .map(([key, value]) => `${key}=${formatValue(value)}`)
                .join(' ')}`
            : ''
        }`,
    ),
    '',
    'extraction units (polytask extract <config> --shard k/n):',
    ...plan.extraction.map((unit) => `  ${unit.index}: ${unit.reader} (dataset ${unit.dataset} of variant ${unit.variant})`),
    '',
    'training units, in order (polytask run <config> --unit <index>):',
    ...plan.training.map(
      (unit) => `  ${unit.index}: ${unit.variant === 'default' ? '' : `${unit.variant} `}fold ${unit.fold} ${unit.model}  → ${unit.folder}`,
    ),
  ];
  return lines.join('\n');
}

/**
 * Parses `k/n` (1-based k, as `--shard 2/4`): the units whose index is k-1 modulo n.
 * @throws ConfigError for anything else.
 */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new ConfigError({ configPath: '--shard', value: text, message: `--shard ${text}: give k/n with 1 <= k <= n, e.g. --shard 1/4.` });
  return { index: index - 1, count };
}
