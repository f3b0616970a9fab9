/**
 * polytask/testing: helpers for testing experiment configs without their corpora. Reader
 * packages write fixture corpora in their real layouts (`@polytask/dataset-<name>/testing`);
 * {@link runExperimentOnFixtures} runs a config on them, with {@link fixtureRunOverrides} changing
 * only the corpora's folders and the budget, so readers, extraction, split, preparation, model,
 * sampling and baselines run as configured.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { type EpochRecord, openRun } from '@polytask/results';
import { loadExperimentConfig } from './experiment-config';
import { expandSweep } from './experiment-plan';
import { type ExperimentResult, loadReader, runExperiment } from './run-experiment';

/** Options of {@link fixtureRunOverrides}. */
export interface FixtureRunOverridesOptions {
  /** Folder for the run's feature cache (`cache/`) and run folders (`runs/`), e.g. a temporary folder. */
  readonly directory: string;
  /** Each dataset's fixture root, in the config's `datasets` order; replaces `datasets.<i>.options.directory`. */
  readonly datasetDirectories: readonly string[];
  /** Training epochs of every session. @default 1 */
  readonly epochs?: number;
  /** Batch size; unset keeps the config's. */
  readonly batchSize?: number;
}

/**
 * `--set` overrides that run a config on fixture corpora: the datasets' directories, the cache and
 * runs folders, and the epochs (and optionally the batch size); nothing else changes.
 * @example loadExperimentConfig('experiment.json', fixtureRunOverrides({ directory: temporaryFolder, datasetDirectories: [esc50Folder] }))
 */
export function fixtureRunOverrides(options: FixtureRunOverridesOptions): string[] {
  const { directory } = options;
  return [
    ...options.datasetDirectories.map(
      (datasetDirectory, index) => `datasets.${index}.options.directory=${JSON.stringify(datasetDirectory)}`,
    ),
    `cacheDirectory=${JSON.stringify(path.join(directory, 'cache'))}`,
    `runsDirectory=${JSON.stringify(path.join(directory, 'runs'))}`,
    `training.epochs=${options.epochs ?? 1}`,
    ...(options.batchSize === undefined ? [] : [`training.batchSize=${options.batchSize}`]),
  ];
}

/**
 * `--set` overrides that point the datasets of sweep variants (variants whose `set` holds a whole
 * `datasets` list, e.g. one per subset of the corpora) at fixture folders, as {@link fixtureRunOverrides}
 * does for the config's own datasets: each corpus folder is looked up in `fixtureOf` (corpus folder → fixture root).
 * @throws InvalidArgumentError naming a variant's corpus folder that `fixtureOf` has no fixture for.
 */
export function fixtureVariantOverrides(config: Readonly<Record<string, unknown>>, fixtureOf: ReadonlyMap<string, string>): string[] {
  const variants = (config.sweep as { variants?: readonly { set: Record<string, unknown> }[] } | undefined)?.variants ?? [];
  return variants.flatMap((variant, variantIndex) => {
    const datasets = variant.set.datasets;
    if (!Array.isArray(datasets)) return [];
    return datasets.flatMap((entry: { options?: { directory?: unknown } }, index) => {
      const directory = entry.options?.directory;
      if (typeof directory !== 'string') return [];
      const fixture = fixtureOf.get(directory);
      if (fixture === undefined)
        throw new InvalidArgumentError({
          argument: 'config',
          value: directory,
          message: `sweep.variants.${variantIndex}.set.datasets.${index} reads ${directory}, which no dataset of the config reads, so it has no fixture; list it in the config's datasets too.`,
        });
      return [`sweep.variants.${variantIndex}.set.datasets.${index}.options.directory=${JSON.stringify(fixture)}`];
    });
  });
}

/** Writes a fixture corpus into the folder it is given and returns the corpus root, e.g. `writeEsc50Fixture`. */
export type FixtureWriter = (directory: string) => string;

/** Options of {@link runExperimentOnFixtures}. */
export interface RunExperimentOnFixturesOptions extends Omit<FixtureRunOverridesOptions, 'datasetDirectories'> {
  /** The experiment file, run as it is but for {@link fixtureRunOverrides}. */
  readonly file: string;
  /** A fixture writer for each reader the config names, by reader name (`esc50`, `speech-commands`). */
  readonly fixtures: Readonly<Record<string, FixtureWriter>>;
  /** Loads reader packages; pass `(name) => import(name)` from the test, so they resolve from the test's package. */
  readonly importReader: (packageName: string) => Promise<unknown>;
  /** @default discards the run's log lines */
  readonly log?: (line: string) => void;
  /**
   * Further `--set` overrides after the fixture ones, to shrink a large experiment's test run (e.g.
   * `split.folds=2`, `baselines=false`); everything else runs as configured. @default []
   */
  readonly overrides?: readonly string[];
}

/** What {@link runExperimentOnFixtures} produced. */
export interface FixtureRunResult {
  /** The run's result, as `runExperiment` returns it. */
  readonly result: ExperimentResult;
  /** Every task of every dataset of the config, as their readers declare them (renamed as the entries say), in order and once each. */
  readonly tasks: readonly string[];
  /** With a sweep, the tasks of each variant's datasets (as `tasks`), by variant name; without one, `{ default: tasks }`. */
  readonly variantTasks: Readonly<Record<string, readonly string[]>>;
  /** The run's metrics records (every fold, epoch and split of the multi-task model; of the first variant with a sweep). */
  readonly records: readonly EpochRecord[];
  /**
   * What is missing or wrong in the run, empty when it is complete: every task of every dataset in
   * the summary with one metric in [0, 1] per fold (multi-task, and single-task when the config has
   * baselines), and every record's losses finite; with a sweep, for every variant (each problem
   * starting with the variant's name).
   */
  readonly problems: readonly string[];
}

