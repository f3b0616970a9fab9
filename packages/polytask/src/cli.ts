#!/usr/bin/env node
/**
 * The `polytask` command: run, extract, resume, compare and evaluate experiments.
 * Exit code 0 on success; otherwise 1 with a one-line reason.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';
import { openRun, type TaskMetrics } from '@polytask/results';
import { type ExperimentConfig, loadExperimentConfig, parseExperimentConfig } from './experiment-config';
import { formatPlan, parseShard, planToJson } from './experiment-plan';
import { installedReaderNames } from './internal/installed-readers';
import {
  collectExperiment,
  defaultUnitRunDirectory,
  evaluateRunCheckpoints,
  formatDelta,
  formatSummaryCells,
  planConfig,
  prepareRunFolder,
  resumeExperiment,
  runExperiment,
  runExtractionUnits,
  type TaskSummary,
} from './run-experiment';
import { runUnitsInParallel } from './run-in-parallel';
import { slurmSubmitCommands, submitSlurmJobs, writeSlurmScripts } from './slurm-jobs';

/** One subcommand: how it is called, what it does, and its options (name with argument, description). */
interface CommandHelp {
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly (readonly [string, string])[];
}

const configOptions = [
  ['--set <path>=<value>', 'override one config value (repeatable), e.g. --set training.lr=0.0005 --set model.kind=cnn'],
  ['--sweep <path>=<v1>,<v2>', "add a grid axis to the config's sweep (repeatable), e.g. --sweep training.lr=0.001,0.01"],
] as const;
const slurmResources = [
  ['--partition <p>', 'Slurm partition'],
  ['--time <hh:mm:ss>', 'time limit of each job'],
  ['--cpus-per-task <n>', 'cores per training unit (its threads)'],
  ['--gpus <g>', 'GPUs per training unit'],
  ['--mem <m>', 'memory per job, e.g. 8G'],
  ['--account <a>', 'Slurm account'],
  ['--limit <n>', "training units running at once (the array's %n)"],
] as const;

/** Every subcommand, in the order `polytask --help` lists them. */
export const commandHelp: Readonly<Record<string, CommandHelp>> = {
  run: {
    synopsis: 'run <config.json>',
    summary: 'extract if needed, split, train every work unit (fold x model x variant), collect the summary',
    options: [
      ...configOptions,
      ['--parallel <n>', 'run the units in n processes on this machine (threads shared out over the cores)'],
      ['--unit <i>[,<j>...]', 'run only these training units (no collect), in --run-dir or <runsDirectory>/<name>-<config hash>'],
      ['--shard <k>/<n>', 'run the training units whose index is k-1 modulo n (no collect)'],
      ['--run-dir <folder>', 'the run folder to use (the units of one run on several machines share it)'],
    ],
  },
  plan: {
    synopsis: 'plan <config.json>',
    summary: 'list the work units: variants of the sweep, extraction units, training units',
    options: [...configOptions, ['--json', 'print the plan as JSON']],
  },
  extract: {
    synopsis: 'extract <config.json>',
    summary: 'read and extract every dataset into the feature cache',
    options: [
      ...configOptions,
      ['--unit <i>[,<j>...]', 'extract only these extraction units (polytask plan lists them)'],
      ['--shard <k>/<n>', 'extract the units whose index is k-1 modulo n'],
    ],
  },
  collect: {
    synopsis: 'collect <run-folder>',
    summary:
      "gather the complete units into metrics, summaries, the sweep's comparison and TensorBoard; list missing and failed units (exit 1 if any)",
    options: [],
  },
  resume: {
    synopsis: 'resume <run-folder>',
    summary: 'continue an interrupted run: every unit from its last complete epoch, then collect',
    options: [],
  },
  slurm: {
    synopsis: 'slurm <config.json>',
    summary: 'write sbatch scripts (extraction array, training array, collect job, chained by afterok) and submit them',
    options: [
      ...configOptions,
      ...slurmResources,
      ['--run-dir <folder>', 'the run folder (default <runsDirectory>/<name>-<config hash>)'],
      ['--dry-run', 'write the scripts and print the sbatch commands instead of submitting'],
      ['--resubmit', 'polytask slurm --resubmit <run-folder>: submit only its missing and failed units, and a new collect job'],
    ],
  },
  compare: {
    synopsis: 'compare <run-folder...>',
    summary: "side-by-side summary of runs and of a sweep's variants",
    options: [['--sort <task>[:macroF1] | delta-m', "best first by a task's headline metric (or its macro F1), or by Δm"]],
  },
  evaluate: {
    synopsis: 'evaluate <run-folder>',
    summary: 'per fold: the stored test metrics of the last epoch and of the best validation epoch',
    options: [
      [
        '--checkpoints',
        "reload every stored checkpoint (by default each fold keeps its last and best) and evaluate it on its fold's test part",
      ],
    ],
  },
  datasets: { synopsis: 'datasets', summary: 'list the dataset reader packages installed here', options: [] },
  help: { synopsis: 'help [<command>]', summary: "this text, or one command's (also: polytask <command> --help)", options: [] },
};

