/**
 * The threaded wasm backend starts in every fresh process, even on a busy machine, and a start never
 * hangs or takes the process down: 200 fresh processes (on the built package) start it while busy
 * loops hold every core (`POLYTASK_STRESS_STARTS` sets another count; `pnpm test:stress:ci` runs 40).
 * Counted, not timed: a start that falls back to the single-threaded build counts as a fallback, not
 * a failure; a hang is a start still running at its deadline, the start timeout plus a generous margin;
 * a lost process is any other ending (a non-zero exit, a signal, no selection printed). Each process
 * writes a diagnostic report if Node aborts, and the failure message quotes its native stack.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const starts = Number(process.env.POLYTASK_STRESS_STARTS ?? 200);
const threadedStartTimeoutMs = 30_000;
const deadlineMs = threadedStartTimeoutMs + 90_000;

// the selection, then a small training step on it; the process must then end by itself
const script = (timeoutMs: number) => `import { selectBackend } from ${JSON.stringify(built)};
import * as tf from '@tensorflow/tfjs-core';
const began = performance.now();
const selection = await selectBackend({ preference: 'wasm', threads: 2, threadedStartTimeoutMs: ${timeoutMs}, log: () => {} });
const startMs = Math.round(performance.now() - began);
const w = tf.variable(tf.ones([8, 4]));
const x = tf.randomUniform([16, 8], -1, 1, 'float32', 1);
tf.train.sgd(0.1).minimize(() => tf.mean(tf.square(tf.matMul(x, w))));
const finite = Number.isFinite((await w.data())[0]);
process.stdout.write(JSON.stringify({ summary: selection.summary, threads: selection.threads, fallback: selection.fallback ?? null, backend: tf.getBackend(), finite, startMs }));`;

interface StartResult {
  readonly outcome: 'threaded' | 'fallback' | 'hang' | 'lost';
  readonly detail: string;
  /** The process, from spawn to its end. */
  readonly milliseconds: number;
  /** `selectBackend` alone, as the process measured it. */
  readonly startMs?: number;
}

let loops: ChildProcess[] = [];
let temporary = '';
beforeAll(() => {
  // the children's os.tmpdir(): what a start leaves there is this test's alone to count
  temporary = mkdtempSync(path.join(os.tmpdir(), 'polytask-stress-'));
  loops = Array.from({ length: os.availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
});
afterAll(() => {
  for (const loop of loops) loop.kill('SIGKILL');
  rmSync(temporary, { recursive: true, force: true });
});

function nativeStackOf(reports: string): string {
  for (const name of readdirSync(reports)) {
    const report = JSON.parse(readFileSync(path.join(reports, name), 'utf8')) as {
      header?: { event?: string; threadId?: number };
      nativeStack?: { symbol: string }[];
    };
    const frames = (report.nativeStack ?? []).slice(0, 14).map((frame) => frame.symbol);
    return `report: ${report.header?.event} (thread ${report.header?.threadId}): ${frames.join(' < ')}`;
  }
  return 'no diagnostic report';
}

function start(environment: NodeJS.ProcessEnv, timeoutMs = threadedStartTimeoutMs): Promise<StartResult> {
  const reports = mkdtempSync(path.join(temporary, 'reports-'));
  const began = Date.now();
  const child = spawn(
    process.execPath,
    ['--report-on-fatalerror', `--report-directory=${reports}`, '--input-type=module', '-e', script(timeoutMs)],
    { cwd: path.dirname(built), env: { ...process.env, ...environment, TMPDIR: temporary }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    let hung = false;
    const deadline = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      const milliseconds = Date.now() - began;
      const finish = (outcome: StartResult['outcome'], detail: string, startMs?: number) => {
        rmSync(reports, { recursive: true, force: true });
        resolve({ outcome, detail, milliseconds, ...(startMs !== undefined && { startMs }) });
      };
      if (hung) return finish('hang', `still running after ${deadlineMs / 1000} s: ${stderr.slice(0, 2000)}`);
      let printed: { threads: number; fallback: unknown; backend: string; finite: boolean; startMs: number } | undefined;
      try {
        printed = JSON.parse(stdout);
      } catch {
        // nothing (or half) printed: lost
      }
      if (code !== 0 || signal || !printed || printed.backend !== 'wasm' || !printed.finite)
        return finish('lost', `exit ${code} ${signal ?? ''} ${stdout.slice(0, 300)} ${stderr.slice(0, 3000)} ${nativeStackOf(reports)}`);
      if (printed.fallback) return finish('fallback', JSON.stringify(printed.fallback), printed.startMs);
      return finish(printed.threads === 2 ? 'threaded' : 'lost', stdout, printed.startMs);
    });
  });
}

