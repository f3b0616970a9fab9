/**
 * A run's work units as Slurm jobs: an extraction job array, the training job array
 * (`SLURM_ARRAY_TASK_ID` picks the unit) after it, and a collect job after that, chained with
 * `--dependency=afterok`. The scripts call this installation of Polytask by absolute paths, so the
 * run folder, the feature cache and the installation must be on a filesystem every node shares.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolytaskError } from '@polytask/core';
import { writeFileAtomically } from '@polytask/results';
import type { ExperimentPlan } from './experiment-plan';

/** Resources and placement of the jobs (each becomes an `#SBATCH` line when given). */
export interface SlurmResources {
  readonly partition?: string;
  /** Wall time per unit, e.g. `02:00:00`. */
  readonly time?: string;
  readonly cpusPerTask?: number;
  /** GPUs per unit, e.g. `1` or `a100:1`. */
  readonly gpus?: string;
  /** Memory per unit, e.g. `8G`. */
  readonly mem?: string;
  readonly account?: string;
  /** Most training units running at once (`--array=0-N%limit`). */
  readonly limit?: number;
}

/** Options of {@link writeSlurmScripts}. */
export interface WriteSlurmScriptsOptions extends SlurmResources {
  readonly runDirectory: string;
  readonly plan: ExperimentPlan;
  /** The command that starts Polytask on a node. @default this Node.js and this package's launcher, by absolute paths */
  readonly command?: readonly string[];
  /** Folder the jobs start in (relative paths of the config resolve from it). @default the current folder */
  readonly workingDirectory?: string;
}

/** The job scripts of a run, under `<run>/slurm/`. */
export interface SlurmScripts {
  readonly extract: string | undefined;
  readonly train: string;
  readonly collect: string;
}

/** `sbatch` failed or is not installed. */
export class SlurmSubmitError extends PolytaskError {
  constructor(options: { command: string; detail: string }) {
    super({
      message: `${options.command} failed: ${options.detail}. Is this a Slurm login node (sbatch on PATH, SLURM_CONF set)? polytask slurm --dry-run writes the scripts without submitting.`,
      context: { ...options },
    });
    this.name = 'SlurmSubmitError';
  }

  static override isInstance(error: unknown): error is SlurmSubmitError {
    return PolytaskError.isInstance(error) && error.name === 'SlurmSubmitError';
  }
}

// the units' threads: the CPUs Slurm gave the task (a shell expansion, not a template)
const threadsLine = ['export POLYTASK_THREADS="$', '{SLURM_CPUS_PER_TASK:-1}"'].join('');

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The default node command: this Node.js with the launcher's flag, and this package's `bin/polytask.js`. */
export function polytaskCommand(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [process.execPath, '--single-threaded-gc', path.resolve(here, '..', 'bin', 'polytask.js')];
}

/** A job script: `#SBATCH` lines (sbatch reads them only before the first command), then the commands. */
function header(options: WriteSlurmScriptsOptions, name: string, resources: boolean, array?: string): string[] {
  const logs = path.resolve(options.runDirectory, 'slurm', 'logs');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${options.plan.name}-${name}`,
    `#SBATCH --output=${logs}/${name}-%A_%a.out`,
    `#SBATCH --chdir=${path.resolve(options.workingDirectory ?? process.cwd())}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.account ? [`#SBATCH --account=${options.account}`] : []),
    ...(resources && options.time ? [`#SBATCH --time=${options.time}`] : []),
    ...(resources && options.cpusPerTask ? [`#SBATCH --cpus-per-task=${options.cpusPerTask}`] : []),
    ...(resources && options.mem ? [`#SBATCH --mem=${options.mem}`] : []),
    ...(resources && options.gpus ? [`#SBATCH --gpus=${options.gpus}`] : []),
    ...(array ? [`#SBATCH --array=${array}`] : []),
    'set -euo pipefail',
    // the launcher must not fork again: Slurm signals (scancel, time limit) reach the trainer directly
    'export POLYTASK_NO_RESPAWN=1',
    // sbatch hands the submitting shell's environment on, the launcher's mark included
    'unset POLYTASK_LAUNCHER_PID',
  ];
}

/**
 * Writes `extract.sbatch` (an array over the extraction units; none when there is nothing to
 * extract), `train.sbatch` (an array over the training units, `%limit` at once) and
 * `collect.sbatch` into `<run>/slurm/`.
 */
