/**
 * Runs a run's training units in several processes on one machine (`polytask run --parallel n`):
 * extraction first (in this process: it spreads over the cores itself), then each unit in a fresh
 * `polytask run --unit` process, n at a time, each computing with cores / n threads; their output
 * comes through here prefixed with the unit, with one progress line per finished unit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';
import type { ExperimentPlan } from './experiment-plan';
import { polytaskCommand } from './slurm-jobs';

/** Options of {@link runUnitsInParallel}. */
export interface RunUnitsInParallelOptions {
  readonly runDirectory: string;
  readonly plan: ExperimentPlan;
  /** Processes at once. */
  readonly processes: number;
  /** Training units to run (indices). @default every unit */
  readonly units?: readonly number[];
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** Stops: each running unit finishes its batch (resumable), no further unit starts. */
  readonly signal?: AbortSignal;
  /** The command that starts Polytask. @default this Node.js and this package's launcher */
  readonly command?: readonly string[];
}

/** How the units ended. */
export interface ParallelRunResult {
  readonly completed: readonly number[];
  readonly failed: readonly { readonly unit: number; readonly exitCode: number | null }[];
  readonly stopped: boolean;
}

/** The threads each of `processes` units gets: the cores shared out, at least one. */
export function threadsPerProcess(processes: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / processes));
}

/**
 * Runs the units, at most `processes` at once; a failed unit does not stop the others.
 * @throws PolytaskError for a process count below 1.
 */
export async function runUnitsInParallel(options: RunUnitsInParallelOptions): Promise<ParallelRunResult> {
  const log = options.log ?? console.log;
  if (!Number.isInteger(options.processes) || options.processes < 1)
    throw new PolytaskError({ message: `--parallel ${options.processes}: give a whole number of processes, at least 1.` });
  const queue = [...(options.units ?? options.plan.training.map((unit) => unit.index))];
  const total = queue.length;
  const threads = threadsPerProcess(options.processes);
  const [executable, ...prefix] = options.command ?? polytaskCommand();
  const config = path.join(options.runDirectory, 'config.json');
  const completed: number[] = [];
  const failed: { unit: number; exitCode: number | null }[] = [];
  const running = new Set<ChildProcess>();
  log(`running ${total} unit(s) in ${Math.min(options.processes, total)} process(es), ${threads} thread(s) each`);
  const stop = () => {
    for (const child of running) child.kill('SIGINT');
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  const start = (unit: number) =>
    new Promise<void>((resolve) => {
      const { POLYTASK_LAUNCHER_PID: _launcher, ...inherited } = process.env;
      const environment = { ...inherited, POLYTASK_THREADS: String(threads), POLYTASK_NO_RESPAWN: '1' };
      const child = spawn(executable as string, [...prefix, 'run', config, '--run-dir', options.runDirectory, '--unit', String(unit)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: environment,
      });
      running.add(child);
      const label = `[unit ${unit}] `;
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          const lines = (pending + chunk).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) log(label + line);
        });
        stream?.on('end', () => {
          if (pending.trim()) log(label + pending);
        });
      }
      child.on('close', (exitCode) => {
        running.delete(child);
        if (exitCode === 0) completed.push(unit);
        else if (!options.signal?.aborted) failed.push({ unit, exitCode });
        log(
          `units: ${completed.length} of ${total} done${failed.length ? `, ${failed.length} failed` : ''}, ${running.size} running, ${queue.length} waiting`,
        );
        resolve();
      });
    });
  const workers = Array.from({ length: Math.min(options.processes, total) }, async () => {
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
      if (options.signal?.aborted) return;
      await start(unit);
    }
  });
  await Promise.all(workers);
  options.signal?.removeEventListener('abort', stop);
  return { completed, failed, stopped: options.signal?.aborted ?? false };
}