function temporaryEntries(): string[] {
  return readdirSync(temporary, { recursive: true, encoding: 'utf8' }).sort();
}

describe('the threaded wasm backend under load', () => {
  it(`starts in ${starts} fresh processes while every core is busy: none hangs, none is lost`, async () => {
    const counts = { threaded: 0, fallback: 0, hang: 0, lost: 0 };
    const problems: string[] = [];
    const durations: number[] = [];
    const startDurations: number[] = [];
    const began = Date.now();
    for (let index = 0; index < starts; index++) {
      const result = await start({});
      counts[result.outcome]++;
      durations.push(result.milliseconds);
      if (result.startMs !== undefined) startDurations.push(result.startMs);
      if (result.outcome !== 'threaded') problems.push(`start ${index + 1}: ${result.outcome}: ${result.detail}`);
    }
    const spread = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
      return `median ${at(0.5)} ms, 90% ${at(0.9)} ms, longest ${at(1)} ms`;
    };
    console.info(
      `${starts} threaded starts under load in ${Math.round((Date.now() - began) / 1000)} s: ${JSON.stringify(counts)}; ` +
        `selectBackend ${spread(startDurations)}; whole process ${spread(durations)}`,
    );
    for (const problem of problems) console.info(problem);
    expect({ hangs: counts.hang, lost: counts.lost, problems: problems.filter((problem) => !problem.includes(': fallback: ')) }).toEqual({
      hangs: 0,
      lost: 0,
      problems: [],
    });
  });

  it('leaves only the two shared worker sources in the temporary folder, and clears what killed writers left', async () => {
    const directory = path.join(temporary, `polytask-wasm-${process.getuid?.() ?? os.userInfo().username}`);
    mkdirSync(directory, { recursive: true });
    // a writer killed between write and rename (its process is gone), and a damaged shared source
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('close', resolve));
    const worker = readdirSync(directory).find((name) => name.startsWith('worker-'));
    writeFileSync(path.join(directory, `main-0000000000000000.js.${gone.pid}.abc.tmp`), 'var WasmBackendModu');
    if (worker) writeFileSync(path.join(directory, worker), 'half a wor');
    const result = await start({});
    expect(result.outcome, result.detail).toBe('threaded');
    const entries = readdirSync(directory);
    expect(entries.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(entries.map((name) => name.replace(/[0-9a-f]{16}/, '<hash>')).sort()).toEqual(['main-<hash>.js', 'worker-<hash>.js']);
    // and nothing else accumulates: the stress test's starts left nothing beside that folder
    expect(temporaryEntries().filter((name) => !name.startsWith(`polytask-wasm-`))).toEqual([]);
  });

  it('falls back to the single-threaded build when the threaded start never finishes, and the process still trains and ends', async () => {
    const result = await start({ POLYTASK_TEST_WASM_WORKERS_NEVER_LOAD: '1' }, 2_000);
    expect(result.outcome, result.detail).toBe('fallback');
    expect(JSON.parse(result.detail)).toEqual({ from: 'wasm-threads', reason: 'threaded build did not start within 2 s' });
  });
});