export function writeSlurmScripts(options: WriteSlurmScriptsOptions): SlurmScripts {
  const folder = path.join(options.runDirectory, 'slurm');
  const run = path.resolve(options.runDirectory);
  const config = path.join(run, 'config.json');
  const command = (options.command ?? polytaskCommand()).map(quote).join(' ');
  const units = options.plan.training.length;
  const extractions = options.plan.extraction.length;
  const extract =
    extractions > 0
      ? [
          ...header(options, 'extract', true, `0-${extractions - 1}`),
          threadsLine,
          `exec ${command} extract ${quote(config)} --unit "$SLURM_ARRAY_TASK_ID"`,
        ]
      : undefined;
  const train = [
    ...header(options, 'train', true, `0-${units - 1}${options.limit ? `%${options.limit}` : ''}`),
    threadsLine,
    `exec ${command} run ${quote(config)} --run-dir ${quote(run)} --unit "$SLURM_ARRAY_TASK_ID"`,
  ];
  const collect = [...header(options, 'collect', false), `exec ${command} collect ${quote(run)}`];
  const files = {
    extract: extract ? path.join(folder, 'extract.sbatch') : undefined,
    train: path.join(folder, 'train.sbatch'),
    collect: path.join(folder, 'collect.sbatch'),
  };
  // Slurm does not create the --output folder: a task whose log folder is missing fails before it starts
  mkdirSync(path.join(folder, 'logs'), { recursive: true });
  if (extract && files.extract) writeFileAtomically(files.extract, `${extract.join('\n')}\n`);
  writeFileAtomically(files.train, `${train.join('\n')}\n`);
  writeFileAtomically(files.collect, `${collect.join('\n')}\n`);
  return files;
}

/** The `sbatch` command lines that submit a run's scripts (job ids as `$EXTRACT`, `$TRAIN`). */
export function slurmSubmitCommands(scripts: SlurmScripts, units?: readonly number[]): string[] {
  const array = units ? ` --array=${units.join(',')}` : '';
  return [
    ...(scripts.extract && !units ? [`EXTRACT=$(sbatch --parsable ${quote(scripts.extract)})`] : []),
    `TRAIN=$(sbatch --parsable --kill-on-invalid-dep=yes${scripts.extract && !units ? ' --dependency=afterok:$EXTRACT' : ''}${array} ${quote(scripts.train)})`,
    `sbatch --parsable --kill-on-invalid-dep=yes --dependency=afterok:$TRAIN ${quote(scripts.collect)}`,
  ];
}

function sbatch(argumentsList: readonly string[], environment: NodeJS.ProcessEnv): string {
  const result = spawnSync('sbatch', ['--parsable', ...argumentsList], { encoding: 'utf8', env: environment });
  const command = `sbatch ${argumentsList.join(' ')}`;
  if (result.error) throw new SlurmSubmitError({ command, detail: result.error.message });
  if (result.status !== 0) throw new SlurmSubmitError({ command, detail: result.stderr.trim() || `exit code ${result.status}` });
  // --parsable prints "<job id>[;<cluster>]"
  return (result.stdout.trim().split('\n').at(-1) ?? '').split(';')[0] as string;
}

/** The jobs one submission made. */
export interface SlurmSubmission {
  readonly extract?: string;
  readonly train: string;
  readonly collect: string;
  /** The training units submitted (all, or those resubmitted). */
  readonly units: readonly number[];
  readonly at: string;
}

/**
 * Submits the scripts with `sbatch`: extraction, then training after it (`afterok`), then collect
 * after training (`afterok`; `--kill-on-invalid-dep=yes` cancels it when a unit fails, and
 * `polytask slurm --resubmit <run>` submits only the missing units and a new collect). Appends the
 * job ids to `<run>/slurm/submissions.json`.
 * @throws SlurmSubmitError when sbatch is missing or refuses a job.
 */
export function submitSlurmJobs(options: {
  runDirectory: string;
  scripts: SlurmScripts;
  /** Only these training units (a resubmission); no extraction job. */
  units?: readonly number[];
  allUnits: number;
  environment?: NodeJS.ProcessEnv;
}): SlurmSubmission {
  const environment = options.environment ?? process.env;
  const extract = options.scripts.extract && !options.units ? sbatch([options.scripts.extract], environment) : undefined;
  const train = sbatch(
    [
      '--kill-on-invalid-dep=yes',
      ...(extract ? [`--dependency=afterok:${extract}`] : []),
      ...(options.units ? [`--array=${options.units.join(',')}`] : []),
      options.scripts.train,
    ],
    environment,
  );
  const collect = sbatch(['--kill-on-invalid-dep=yes', `--dependency=afterok:${train}`, options.scripts.collect], environment);
  const submission: SlurmSubmission = {
    ...(extract ? { extract } : {}),
    train,
    collect,
    units: options.units ?? Array.from({ length: options.allUnits }, (_, index) => index),
    at: new Date().toISOString(),
  };
  const file = path.join(options.runDirectory, 'slurm', 'submissions.json');
  const earlier = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SlurmSubmission[]) : [];
  writeFileAtomically(file, `${JSON.stringify([...earlier, submission], null, 1)}\n`);
  return submission;
}
