/**
 * The installed `polytask` command (bin/polytask.js over the built dist): signals to the launcher
 * reach the trainer once and end it cleanly; a killed launcher leaves no trainer behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-launcher-'));
// whatever a failing test left running is stopped, trainers included (they run in their own process groups)
const launched: ChildProcess[] = [];
afterAll(() => {
  for (const started of launched) {
    for (const trainer of children(started.pid as number)) process.kill(trainer, 'SIGKILL');
    started.kill('SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});
const launcher = fileURLToPath(new URL('../bin/polytask.js', import.meta.url));
const config = path.join(root, 'experiment.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'signals',
    datasets: [{ reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1 } }],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    model: { kind: 'dnn', hiddenUnits: [8] },
    training: { epochs: 400, batchSize: 8 },
    backend: 'cpu',
  }),
);

const alive = isProcessAlive;
// (ps exits 1 when there is none)
const children = (pid: number) =>
  spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => Number(line.trim()))
    .filter((value) => value > 0);

async function until(condition: () => boolean, what: string, seconds = 240): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `polytask run` and waits until it has trained an epoch; returns the launcher, the trainer's pid and the run folder. */
async function startRun(): Promise<{ launcher: ChildProcess; trainer: number; run: string; exit: Promise<number | null> }> {
  const before = existsSync(path.join(root, 'runs')) ? readdirSync(path.join(root, 'runs')) : [];
  const started = spawn(process.execPath, [launcher, 'run', config], { stdio: 'ignore' });
  launched.push(started);
  const exit = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));
  let run = '';
  await until(() => {
    const now = existsSync(path.join(root, 'runs')) ? readdirSync(path.join(root, 'runs')) : [];
    const created = now.find((name) => !before.includes(name));
    if (created) run = path.join(root, 'runs', created);
    // any complete checkpoint: older ones are pruned (the last and the best stay), so epoch-1 may be gone already
    const folder = path.join(run, 'fold-0', 'multi-task', 'checkpoints', 'fold-0');
    return run !== '' && existsSync(folder) && readdirSync(folder).some((epoch) => existsSync(path.join(folder, epoch, 'state.json')));
  }, 'the first checkpoint');
  const [trainer] = children(started.pid as number);
  expect(trainer).toBeGreaterThan(0);
  return { launcher: started, trainer: trainer as number, run, exit };
}

describe('the polytask command', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s to the launcher stops the trainer after its batch (exit 130)', async (signal) => {
    const { launcher: started, trainer, exit } = await startRun();
    started.kill(signal);
    expect(await exit).toBe(130);
    expect(alive(trainer)).toBe(false);
  });

  it('a launcher killed while the trainer is still starting leaves no trainer behind', async () => {
    const started = spawn(process.execPath, [launcher, 'run', config], { stdio: 'ignore' });
    launched.push(started);
    let trainer = 0;
    await until(
      () => {
        trainer = children(started.pid as number)[0] ?? 0;
        return trainer > 0;
      },
      'the trainer process',
      60,
    );
    started.kill('SIGKILL');
    await until(() => !alive(trainer), 'the trainer to stop', 60);
  });

  it('a killed launcher leaves no trainer writing the run folder', async () => {
    const { launcher: started, trainer, run } = await startRun();
    started.kill('SIGKILL');
    await until(() => !alive(trainer), 'the trainer to stop');
    const epochs = readdirSync(path.join(run, 'fold-0', 'multi-task', 'checkpoints', 'fold-0'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(readdirSync(path.join(run, 'fold-0', 'multi-task', 'checkpoints', 'fold-0'))).toEqual(epochs);
  });
});
