/**
 * Work units on the installed command (bin/polytask.js over the built packages), on two corpora
 * with different tasks and a sweep: the plan is deterministic; the units run one by one in a
 * shuffled order, some at once, one twice, then collected, give what one sequential `polytask run`
 * gives (cpu backend, same seeds: metrics, unit results, summaries, comparison, checkpoints,
 * TensorBoard); so do `--parallel 2` and two `--shard`s at once with baselines.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom, shuffleInPlace } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runFingerprint } from './__fixtures__/run-fingerprint';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-units-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const launcher = fileURLToPath(new URL('../bin/polytask.js', import.meta.url));
const corpora = path.join(root, 'corpora');
const cache = path.join(root, 'cache');

/** Writes an experiment file; `sweep` and `baselines` vary between the cases. */
function experiment(name: string, settings: { sweep?: unknown; baselines: boolean }): string {
  const file = path.join(root, `${name}.json`);
  const config = {
    name,
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(corpora, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
      { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(corpora, 'scenes'), clipsPerSiteAndScene: 2 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: cache,
    runsDirectory: path.join(root, 'runs', name),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
    model: { kind: 'dnn', hiddenUnits: [16] },
    training: { epochs: 2, batchSize: 16, lr: 0.01, lossCombiner: 'uncertainty', seed: 3 },
    baselines: settings.baselines,
    backend: 'cpu',
    ...(settings.sweep ? { sweep: settings.sweep } : {}),
  };
  execFileSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(JSON.stringify(config))})`]);
  return file;
}

interface Outcome {
  readonly code: number | null;
  readonly output: string;
}

/** Runs the command to its end. */
function polytask(args: readonly string[]): Promise<Outcome> {
  const child = spawn(process.execPath, [launcher, ...args], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

async function succeed(args: readonly string[]): Promise<string> {
  const outcome = await polytask(args);
  if (outcome.code !== 0) throw new Error(`polytask ${args.join(' ')} ended with ${outcome.code}:\n${outcome.output}`);
  return outcome.output;
}

/** The one run folder a sequential run made. */
function onlyRun(runs: string): string {
  const folders = readdirSync(runs).filter((name) => !name.startsWith('.'));
  expect(folders).toHaveLength(1);
  return path.join(runs, folders[0] as string);
}

const sweep = { grid: { 'training.lr': [0.01, 0.03] } };

describe('work units', () => {
  it('plans deterministically: variants x folds x models, printed and as JSON', async () => {
    const file = experiment('plan', { sweep, baselines: true });
    const first = await succeed(['plan', file, '--json']);
    expect(await succeed(['plan', file, '--json'])).toBe(first);
    const plan = JSON.parse(first) as {
      variants: { name: string }[];
      training: { index: number; variant: string; fold: number; model: string }[];
    };
    expect(plan.variants.map((variant) => variant.name)).toEqual(['lr=0.01', 'lr=0.03']);
    // 2 variants x 2 folds x (multi-task + 5 baselines)
    expect(plan.training).toHaveLength(24);
    expect(plan.training.slice(0, 3).map((unit) => `${unit.variant} ${unit.fold} ${unit.model}`)).toEqual([
      'lr=0.01 0 multi-task',
      'lr=0.01 0 single:keyword',
      'lr=0.01 0 single:pitch',
    ]);
    const text = await succeed(['plan', file, '--sweep', 'model.hiddenUnits=[8],[16]']);
    expect(text).toMatch(/4 variant\(s\), 2 extraction unit\(s\), 48 training unit\(s\)/);
    expect(text).toContain('  lr=0.01,hiddenUnits=8: 2 fold(s)');
  }, 120_000);

  it('extraction shards at once fill the cache once; the training then reads it', async () => {
    const file = experiment('extract', { baselines: false });
    const outcomes = await Promise.all(['1/2', '2/2'].map((shard) => succeed(['extract', file, '--shard', shard])));
    // each shard extracted its own dataset: the voices (shard 1) and the scenes (shard 2)
    expect(outcomes[0]).toMatch(/synthetic: 48 examples, features extracted/);
    expect(outcomes[1]).toMatch(/synthetic-scenes: 48 examples, features extracted/);
    const again = await succeed(['extract', file]);
    expect(again, again).not.toMatch(/features extracted/);
  }, 300_000);

  it('units in a shuffled order, two at once, one twice, then collected, equal one sequential run; so does --parallel 2', async () => {
    const file = experiment('sweep', { sweep, baselines: false });
    await succeed(['run', file]);
    const sequential = onlyRun(path.join(root, 'runs', 'sweep'));
    const reference = runFingerprint(sequential);
    expect(reference.units).toHaveLength(4);
    expect(existsSync(path.join(sequential, 'comparison.md'))).toBe(true);

    const spread = path.join(root, 'spread');
    const order = shuffleInPlace([0, 1, 2, 3], createRandom(7)) as number[];
    // the first two at once, then the rest, then one again
    await Promise.all(order.slice(0, 2).map((unit) => succeed(['run', file, '--run-dir', spread, '--unit', String(unit)])));
    for (const unit of order.slice(2)) await succeed(['run', file, '--run-dir', spread, '--unit', String(unit)]);
    expect(await succeed(['run', file, '--run-dir', spread, '--unit', String(order[0])])).toMatch(/already complete/);
    await succeed(['collect', spread]);
    const collected = runFingerprint(spread);
    expect(collected).toEqual(reference);

    // TensorBoard's HParams data: one experiment, a session per variant x fold in the variant's group
    const sessions = Object.entries(collected.tensorboard).flatMap(([run, log]) =>
      log.sessionStarts.map((start) => `${run} ${start.group}`),
    );
    expect(sessions.sort()).toEqual([
      'lr=0.01/fold-0/test lr=0.01/multi-task',
      'lr=0.01/fold-1/test lr=0.01/multi-task',
      'lr=0.03/fold-0/test lr=0.03/multi-task',
      'lr=0.03/fold-1/test lr=0.03/multi-task',
    ]);
    expect(Object.values(collected.tensorboard).filter((log) => log.experiments > 0)).toHaveLength(1);

    const parallel = path.join(root, 'parallel');
    const output = await succeed(['run', file, '--run-dir', parallel, '--parallel', '2']);
    expect(output).toMatch(/running 4 unit\(s\) in 2 process\(es\)/);
    expect(runFingerprint(parallel)).toEqual(reference);

    // compare lists the sweep's variants, sorted by a task's metric
    const compared = await succeed(['compare', sequential, '--sort', 'keyword']);
    expect(compared).toMatch(/\| sweep-[^/]+\/lr=0\.0[13] \| keyword \|/);
  }, 600_000);

  it('two shards with baselines, collected between and after, equal one sequential run; a missing unit is listed', async () => {
    const file = experiment('baselines', { baselines: true });
    await succeed(['run', file]);
    const reference = runFingerprint(onlyRun(path.join(root, 'runs', 'baselines')));
    expect(reference.units).toHaveLength(12);
    const sharded = path.join(root, 'sharded');
    await succeed(['run', file, '--run-dir', sharded, '--shard', '1/2']);
    // before the second shard: collect says what is missing, with exit code 1
    const partial = await polytask(['collect', sharded]);
    expect(partial.code).toBe(1);
    expect(partial.output).toMatch(/6 unit\(s\) not complete: 1, 3, 5, 7, 9, 11/);
    expect(JSON.parse(readFileSync(path.join(sharded, 'summary.json'), 'utf8')).status).toBe('incomplete');
    // with baselines, each complete fold has its Δm
    expect(JSON.parse(readFileSync(path.join(onlyRun(path.join(root, 'runs', 'baselines')), 'summary.json'), 'utf8')).deltaM).toHaveLength(
      2,
    );
    await succeed(['run', file, '--run-dir', sharded, '--shard', '2/2']);
    await succeed(['collect', sharded]);
    expect(runFingerprint(sharded)).toEqual(reference);
  }, 600_000);
});