/** The problems {@link FixtureRunResult.problems} lists. */
function runProblems(
  result: ExperimentResult,
  tasks: readonly string[],
  records: readonly EpochRecord[],
  folds: number,
  baselines: boolean,
): string[] {
  const problems: string[] = [];
  const summarised = result.summary.map((row) => row.task);
  for (const task of tasks) if (!summarised.includes(task)) problems.push(`task ${task} is missing from the summary`);
  for (const row of result.summary) {
    for (const [what, values] of [
      ['multi-task', row.multiTask],
      ...(baselines ? [['single-task', row.singleTask] as const] : []),
    ] as const) {
      if (values.length !== folds) problems.push(`${row.task}: ${values.length} ${what} values for ${folds} folds`);
      for (const value of values) if (!(value >= 0 && value <= 1)) problems.push(`${row.task}: ${what} value ${value} outside [0, 1]`);
    }
  }
  if (records.length === 0) problems.push('no metrics records');
  for (const record of records) {
    if (!Number.isFinite(record.loss)) problems.push(`fold ${record.fold} epoch ${record.epoch} ${record.split}: loss ${record.loss}`);
    for (const task of record.tasks)
      if (task.loss !== undefined && !Number.isFinite(task.loss))
        problems.push(`fold ${record.fold} epoch ${record.epoch} ${record.split} ${task.task}: loss ${task.loss}`);
  }
  return problems;
}

/**
 * Writes a fixture corpus for each dataset of an experiment file (into `<directory>/<index>-<reader>/`;
 * one for entries reading one corpus folder with one reader) and runs the file on them with
 * {@link fixtureRunOverrides} and, for sweep variants that list their own datasets, {@link fixtureVariantOverrides}.
 * @throws InvalidArgumentError naming a reader of the config that `fixtures` has no writer for.
 * @example const { result, tasks } = await runExperimentOnFixtures({ file: 'experiment.json', directory, fixtures: { esc50: (directory) => writeEsc50Fixture({ directory }) }, importReader: (name) => import(name) })
 */
export async function runExperimentOnFixtures(options: RunExperimentOnFixturesOptions): Promise<FixtureRunResult> {
  const { file, directory, importReader } = options;
  const log = options.log ?? (() => {});
  const config = loadExperimentConfig(file);
  const written = new Map<string, string>();
  const datasetDirectories = config.datasets.map((entry, index) => {
    // entries reading one corpus folder with one reader (in different modes) read one fixture
    const corpus = typeof entry.options.directory === 'string' ? JSON.stringify([entry.reader, entry.options.directory]) : undefined;
    const earlier = corpus === undefined ? undefined : written.get(corpus);
    if (earlier !== undefined) return earlier;
    const write = options.fixtures[entry.reader];
    if (!write)
      throw new InvalidArgumentError({
        argument: 'fixtures',
        value: Object.keys(options.fixtures),
        message: `${file}: datasets.${index} reads "${entry.reader}", but fixtures has no writer for it; add one, e.g. from @polytask/dataset-${entry.reader}/testing.`,
      });
    const root = write(path.join(directory, `${index}-${entry.reader}`));
    if (corpus !== undefined) written.set(corpus, root);
    return root;
  });
  const fixtureOf = new Map<string, string>();
  for (const [index, entry] of config.datasets.entries())
    if (typeof entry.options.directory === 'string' && !fixtureOf.has(entry.options.directory))
      fixtureOf.set(entry.options.directory, datasetDirectories[index] as string);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const fixtureConfig = loadExperimentConfig(file, [
    ...fixtureRunOverrides({ ...options, datasetDirectories }),
    ...fixtureVariantOverrides(raw, fixtureOf),
    ...(options.overrides ?? []),
  ]);
  const tasksOf = async (datasets: typeof fixtureConfig.datasets) => {
    const tasks = new Set<string>();
    for (const [index, entry] of datasets.entries()) {
      for (const task of (await loadReader(entry, { index, importReader, log })).tasks) tasks.add(entry.tasks?.[task.name] ?? task.name);
    }
    return [...tasks];
  };
  const tasks = await tasksOf(fixtureConfig.datasets);
  const variants = expandSweep(fixtureConfig);
  const variantTasks: Record<string, readonly string[]> = {};
  for (const variant of variants) variantTasks[variant.name] = fixtureConfig.sweep ? await tasksOf(variant.config.datasets) : tasks;
  const result = await runExperiment(fixtureConfig, { log, importReader });
  const problems: string[] = [];
  let firstRecords: readonly EpochRecord[] | undefined;
  for (const variant of variants) {
    const folder = path.join(result.runDirectory, variant.folder);
    const records = openRun(folder).records;
    firstRecords ??= records;
    const summary = JSON.parse(readFileSync(path.join(folder, 'summary.json'), 'utf8')) as {
      foldCount: number;
      summary: ExperimentResult['summary'];
    };
    problems.push(
      ...runProblems(
        { ...result, summary: summary.summary },
        variantTasks[variant.name] ?? [],
        records,
        summary.foldCount,
        variant.config.baselines,
      ).map((problem) => (variant.folder ? `${variant.name}: ${problem}` : problem)),
    );
  }
  return { result, tasks, variantTasks, records: firstRecords ?? [], problems };
}