/** `polytask --help`: every command with its summary. */
export function usageText(): string {
  const lines = Object.values(commandHelp).map(({ synopsis, summary }) => `  ${synopsis.padEnd(26)} ${summary}`);
  return `usage: polytask <command> [arguments] [options]   (options may come anywhere)\n\n${lines.join('\n')}\n\npolytask <command> --help describes a command and its options.`;
}

/** `polytask <command> --help`: the command, what it does and each option. */
export function commandHelpText(command: string): string {
  const help = commandHelp[command];
  if (!help) throw new PolytaskError({ message: `unknown command "${command}"; the commands are ${Object.keys(commandHelp).join(', ')}` });
  const width = Math.max(0, ...help.options.map(([name]) => name.length));
  const options = help.options.map(([name, description]) => `  ${name.padEnd(width)}  ${description}`);
  return [`usage: polytask ${help.synopsis}`, '', help.summary, ...(options.length ? ['', 'options:', ...options] : [])].join('\n');
}

/** What `summary.json` holds. */
interface RunSummaryFile {
  readonly summary: TaskSummary[];
  readonly status?: string;
  readonly folds?: number;
  readonly foldCount?: number;
  /** Δm per fold (runs with baselines). */
  readonly deltaM?: readonly number[];
}

/** One task's line in `polytask evaluate`: macro F1 and accuracy, or R² and RMSE for a regression task. */
function describeEvaluation(task: TaskMetrics): string {
  if (task.kind === 'regression')
    return `${task.task} R² ${(task.r2 ?? Number.NaN).toFixed(3)}, RMSE ${(task.rootMeanSquaredError ?? Number.NaN).toPrecision(4)}`;
  const accuracy = task.accuracy === undefined ? '' : `, accuracy ${(100 * task.accuracy).toFixed(1)}%`;
  return `${task.task} macro F1 ${(100 * (task.macro?.f1 ?? 0)).toFixed(1)}%${accuracy}`;
}

/** Every option the command line accepts (each documented in some command's --help). */
export const valueFlags = [
  '--set',
  '--sweep',
  '--unit',
  '--shard',
  '--run-dir',
  '--parallel',
  '--sort',
  '--partition',
  '--time',
  '--cpus-per-task',
  '--gpus',
  '--mem',
  '--account',
  '--limit',
] as const;
export const booleanFlags = ['--checkpoints', '--dry-run', '--resubmit', '--json', '--help'] as const;

