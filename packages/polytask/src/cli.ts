#!/usr/bin/env node
/**
 * The `polytask` command: run, extract, resume, compare and evaluate experiments.
 * Exit code 0 on success; otherwise 1 with a one-line reason.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';
import { openRun, type TaskMetrics } from '@polytask/results';
import { loadExperimentConfig } from './experiment-config';
import {
  evaluateRunCheckpoints,
  formatMeanAndDeviation,
  isFractionMetric,
  readExperimentDatasets,
  resumeExperiment,
  runExperiment,
  type TaskSummary,
} from './run-experiment';

const usage = `usage: polytask <command> [arguments] [--set path=value ...]

  run <config.json>        extract if needed, split, train every fold, evaluate, summarise
  extract <config.json>    read and extract every dataset into the feature cache
  resume <run-folder>      continue an interrupted run from its last complete epoch
  compare <run-folder...>  side-by-side summary of runs (multi-task and single-task)
  evaluate <run-folder>    per fold: the stored test metrics of the last epoch and of the best validation epoch
  evaluate <run-folder> --checkpoints  reload every stored checkpoint (by default each fold keeps its last and best; training.checkpoints) and evaluate it on its fold's test part
  datasets                 list the dataset reader packages installed here

--set overrides one config value, e.g. --set training.lr=0.0005 --set model.kind=cnn`;

/** What `summary.json` holds. */
interface RunSummaryFile {
  readonly summary: TaskSummary[];
  readonly status?: string;
  readonly folds?: number;
  readonly foldCount?: number;
}

/** One task's line in `polytask evaluate`: macro F1 and accuracy, or R² and RMSE for a regression task. */
function describeEvaluation(task: TaskMetrics): string {
  if (task.kind === 'regression')
    return `${task.task} R² ${(task.r2 ?? Number.NaN).toFixed(3)}, RMSE ${(task.rootMeanSquaredError ?? Number.NaN).toPrecision(4)}`;
  const accuracy = task.accuracy === undefined ? '' : `, accuracy ${(100 * task.accuracy).toFixed(1)}%`;
  return `${task.task} macro F1 ${(100 * (task.macro?.f1 ?? 0)).toFixed(1)}%${accuracy}`;
}

function splitArguments(argv: readonly string[]): { positional: string[]; overrides: string[] } {
  const positional: string[] = [];
  const overrides: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--set') overrides.push(argv[++index] ?? '');
    else if (argument.startsWith('--set=')) overrides.push(argument.slice(6));
    else positional.push(argument);
  }
  return { positional, overrides };
}

function installedReaders(): string[] {
  const folder = path.join(process.cwd(), 'node_modules', '@polytask');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.startsWith('dataset-'))
    .map((name) => name.slice('dataset-'.length));
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { positional, overrides } = splitArguments(rest);
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
    switch (command) {
      case 'run': {
        if (!positional[0]) throw new PolytaskError({ message: 'run needs a config file: polytask run <config.json>' });
        await runExperiment(loadExperimentConfig(positional[0], overrides), { signal: controller.signal });
        return controller.signal.aborted ? 130 : 0;
      }
      case 'extract': {
        if (!positional[0]) throw new PolytaskError({ message: 'extract needs a config file: polytask extract <config.json>' });
        await readExperimentDatasets(loadExperimentConfig(positional[0], overrides));
        return 0;
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
      case 'compare': {
        if (positional.length === 0) throw new PolytaskError({ message: 'compare needs run folders: polytask compare <run-folder...>' });
        const runs = positional.map((folder): RunSummaryFile & { folder: string } => {
          const file = path.join(folder, 'summary.json');
          if (existsSync(file)) return { folder, ...(JSON.parse(readFileSync(file, 'utf8')) as RunSummaryFile) };
          // a run stopped before its first summary is listed as such
          if (existsSync(path.join(folder, 'config.json'))) return { folder, summary: [], status: 'no summary yet' };
          throw new PolytaskError({ message: `${folder} has no summary.json or config.json; is it a run folder?` });
        });
        console.log(
          '| run | task | metric | multi-task | single-task | multi-task macro F1 | single-task macro F1 |\n|---|---|---|---|---|---|---|',
        );
        for (const { folder, summary, status, folds, foldCount } of runs) {
          // a stopped or partial run says so next to its name
          const partial = folds !== undefined && foldCount !== undefined && folds < foldCount ? `${folds} of ${foldCount} folds` : '';
          const note = [status && status !== 'success' ? status : '', partial].filter(Boolean).join(', ');
          const name = note ? `${path.basename(folder)} (${note})` : path.basename(folder);
          if (summary.length === 0) console.log(`| ${name} | - | - | - | - | - | - |`);
          for (const row of summary)
            console.log(
              `| ${name} | ${row.task} | ${row.metric} | ${formatMeanAndDeviation(row.multiTask, { percent: isFractionMetric(row.metric) })} | ${formatMeanAndDeviation(row.singleTask, { percent: isFractionMetric(row.metric) })} | ${formatMeanAndDeviation(row.multiTaskMacroF1 ?? [])} | ${formatMeanAndDeviation(row.singleTaskMacroF1 ?? [])} |`,
            );
        }
        return 0;
      }
      case 'evaluate': {
        if (!positional[0]) throw new PolytaskError({ message: 'evaluate needs a run folder: polytask evaluate <run-folder>' });
        if (positional.includes('--checkpoints')) {
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
        const readers = installedReaders();
        console.log(
          readers.length
            ? readers.map((name) => `${name}  (@polytask/dataset-${name})`).join('\n')
            : 'no @polytask/dataset-* package is installed here',
        );
        return 0;
      }
      case undefined:
      case '--help':
      case 'help':
        console.log(usage);
        return command === undefined ? 1 : 0;
      default:
        throw new PolytaskError({ message: `unknown command "${command}"; run polytask help` });
    }
  } catch (error) {
    console.error(`polytask: ${PolytaskError.isInstance(error) ? error.message : ((error as Error)?.stack ?? String(error))}`);
    return 1;
  } finally {
    for (const signal of stopSignals) process.removeListener(signal, onSignal);
    process.removeListener('disconnect', onLauncherGone);
  }
}
