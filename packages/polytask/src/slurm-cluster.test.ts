/**
 * The single-node Slurm test cluster (__fixtures__/slurm-cluster.ts) against real daemons: a
 * throttled job array, a job after it (afterok), a failing array task whose dependents never run,
 * and a stop that leaves no daemon or job process behind, twice in one process. Needs root and
 * Debian's slurmctld, slurmd and munge; elsewhere the test says why and is skipped.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '@polytask/core';
import { afterAll, expect, it } from 'vitest';
import { runFingerprint } from './__fixtures__/run-fingerprint';
import { type SlurmCluster, startSlurmCluster } from './__fixtures__/slurm-cluster';

const daemonNames = ['munged', 'slurmctld', 'slurmd', 'slurmstepd'];
/** The pids of processes with exactly this name (pgrep exits 1 when there is none). */
const pgrep = (name: string) =>
  (spawnSync('pgrep', ['-x', name], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0);
const daemonsBefore = new Set(daemonNames.flatMap(pgrep));
const newDaemons = () =>
  daemonNames
    .flatMap((name) => pgrep(name).map((pid) => `${name} ${pid}`))
    .filter((entry) => !daemonsBefore.has(Number(entry.split(' ')[1])));

const alive = isProcessAlive;

// two CPUs whatever the machine has, so two array tasks run at once
const started = await startSlurmCluster({ cpus: 2 });
const skipped = 'skipped' in started ? started.skipped : undefined;
if (skipped) console.warn(`slurm-cluster.test: skipped: ${skipped}`);
// (made only when the tests run: vitest runs no afterAll when every test is skipped)
const work = skipped === undefined ? mkdtempSync(path.join(tmpdir(), 'polytask-slurm-test-')) : '';
const clusters: SlurmCluster[] = 'skipped' in started ? [] : [started];
afterAll(async () => {
  for (const cluster of clusters) await cluster.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a Slurm client in `work` against the cluster; returns its stdout. */
const slurm = (cluster: SlurmCluster, command: string, args: string[]) =>
  execFileSync(command, args, { cwd: work, env: { ...process.env, ...cluster.env }, encoding: 'utf8' });
/** Submits with `sbatch --parsable`; returns the job id. */
const sbatch = (cluster: SlurmCluster, args: string[]) =>
  slurm(cluster, 'sbatch', ['--parsable', ...args])
    .trim()
    .split(';')[0] as string;

/** Stops the cluster and checks nothing it started still runs and its folder is gone. */
async function stopAndCheck(cluster: SlurmCluster): Promise<void> {
  await cluster.stop();
  expect(Object.values(cluster.daemons).filter(alive)).toEqual([]);
  expect(newDaemons()).toEqual([]);
  expect(existsSync(cluster.directory)).toBe(false);
}

const arrayScript = `#!/bin/bash
#SBATCH --output=out/%A_%a.out
#SBATCH --cpus-per-task=1
echo "start $(date +%s.%N)" > times/$SLURM_ARRAY_TASK_ID
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID (job $SLURM_JOB_ID, $SLURM_CPUS_PER_TASK cpu, partition $SLURM_JOB_PARTITION)"
echo $SLURM_ARRAY_TASK_ID > results/task-$SLURM_ARRAY_TASK_ID.txt
sleep 2
echo "end $(date +%s.%N)" >> times/$SLURM_ARRAY_TASK_ID
`;

/** The most array tasks that ran at the same time, from the start and end times they wrote. */
function mostAtOnce(): number {
  const spans = readdirSync(path.join(work, 'times')).map((task) => {
    const [start = Number.NaN, end = Number.NaN] = readFileSync(path.join(work, 'times', task), 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    return { start, end };
  });
  return Math.max(...spans.map(({ start }) => spans.filter((span) => span.start <= start && start < span.end).length));
}

it.skipIf(skipped !== undefined)(
  'runs a throttled array, an afterok collect job, and never runs the dependents of a failed task',
  async () => {
    const cluster = started as SlurmCluster;
    for (const folder of ['out', 'results', 'times']) mkdirSync(path.join(work, folder));
    writeFileSync(path.join(work, 'array.sh'), arrayScript);
    const array = sbatch(cluster, ['--array=0-3%2', '--partition', cluster.partition, '--mem=50M', '--time=5', 'array.sh']);
    const collect = sbatch(cluster, [
      `--dependency=afterok:${array}`,
      '--output=out/collect.out',
      '--wrap',
      'cat results/task-*.txt > all.txt',
    ]);
    const failing = sbatch(cluster, [
      '--array=0-2',
      '--output=out/%A_%a.out',
      '--wrap',
      'if [ $SLURM_ARRAY_TASK_ID = 1 ]; then exit 3; fi',
    ]);
    const cancelled = sbatch(cluster, [`--dependency=afterok:${failing}`, '--kill-on-invalid-dep=yes', '--wrap', 'touch never-cancelled']);
    const pending = sbatch(cluster, [`--dependency=afterok:${failing}`, '--wrap', 'touch never-pending']);
    // array tasks show as <array job id>_<task id>, the throttled rest as one <id>_[2-3%2] line
    expect(slurm(cluster, 'squeue', ['-h', '-t', 'all', '-j', array, '-o', '%i'])).toContain(`${array}_`);

    const outcomes = await cluster.waitForJobs([array, collect, failing, cancelled, pending], 120_000);

    for (const task of [0, 1, 2, 3]) {
      expect(outcomes[`${array}_${task}`]).toEqual({ state: 'COMPLETED', exitCode: '0:0', reason: 'None' });
      expect(readFileSync(path.join(work, 'out', `${array}_${task}.out`), 'utf8')).toMatch(
        new RegExp(`^task ${task} of ${array} \\(job \\d+, 1 cpu, partition ${cluster.partition}\\)\n$`),
      );
    }
    expect(outcomes[array]?.state).toBe('COMPLETED');
    expect(mostAtOnce()).toBe(2);
    expect(outcomes[collect]).toEqual({ state: 'COMPLETED', exitCode: '0:0', reason: 'None' });
    expect(readFileSync(path.join(work, 'all.txt'), 'utf8')).toBe('0\n1\n2\n3\n');

    expect(outcomes[`${failing}_1`]).toEqual({ state: 'FAILED', exitCode: '3:0', reason: 'NonZeroExitCode' });
    expect(outcomes[`${failing}_0`]?.state).toBe('COMPLETED');
    expect(outcomes[`${failing}_2`]?.state).toBe('COMPLETED');
    expect(outcomes[failing]).toEqual({ state: 'FAILED', exitCode: '3:0', reason: 'NonZeroExitCode' });
    // Slurm 22.05: with --kill-on-invalid-dep=yes the dependent is cancelled; without it, it pends for ever
    expect(outcomes[cancelled]).toEqual({ state: 'CANCELLED', exitCode: '0:0', reason: 'DependencyNeverSatisfied' });
    expect(outcomes[pending]).toEqual({ state: 'PENDING', exitCode: '0:0', reason: 'DependencyNeverSatisfied' });
    expect(slurm(cluster, 'scontrol', ['-o', 'show', 'job', cancelled])).toContain(`Dependency=afterok:${failing}_*(failed)`);
    expect(existsSync(path.join(work, 'never-cancelled')) || existsSync(path.join(work, 'never-pending'))).toBe(false);

    await stopAndCheck(cluster);
  },
);

it.skipIf(skipped !== undefined)('starts again in the same process and its stop ends a running job too', async () => {
  const again = await startSlurmCluster();
  if ('skipped' in again) throw new Error(`the second start failed: ${again.skipped}`);
  clusters.push(again);
  const job = sbatch(again, ['--output=out/running.out', '--wrap', 'echo $$ > running.pid; sleep 300']);
  const deadline = Date.now() + 30_000;
  while (!existsSync(path.join(work, 'running.pid')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(slurm(again, 'squeue', ['-h', '-j', job, '-o', '%T']).trim()).toBe('RUNNING');
  const jobPid = Number(readFileSync(path.join(work, 'running.pid'), 'utf8'));
  expect(alive(jobPid)).toBe(true);

  await stopAndCheck(again);
  expect(alive(jobPid)).toBe(false);
});

/** Runs the installed command (bin/polytask.js over the built packages) in `work` with `env`; resolves with its exit code and output. */
function polytask(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const launcher = fileURLToPath(new URL('../bin/polytask.js', import.meta.url));
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: work,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

it.skipIf(skipped !== undefined)(
  'polytask slurm runs a sweep as job arrays (extraction, training units, collect) and it equals the local run; --resubmit redoes a lost unit',
  async () => {
    const cluster = await startSlurmCluster({ cpus: 2 });
    if ('skipped' in cluster) throw new Error(`the cluster did not start: ${cluster.skipped}`);
    clusters.push(cluster);
    const experiment = path.join(work, 'sweep.json');
    const config = (runs: string, cache: string) => ({
      name: 'sweep',
      datasets: [
        { reader: 'synthetic', options: { directory: path.join(work, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
        { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(work, 'scenes'), clipsPerSiteAndScene: 2 } },
      ],
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
      cacheDirectory: cache,
      runsDirectory: runs,
      split: { kind: 'k-fold', folds: 2, seed: 1 },
      preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
      model: { kind: 'dnn', hiddenUnits: [16] },
      training: { epochs: 2, batchSize: 16, lr: 0.01, seed: 3 },
      backend: 'cpu',
      sweep: { grid: { 'training.lr': [0.01, 0.03] } },
    });
    // the local reference has its own cache, so the cluster's extraction job really extracts
    writeFileSync(path.join(work, 'local.json'), JSON.stringify(config(path.join(work, 'local-runs'), path.join(work, 'local-cache'))));
    writeFileSync(experiment, JSON.stringify(config(path.join(work, 'runs'), path.join(work, 'cache'))));
    const local = await polytask(['run', 'local.json']);
    expect(local.code, local.output).toBe(0);
    const localRun = path.join(work, 'local-runs', readdirSync(path.join(work, 'local-runs'))[0] as string);
    const reference = runFingerprint(localRun);

    const run = path.join(work, 'runs', 'on-slurm');
    const submitted = await polytask(
      ['slurm', 'sweep.json', '--run-dir', run, '--partition', cluster.partition, '--cpus-per-task', '1', '--time', '10', '--limit', '2'],
      cluster.env,
    );
    expect(submitted.code, submitted.output).toBe(0);
    expect(submitted.output).toMatch(/submitted 4 training unit\(s\): extraction job \d+, training array \d+, collect job \d+/);
    const [submission] = JSON.parse(readFileSync(path.join(run, 'slurm', 'submissions.json'), 'utf8')) as {
      extract: string;
      train: string;
      collect: string;
    }[];
    const jobs = submission as { extract: string; train: string; collect: string };
    const outcomes = await cluster.waitForJobs([jobs.extract, jobs.train, jobs.collect], 400_000);
    const logs = () =>
      readdirSync(path.join(run, 'slurm', 'logs'))
        .map((file) => `--- ${file}\n${readFileSync(path.join(run, 'slurm', 'logs', file), 'utf8')}`)
        .join('\n');
    for (const job of [jobs.extract, jobs.train, jobs.collect])
      expect(outcomes[job]?.state, `${JSON.stringify(outcomes)}\n${logs()}`).toBe('COMPLETED');
    expect(readFileSync(path.join(run, 'slurm', 'train.sbatch'), 'utf8')).toContain('#SBATCH --array=0-3%2');
    expect(runFingerprint(run)).toEqual(reference);

    // a unit lost after the fact: --resubmit sends only it, and a new collect
    rmSync(path.join(run, 'variants', 'lr=0.03', 'fold-1'), { recursive: true, force: true });
    const resubmitted = await polytask(['slurm', '--resubmit', run], cluster.env);
    expect(resubmitted.code, resubmitted.output).toBe(0);
    expect(resubmitted.output).toMatch(/submitted 1 training unit\(s\): training array \d+, collect job \d+/);
    const second = (
      JSON.parse(readFileSync(path.join(run, 'slurm', 'submissions.json'), 'utf8')) as { train: string; collect: string; units: number[] }[]
    )[1];
    expect(second?.units).toEqual([3]);
    const again = await cluster.waitForJobs([second?.train as string, second?.collect as string], 300_000);
    expect(again[second?.collect as string]?.state, logs()).toBe('COMPLETED');
    expect(runFingerprint(run)).toEqual(reference);
    await stopAndCheck(cluster);
  },
);