/** Command-line arguments: positional ones, and each flag's values in order. */
interface ParsedArguments {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

function splitArguments(argv: readonly string[]): ParsedArguments {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '-h') {
      flags.set('--help', ['true']);
      continue;
    }
    if (!argument.startsWith('--')) {
      positional.push(argument);
      continue;
    }
    const equals = argument.indexOf('=');
    const name = equals > 0 ? argument.slice(0, equals) : argument;
    if ((booleanFlags as readonly string[]).includes(name)) {
      flags.set(name, ['true']);
      continue;
    }
    if (!(valueFlags as readonly string[]).includes(name))
      throw new PolytaskError({
        message: `unknown option ${name}; the options are ${[...valueFlags, ...booleanFlags].join(', ')} (polytask <command> --help)`,
      });
    const value = equals > 0 ? argument.slice(equals + 1) : argv[++index];
    if (value === undefined) throw new PolytaskError({ message: `${name} needs a value (polytask help)` });
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

const flag = (parsed: ParsedArguments, name: string) => parsed.flags.get(name)?.at(-1);

/** A positive whole number flag. */
function integerFlag(parsed: ParsedArguments, name: string): number | undefined {
  const text = flag(parsed, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new PolytaskError({ message: `${name} ${text}: give a whole number.` });
  return value;
}

/** The training or extraction units `--unit` and `--shard` select out of `count`; undefined for all. */
function selectedUnits(parsed: ParsedArguments, count: number): number[] | undefined {
  const units = parsed.flags.get('--unit');
  const shard = flag(parsed, '--shard');
  if (units && shard) throw new PolytaskError({ message: 'give --unit or --shard, not both' });
  if (units)
    return units.flatMap((text) =>
      text.split(',').map((part) => {
        const value = Number(part);
        if (!Number.isInteger(value) || value < 0)
          throw new PolytaskError({ message: `--unit ${part}: give a unit index (polytask plan lists them).` });
        return value;
      }),
    );
  if (!shard) return undefined;
  const { index, count: shards } = parseShard(shard);
  return Array.from({ length: count }, (_, unit) => unit).filter((unit) => unit % shards === index);
}

/** Loads a config with `--set` overrides and `--sweep` grid axes. */
function loadConfig(file: string, parsed: ParsedArguments): ExperimentConfig {
  const config = loadExperimentConfig(file, parsed.flags.get('--set') ?? []);
  const axes = parsed.flags.get('--sweep') ?? [];
  if (axes.length === 0) return config;
  const grid: Record<string, unknown[]> = { ...config.sweep?.grid };
  for (const axis of axes) {
    const equals = axis.indexOf('=');
    if (equals <= 0) throw new PolytaskError({ message: `--sweep ${axis}: give path=value1,value2, e.g. --sweep training.lr=0.001,0.01` });
    grid[axis.slice(0, equals)] = axis
      .slice(equals + 1)
      .split(',')
      .map((value) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          return value;
        }
      });
  }
  return parseExperimentConfig({ ...config, sweep: { ...config.sweep, grid } }, `${file} with --sweep`);
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  // SIGINT, SIGTERM, SIGHUP (forwarded by the launcher) and the launcher's death finish the batch,
  // leaving the run resumable; a second signal exits at once
  const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const abortNow = () => process.exit(130);
  const onInterrupt = (reason: string) => {
    if (controller.signal.aborted) return abortNow();
    console.error(`polytask: ${reason}; finishing the current batch (press Ctrl-C again to abort)`);
    controller.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => onInterrupt(`interrupted (${signal})`);
  const onLauncherGone = () => onInterrupt('the launching process is gone');
  for (const signal of stopSignals) process.on(signal, onSignal);
  const launched = process.env.POLYTASK_LAUNCHER_PID !== undefined && typeof process.send === 'function';
  if (launched) {
    // a launcher gone before this point (its channel already closed) stops the run as well
    if (!process.connected) queueMicrotask(onLauncherGone);
    else process.once('disconnect', onLauncherGone);
    // the channel only tells that the launcher is gone; it must not keep this process alive
    process.channel?.unref();
  }
  try {
    // options may come before, between or after the command and its arguments
    const all = splitArguments(argv);
    const [command, ...positional] = all.positional;
    const parsed: ParsedArguments = { positional, flags: all.flags };
    const overrides = parsed.flags.get('--set') ?? [];
    if (command === 'help' || (command === undefined && flag(parsed, '--help'))) {
      console.log(positional[0] ? commandHelpText(positional[0]) : usageText());
      return 0;
    }
    if (command !== undefined && flag(parsed, '--help')) {
      console.log(commandHelpText(command));
      return 0;
    }
    switch (command) {
      case 'run': {
        if (!positional[0]) throw new PolytaskError({ message: 'run needs a config file: polytask run <config.json>' });
        const config = loadConfig(positional[0], parsed);
        const runDirectory = flag(parsed, '--run-dir');
        const processes = integerFlag(parsed, '--parallel');
        if (processes !== undefined) {
          const plan = await planConfig(config);
          const directory = runDirectory ?? defaultUnitRunDirectory(config);
          mkdirSync(directory, { recursive: true });
          prepareRunFolder(directory, config, plan);
          await runExtractionUnits(
            plan,
            plan.extraction.map((unit) => unit.index),
          );
          const outcome = await runUnitsInParallel({
            runDirectory: directory,
            plan,
            processes,
            signal: controller.signal,
            ...((parsed.flags.get('--unit') ?? flag(parsed, '--shard'))
              ? { units: selectedUnits(parsed, plan.training.length) ?? [] }
              : {}),
          });
          collectExperiment(directory, outcome.stopped ? { status: 'stopped' } : {});
          if (outcome.stopped) return 130;
          if (outcome.failed.length)
            throw new PolytaskError({
              message: `${outcome.failed.length} unit(s) failed (${outcome.failed.map((entry) => entry.unit).join(', ')}); their errors are above and in ${directory}/<unit>/failed.json; rerun them with polytask run ${positional[0]} --run-dir ${directory} --unit <i>`,
            });
          return 0;
        }
        // a unit run needs the plan to pick its units; runExperiment reuses it
        const plan = parsed.flags.get('--unit') || flag(parsed, '--shard') ? await planConfig(config) : undefined;
        const units = plan ? selectedUnits(parsed, plan.training.length) : undefined;
        await runExperiment(config, {
          signal: controller.signal,
          ...(plan ? { plan } : {}),
          ...(units ? { units } : {}),
          ...(runDirectory ? { runDirectory } : {}),
        });
        return controller.signal.aborted ? 130 : 0;
      }
      case 'plan': {
        if (!positional[0]) throw new PolytaskError({ message: 'plan needs a config file: polytask plan <config.json>' });
        const plan = await planConfig(loadConfig(positional[0], parsed));
        console.log(flag(parsed, '--json') ? JSON.stringify(planToJson(plan), null, 1) : formatPlan(plan));
        return 0;
      }
      case 'extract': {
        if (!positional[0]) throw new PolytaskError({ message: 'extract needs a config file: polytask extract <config.json>' });
        const config = loadConfig(positional[0], parsed);
        const plan = await planConfig(config);
        await runExtractionUnits(plan, selectedUnits(parsed, plan.extraction.length) ?? plan.extraction.map((unit) => unit.index));
        return 0;
      }
      case 'collect': {
        if (!positional[0]) throw new PolytaskError({ message: 'collect needs a run folder: polytask collect <run-folder>' });
        const { missing, failed } = collectExperiment(positional[0]);
        return missing.length === 0 && failed.length === 0 ? 0 : 1;
      }
      case 'resume': {
        if (!positional[0]) throw new PolytaskError({ message: 'resume needs a run folder: polytask resume <run-folder>' });
        if (overrides.length > 0)
          throw new PolytaskError({
            message: `resume continues a run with the config it started with (${path.join(positional[0], 'config.json')}); --set is not accepted. Start a new run to change settings.`,
          });
        await resumeExperiment(positional[0], { signal: controller.signal });
        return controller.signal.aborted ? 130 : 0;
      }
      case 'slurm': {
        if (!positional[0])
          throw new PolytaskError({ message: 'slurm needs a config file (or --resubmit <run-folder>): polytask slurm <config.json>' });
        const resources = {
          ...(flag(parsed, '--partition') ? { partition: flag(parsed, '--partition') as string } : {}),
          ...(flag(parsed, '--time') ? { time: flag(parsed, '--time') as string } : {}),
          ...(flag(parsed, '--cpus-per-task') ? { cpusPerTask: integerFlag(parsed, '--cpus-per-task') as number } : {}),
          ...(flag(parsed, '--gpus') ? { gpus: flag(parsed, '--gpus') as string } : {}),
          ...(flag(parsed, '--mem') ? { mem: flag(parsed, '--mem') as string } : {}),
          ...(flag(parsed, '--account') ? { account: flag(parsed, '--account') as string } : {}),
          ...(flag(parsed, '--limit') ? { limit: integerFlag(parsed, '--limit') as number } : {}),
        };
        const resubmit = flag(parsed, '--resubmit') !== undefined;
        const runDirectory = resubmit
          ? positional[0]
          : (flag(parsed, '--run-dir') ?? defaultUnitRunDirectory(loadConfig(positional[0], parsed)));
        const config = resubmit ? loadExperimentConfig(path.join(runDirectory, 'config.json')) : loadConfig(positional[0], parsed);
        const plan = await planConfig(config);
        mkdirSync(runDirectory, { recursive: true });
        prepareRunFolder(runDirectory, config, plan);
        let units: number[] | undefined;
        if (resubmit) {
          const { missing, failed } = collectExperiment(runDirectory, { log: () => {} });
          units = [...missing, ...failed.map((entry) => entry.unit)].map((unit) => unit.index).sort((a, b) => a - b);
          if (units.length === 0) {
            console.log(`${runDirectory}: every unit is complete; nothing to resubmit (polytask collect ${runDirectory})`);
            return 0;
          }
        }
        const scripts = writeSlurmScripts({ runDirectory, plan, ...resources });
        if (flag(parsed, '--dry-run')) {
          console.log(
            `scripts written to ${path.join(runDirectory, 'slurm')}; submit with:\n${slurmSubmitCommands(scripts, units).join('\n')}`,
          );
          return 0;
        }
        const submission = submitSlurmJobs({ runDirectory, scripts, allUnits: plan.training.length, ...(units ? { units } : {}) });
        console.log(
          `submitted ${submission.units.length} training unit(s): ${submission.extract ? `extraction job ${submission.extract}, ` : ''}training array ${submission.train}, collect job ${submission.collect}; logs in ${path.join(runDirectory, 'slurm', 'logs')}; afterwards: polytask compare ${runDirectory}`,
        );
        return 0;
      }
      case 'compare': {
        if (positional.length === 0) throw new PolytaskError({ message: 'compare needs run folders: polytask compare <run-folder...>' });
        const entries = positional.flatMap((folder): (RunSummaryFile & { name: string })[] => {
          const comparison = path.join(folder, 'comparison.json');
          // a sweep: one entry per variant
          if (existsSync(comparison))
            return (JSON.parse(readFileSync(comparison, 'utf8')) as { variants: (RunSummaryFile & { variant: string })[] }).variants.map(
              (variant) => ({ ...variant, name: `${path.basename(folder)}/${variant.variant}` }),
            );
          const file = path.join(folder, 'summary.json');
          if (existsSync(file)) return [{ ...(JSON.parse(readFileSync(file, 'utf8')) as RunSummaryFile), name: path.basename(folder) }];
          // a run stopped before its first summary is listed as such
          if (existsSync(path.join(folder, 'config.json'))) return [{ name: path.basename(folder), summary: [], status: 'no summary yet' }];
          throw new PolytaskError({ message: `${folder} has no summary.json or config.json; is it a run folder?` });
        });
        const sort = flag(parsed, '--sort');
        const average = (values: readonly number[] | undefined) =>
          values?.length ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NEGATIVE_INFINITY;
        if (sort === 'delta-m') entries.sort((a, b) => average(b.deltaM) - average(a.deltaM));
        else if (sort) {
          const [task, metric = 'headline'] = sort.split(':');
          if (!['headline', 'macroF1'].includes(metric))
            throw new PolytaskError({ message: `--sort ${sort}: give <task> (its headline metric), <task>:macroF1 or delta-m` });
          if (!entries.some((entry) => entry.summary.some((row) => row.task === task)))
            throw new PolytaskError({
              message: `--sort ${sort}: no run has a task "${task}"; the tasks are ${[...new Set(entries.flatMap((entry) => entry.summary.map((row) => row.task)))].join(', ')}`,
            });
          const score = (entry: RunSummaryFile) => {
            const row = entry.summary.find((candidate) => candidate.task === task);
            return average(metric === 'macroF1' ? row?.multiTaskMacroF1 : row?.multiTask);
          };
          entries.sort((a, b) => score(b) - score(a));
        }
        console.log(
          '| run | task | metric | multi-task | single-task | multi-task macro F1 | single-task macro F1 |\n|---|---|---|---|---|---|---|',
        );
        for (const { name: runName, summary, status, folds, foldCount } of entries) {
          // a stopped or partial run says so next to its name
          const partial = folds !== undefined && foldCount !== undefined && folds < foldCount ? `${folds} of ${foldCount} folds` : '';
          const note = [status && status !== 'success' ? status : '', partial].filter(Boolean).join(', ');
          const name = note ? `${runName} (${note})` : runName;
          if (summary.length === 0) console.log(`| ${name} | - | - | - | - | - | - |`);
          for (const row of summary) console.log(`| ${name} | ${row.task} | ${row.metric} | ${formatSummaryCells(row)} |`);
        }
        const withDelta = entries.filter((entry) => entry.deltaM?.length);
        if (withDelta.length) {
          console.log('\n| run | Δm (multi-task vs single-task, mean ± std over folds) |\n|---|---|');
          for (const entry of withDelta) console.log(`| ${entry.name} | ${formatDelta(entry.deltaM ?? [])} |`);
        }
        return 0;
      }
      case 'evaluate': {
        if (!positional[0]) throw new PolytaskError({ message: 'evaluate needs a run folder: polytask evaluate <run-folder>' });
        if (flag(parsed, '--checkpoints')) {
          await evaluateRunCheckpoints(positional[0]);
          return 0;
        }
        const run = openRun(positional[0]);
        const folds = [...new Set(run.records.map((record) => record.fold))].sort((a, b) => a - b);
        for (const fold of folds) {
          // the multi-task model's records; the best epoch is chosen on validation, never on test
          const ofFold = (split: string) =>
            run.records.filter((record) => record.fold === fold && record.split === split && record.model === undefined);
          const tests = ofFold('test');
          const validations = ofFold('validation');
          const bestValidation = validations.reduce(
            (chosen, record) => (record.loss < chosen.loss ? record : chosen),
            validations[0] as (typeof validations)[number],
          );
          const best = bestValidation && tests.findLast((record) => record.epoch === bestValidation.epoch);
          for (const [label, record] of [
            ['last', tests.at(-1)],
            ['best (lowest validation loss)', best],
          ] as const) {
            if (!record) continue;
            console.log(`fold ${fold} ${label}, epoch ${record.epoch}: ${record.tasks.map(describeEvaluation).join('; ')}`);
          }
        }
        return 0;
      }
      case 'datasets': {
        const readers = installedReaderNames();
        console.log(
          readers.length
            ? readers.map((name) => `${name}  (@polytask/dataset-${name})`).join('\n')
            : 'no @polytask/dataset-* package is installed here',
        );
        return 0;
      }
      case undefined:
        console.log(usageText());
        return 1;
      default:
        throw new PolytaskError({
          message: `unknown command "${command}"; the commands are ${Object.keys(commandHelp).join(', ')} (polytask --help)`,
        });
    }
  } catch (error) {
    console.error(`polytask: ${PolytaskError.isInstance(error) ? error.message : ((error as Error)?.stack ?? String(error))}`);
    return 1;
  } finally {
    for (const signal of stopSignals) process.removeListener(signal, onSignal);
    process.removeListener('disconnect', onLauncherGone);
  }
}

/**
 * The CLI reference in Markdown: `polytask --help` and each command's `--help`, as printed.
 * scripts/generate-docs.mjs writes it into README.md; a test checks the README holds it.
 */
export function cliReferenceMarkdown(): string {
  const fence = (text: string) => `\`\`\`text\n${text}\n\`\`\``;
  const sections = Object.keys(commandHelp)
    .filter((command) => command !== 'help')
    .map((command) => `### polytask ${command}\n\n${fence(commandHelpText(command))}`);
  return [`\`polytask --help\`:\n\n${fence(usageText())}`, ...sections].join('\n\n');
}
