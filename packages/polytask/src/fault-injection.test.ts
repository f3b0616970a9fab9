/**
 * Fault injection on the installed command (bin/polytask.js over the built packages), on a small
 * run of two corpora with different tasks, baselines and early stopping: kill -9 at exact commit
 * points and at random moments (extraction included), SIGINT/SIGTERM to the launcher, two
 * processes on one cache, a resume of a running run, a damaged cache and a full disk. Every case
 * ends identical to the uninterrupted run (metrics records, fold results, summary, checkpoints,
 * confusion matrices, every TensorBoard event read back) or with a typed error, and nothing
 * committed is lost. Counted, never timed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '@polytask/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFingerprint } from './__fixtures__/run-fingerprint';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-faults-'));
const started: ChildProcess[] = [];
const mounts: string[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const mount of mounts) execFileSync('umount', ['-l', mount]);
  rmSync(root, { recursive: true, force: true });
});

const launcher = fileURLToPath(new URL('../bin/polytask.js', import.meta.url));
const faultHook = fileURLToPath(new URL('./__fixtures__/fault-hook.mjs', import.meta.url));
const corpora = path.join(root, 'corpora');
const sharedCache = path.join(root, 'cache');

/** Writes the experiment file of a scenario: its own runs folder, the shared cache unless given another. */
function experiment(
  scenario: string,
  options: { cache?: string; runs?: string; settings?: Record<string, unknown> } = {},
): { file: string; runs: string } {
  const folder = path.join(root, scenario);
  mkdirSync(folder, { recursive: true });
  const runs = options.runs ?? path.join(folder, 'runs');
  const file = path.join(folder, 'experiment.json');
  const config = {
    name: 'faults',
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(corpora, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
      { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(corpora, 'scenes'), clipsPerSiteAndScene: 2 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: options.cache ?? sharedCache,
    runsDirectory: runs,
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
    model: { kind: 'dnn', hiddenUnits: [16] },
    training: { epochs: 3, batchSize: 16, lr: 0.01, lossCombiner: 'uncertainty', earlyStopping: { patience: 2 }, seed: 3 },
    baselines: true,
    backend: 'cpu',
    ...options.settings,
  };
  execFileSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(JSON.stringify(config))})`]);
  return { file, runs };
}

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Starts the polytask command; `single` runs it without the launcher (one process to kill). */
function polytask(
  args: readonly string[],
  options: { env?: Record<string, string>; single?: boolean } = {},
): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(process.execPath, [launcher, ...args], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      ...(options.single ? { POLYTASK_NO_RESPAWN: '1' } : {}),
      ...(options.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const done = new Promise<Outcome>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, output })));
  return { child, done };
}

/** Runs the command to its end. */
const finish = (args: readonly string[], options: Parameters<typeof polytask>[1] = {}) => polytask(args, options).done;

/** Kills at the first (or `skip`+1-th) rename whose destination matches `pattern`: the commit points of Polytask's writes. */
const killAtRename = (pattern: string, skip = 0) => ({
  env: { NODE_OPTIONS: `--import=${faultHook}`, POLYTASK_FAULT_RENAME: pattern, POLYTASK_FAULT_SKIP: String(skip) },
});

/** The one run folder of a runs folder, or undefined before it exists. */
function runFolder(runs: string): string | undefined {
  const folders = existsSync(runs) ? readdirSync(runs).filter((name) => !name.startsWith('.')) : [];
  expect(folders.length, `run folders in ${runs}: ${folders.join(', ')}`).toBeLessThanOrEqual(1);
  return folders[0] && path.join(runs, folders[0]);
}

/** Resumes (or, when the first start left no run folder with a config, starts again) to the end; it must end well. */
async function completeRun(file: string, runs: string): Promise<string> {
  const folder = runFolder(runs);
  const resumable = folder !== undefined && existsSync(path.join(folder, 'config.json'));
  if (folder && !resumable) rmSync(folder, { recursive: true, force: true });
  const outcome = await finish(resumable ? ['resume', folder] : ['run', file]);
  if (outcome.code !== 0) throw new Error(`polytask ended with ${outcome.code ?? outcome.signal}:\n${outcome.output}`);
  return runFolder(runs) as string;
}

let reference: ReturnType<typeof runFingerprint>;
let referenceSeconds = 10;

beforeAll(async () => {
  const { file, runs } = experiment('reference');
  const start = performance.now();
  const outcome = await finish(['run', file]);
  referenceSeconds = (performance.now() - start) / 1000;
  expect(outcome.code, outcome.output).toBe(0);
  reference = runFingerprint(runFolder(runs) as string);
  expect(reference.metrics.length).toBeGreaterThan(10);
  expect(Object.keys(reference.tensorboard).length).toBeGreaterThan(4);
  expect(reference.temporaries).toEqual([]);
});

describe('kill -9 at a commit point, then resume: identical to the uninterrupted run', () => {
  it.each([
    ['between the records of an epoch and its checkpoint', 'runs/[^/]+/fold-1/multi-task/checkpoints/fold-1/epoch-2$'],
    ['in a baseline, before its checkpoint', 'fold-0/single-noise/checkpoints/fold-0/epoch-2$'],
    ['before the multi-task unit is marked complete', String.raw`fold-0/multi-task/result\.json$`],
    ['after the last baseline, before its unit is marked complete', String.raw`fold-0/single-events/result\.json$`],
    ['before the summary', String.raw`summary\.json$`],
    [
      'while a confusion matrix is written (its temporary file left behind)',
      String.raw`single-pitch/confusion/fold-0/validation/pitch/epoch-1\.json$`,
    ],
  ])('%s', async (_, pattern) => {
    const { file, runs } = experiment(`kill-${pattern.replace(/[^a-z0-9]+/gi, '-')}`);
    const killed = await finish(['run', file], killAtRename(pattern));
    // the launcher reports its trainer's SIGKILL as 128 + 9, and says how to go on
    expect(killed.code, killed.output).toBe(137);
    expect(killed.output).toMatch(/stopped by SIGKILL .*polytask resume <run folder>/);
    expect(runFingerprint(await completeRun(file, runs))).toEqual(reference);
  });
});

it('a CNN on the wasm backend (its default threads, the SIMD training kernels), killed -9 between an epoch and its checkpoint: resumed in a new process, identical to the uninterrupted run', async () => {
  const settings = {
    model: { kind: 'cnn', filters: [4, 8], denseUnits: 8, batchNorm: true },
    backend: 'wasm',
    baselines: false,
    training: { epochs: 3, batchSize: 8, lr: 0.01, seed: 3 },
  };
  const straight = experiment('wasm-cnn-reference', { settings });
  const outcome = await finish(['run', straight.file]);
  expect(outcome.code, outcome.output).toBe(0);
  expect(outcome.output).toMatch(/wasm/);
  const { file, runs } = experiment('wasm-cnn-killed', { settings });
  const killed = await finish(['run', file], killAtRename('runs/[^/]+/fold-1/multi-task/checkpoints/fold-1/epoch-2$'));
  expect(killed.code, killed.output).toBe(137);
  expect(runFingerprint(await completeRun(file, runs))).toEqual(runFingerprint(runFolder(straight.runs) as string));
});

it('kill -9 at random moments, extraction included, then resume each time: identical to the uninterrupted run', async () => {
  const { file, runs } = experiment('random-kills', { cache: path.join(root, 'random-kills', 'cache') });
  const random = createRandom(14);
  let kills = 0;
  // the moments are fractions of the reference run's time; a run that ends before its kill (the
  // machine got faster than during the reference) starts over from scratch with shorter delays
  let scale = 1;
  for (let attempt = 0; attempt < 10 && kills < 5; attempt++) {
    const folder = runFolder(runs);
    const resumable = folder !== undefined && existsSync(path.join(folder, 'config.json'));
    if (folder && !resumable) rmSync(folder, { recursive: true, force: true });
    const { child, done } = polytask(resumable ? ['resume', folder] : ['run', file], { single: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), scale * (0.2 + 0.6 * random()) * referenceSeconds * 1000);
    const outcome = await done;
    clearTimeout(timer);
    if (outcome.signal === 'SIGKILL') {
      kills++;
      continue;
    }
    expect(outcome.code, outcome.output).toBe(0);
    if (kills > 0) break;
    rmSync(runFolder(runs) as string, { recursive: true, force: true });
    scale /= 2;
  }
  expect(kills).toBeGreaterThan(0);
  expect(runFingerprint(await completeRun(file, runs))).toEqual(reference);
});

describe('signals to the launcher, then resume: identical to the uninterrupted run', () => {
  it.each([
    ['SIGINT', ['SIGINT']],
    ['SIGTERM', ['SIGTERM']],
    ['SIGHUP', ['SIGHUP']],
    ['a second SIGINT, which aborts at once', ['SIGINT', 'SIGINT']],
  ] as const)('%s', async (name, signals) => {
    const { file, runs } = experiment(`signal-${name.replace(/[^a-z0-9]+/gi, '-')}`);
    const random = createRandom(name.length);
    const { child, done } = polytask(['run', file]);
    const timer = setTimeout(
      () => {
        for (const [index, signal] of signals.entries()) setTimeout(() => child.kill(signal), index * 30);
      },
      (0.3 + 0.5 * random()) * referenceSeconds * 1000,
    );
    const outcome = await done;
    clearTimeout(timer);
    // stopped (130) or, had the signal come late, finished
    expect([0, 130], outcome.output).toContain(outcome.code);
    expect(runFingerprint(await completeRun(file, runs))).toEqual(reference);
  });
});

it.each([
  ['the launched trainer', false],
  ['a single process', true],
] as const)('a stop signal that comes after the work is done leaves the exit code alone (%s)', async (_name, single) => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const outcome = await finish(['help'], {
      single,
      env: { NODE_OPTIONS: `--import=${faultHook}`, POLYTASK_FAULT_EXIT_SIGNAL: signal },
    });
    expect({ signal, code: outcome.code }, outcome.output).toEqual({ signal, code: 0 });
  }
});

describe('two processes at once', () => {
  it('two runs extracting into one cold cache both end identical to the uninterrupted run', async () => {
    const cache = path.join(root, 'one-cache', 'cache');
    const first = experiment('one-cache-a', { cache });
    const second = experiment('one-cache-b', { cache });
    const outcomes = await Promise.all([finish(['run', first.file]), finish(['run', second.file])]);
    for (const outcome of outcomes) expect(outcome.code, outcome.output).toBe(0);
    expect(runFingerprint(runFolder(first.runs) as string)).toEqual(reference);
    expect(runFingerprint(runFolder(second.runs) as string)).toEqual(reference);
  });

  it('a resume of a running run is refused with the writer named; the run ends unharmed', async () => {
    const { file, runs } = experiment('resume-running');
    const running = polytask(['run', file]);
    // the lock is taken with the run folder: wait for its config
    const deadline = Date.now() + 300_000;
    while (!(runFolder(runs) && existsSync(path.join(runFolder(runs) as string, 'config.json')))) {
      if (Date.now() > deadline) throw new Error('the run folder never appeared');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const second = await finish(['resume', runFolder(runs) as string]);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/is being written by process \d+/);
    const first = await running.done;
    expect(first.code, first.output).toBe(0);
    expect(runFingerprint(runFolder(runs) as string)).toEqual(reference);
  });
});

describe('a damaged feature cache is found, rebuilt and reported', () => {
  /** The cache's files named `name` (one per dataset). */
  const cacheFiles = (cache: string, name: string) =>
    (readdirSync(cache, { recursive: true, encoding: 'utf8' }) as string[])
      .filter((entry) => path.basename(entry) === name)
      .map((entry) => path.join(cache, entry));

  it.each([
    ['same-size damage to the features', 'features.npy'],
    ['same-size damage to the targets', 'targets.npy'],
    ['same-size damage to the example list', 'examples.json'],
  ])('%s', async (scenario, name) => {
    const cache = path.join(root, `damaged-${name}`, 'cache');
    cpSync(sharedCache, cache, { recursive: true });
    const files = cacheFiles(cache, name);
    expect(files.length).toBeGreaterThan(0);
    for (const target of files) {
      // flip bytes in the middle: same size, different content
      const descriptor = openSync(target, 'r+');
      const size = statSync(target).size;
      writeSync(descriptor, new Uint8Array([0x5a, 0xa5, 0x5a, 0xa5]), 0, 4, Math.floor(size / 2));
      closeSync(descriptor);
    }
    const { file, runs } = experiment(`damaged-${name}`, { cache });
    const outcome = await finish(['run', file]);
    expect(outcome.code, `${scenario}\n${outcome.output}`).toBe(0);
    expect(outcome.output).toMatch(/invalid|damaged|rebuil/i);
    expect(runFingerprint(runFolder(runs) as string)).toEqual(reference);
  });
});

const canMount = (() => {
  const probe = path.join(root, 'mount-probe');
  mkdirSync(probe, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    console.warn('fault-injection.test: the full-disk case is skipped: mounting a small tmpfs needs root on Linux');
    return false;
  }
})();

it.skipIf(!canMount)('a full disk ends in a typed error naming the path; after freeing space, resume ends identical', async () => {
  const disk = path.join(root, 'small-disk');
  mkdirSync(disk, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', disk]);
  mounts.push(disk);
  const { file, runs } = experiment('full-disk', { runs: path.join(disk, 'runs') });
  const full = await finish(['run', file]);
  expect(full.code, full.output).toBe(1);
  expect(full.output).toMatch(/Cannot write .* at .*small-disk.*: the disk \(or quota\) is full/);
  expect(full.output).not.toMatch(/\n\s+at /);
  // the write that failed left nothing half-written behind
  expect((readdirSync(disk, { recursive: true, encoding: 'utf8' }) as string[]).filter((entry) => /\.tmp-|\.old-/.test(entry))).toEqual([]);
  execFileSync('mount', ['-o', 'remount,size=64m', disk]);
  expect(runFingerprint(await completeRun(file, runs))).toEqual(reference);
});

it.skipIf(!canMount)(
  'a full disk under the feature cache ends in a typed error naming the cache; with space, the run ends identical',
  async () => {
    const disk = path.join(root, 'small-cache-disk');
    mkdirSync(disk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', disk]);
    mounts.push(disk);
    const { file, runs } = experiment('full-cache-disk', { cache: path.join(disk, 'cache') });
    const full = await finish(['run', file]);
    expect(full.code, full.output).toBe(1);
    expect(full.output).toMatch(/Cannot write the feature cache at .*small-cache-disk.*: the disk \(or quota\) is full/);
    expect(full.output).not.toMatch(/\n\s+at /);
    execFileSync('mount', ['-o', 'remount,size=64m', disk]);
    expect(runFingerprint(await completeRun(file, runs))).toEqual(reference);
  },
);
