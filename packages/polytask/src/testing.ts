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
}

/** What {@link runExperimentOnFixtures} produced. */
export interface FixtureRunResult {
  /** The run's result, as `runExperiment` returns it. */
  readonly result: ExperimentResult;
  /** Every task of every dataset of the config, as their readers declare them, in order and once each. */
  readonly tasks: readonly string[];
  /** The run's metrics records (every fold, epoch and split of the multi-task model). */
  readonly records: readonly EpochRecord[];
  /**
   * What is missing or wrong in the run, empty when it is complete: every task of every dataset in
   * the summary with one metric in [0, 1] per fold (multi-task, and single-task when the config has
   * baselines), and every record's losses finite.
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
 * Writes a fixture corpus for each dataset of an experiment file (into `<directory>/<index>-<reader>/`)
 * and runs the file on them with {@link fixtureRunOverrides}.
 * @throws InvalidArgumentError naming a reader of the config that `fixtures` has no writer for.
 * @example const { result, tasks } = await runExperimentOnFixtures({ file: 'experiment.json', directory, fixtures: { esc50: (directory) => writeEsc50Fixture({ directory }) }, importReader: (name) => import(name) })
 */
export async function runExperimentOnFixtures(options: RunExperimentOnFixturesOptions): Promise<FixtureRunResult> {
  const { file, directory, importReader } = options;
  const log = options.log ?? (() => {});
  const config = loadExperimentConfig(file);
  const datasetDirectories = config.datasets.map((entry, index) => {
    const write = options.fixtures[entry.reader];
    if (!write)
      throw new InvalidArgumentError({
        argument: 'fixtures',
        value: Object.keys(options.fixtures),
        message: `${file}: datasets.${index} reads "${entry.reader}", but fixtures has no writer for it; add one, e.g. from @polytask/dataset-${entry.reader}/testing.`,
      });
    return write(path.join(directory, `${index}-${entry.reader}`));
  });
  const fixtureConfig = loadExperimentConfig(file, fixtureRunOverrides({ ...options, datasetDirectories }));
  const tasks = new Set<string>();
  for (const [index, entry] of fixtureConfig.datasets.entries()) {
    for (const task of (await loadReader(entry, { index, importReader, log })).tasks) tasks.add(task.name);
  }
  const result = await runExperiment(fixtureConfig, { log, importReader });
  const records = openRun(result.runDirectory).records;
  const folds = (JSON.parse(readFileSync(path.join(result.runDirectory, 'summary.json'), 'utf8')) as { foldCount: number }).foldCount;
  return {
    result,
    tasks: [...tasks],
    records,
    problems: runProblems(result, [...tasks], records, folds, fixtureConfig.baselines),
  };
}
