import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openRun } from '@polytask/results';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import { parseExperimentConfig } from './experiment-config';
import { resumeExperiment, runExperiment } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = {
  name: 'synthetic-dnn',
  datasets: [{ reader: 'synthetic', options: { directory: path.join(root, 'corpus'), clipsPerSpeakerAndKeyword: 2 } }],
  extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, hopLength: 512, melBandCount: 16 } },
  cacheDirectory: path.join(root, 'cache'),
  runsDirectory: path.join(root, 'runs'),
  split: { kind: 'k-fold', folds: 2, seed: 1 },
  model: { kind: 'dnn', hiddenUnits: [16] },
  training: { epochs: 3, batchSize: 16, lr: 0.01 },
  baselines: true,
  backend: 'wasm',
};

/** Whether every part occurs in `text`, each after the previous one. */
function appearInOrder(text: string, parts: readonly string[]): boolean {
  let position = 0;
  for (const part of parts) {
    const found = text.indexOf(part, position);
    if (found < 0) return false;
    position = found + part.length;
  }
  return true;
}

describe('polytask CLI help and options', () => {
  it('answers --help for every command, and takes options before, between and after the arguments', async () => {
    const output: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    try {
      for (const command of ['run', 'plan', 'extract', 'collect', 'resume', 'slurm', 'compare', 'evaluate', 'datasets']) {
        output.length = 0;
        expect(await main([command, '--help'])).toBe(0);
        expect(output.join('\n')).toMatch(new RegExp(`^usage: polytask ${command}`));
        output.length = 0;
        expect(await main(['-h', command])).toBe(0);
        expect(output.join('\n')).toMatch(new RegExp(`^usage: polytask ${command}`));
      }
      output.length = 0;
      expect(await main(['help', 'compare'])).toBe(0);
      expect(output.join('\n')).toContain('--sort');
      const file = path.join(root, 'plan-options.json');
      writeFileSync(file, JSON.stringify(config));
      const plans: string[] = [];
      for (const argv of [
        ['--json', 'plan', file, '--set', 'split.folds=3'],
        ['plan', '--set', 'split.folds=3', file, '--json'],
        ['--set=split.folds=3', '--json', 'plan', file],
      ]) {
        output.length = 0;
        expect(await main(argv)).toBe(0);
        plans.push(output.join('\n'));
      }
      expect(new Set(plans).size).toBe(1);
      expect(JSON.parse(plans[0] as string).training.length).toBe(3 * 4);
    } finally {
      log.mockRestore();
    }
    const errors: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(await main(['frobnicate', '--help'])).toBe(1);
      expect(await main(['frobnicate'])).toBe(1);
      expect(errors.every((line) => line.includes('the commands are run, plan, extract'))).toBe(true);
    } finally {
      error.mockRestore();
    }
  });
});

describe('polytask CLI and experiments', () => {
  it('runs an experiment from a config file, summarises it, and compares runs', async () => {
    const file = path.join(root, 'experiment.json');
    writeFileSync(file, JSON.stringify(config));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['run', file, '--set', 'training.epochs=2'])).toBe(0);
      const runs = readdirSync(path.join(root, 'runs'));
      expect(runs).toHaveLength(1);
      const run = path.join(root, 'runs', runs[0] as string);
      const summary = JSON.parse(readFileSync(path.join(run, 'summary.json'), 'utf8'));
      expect(summary.summary.map((row: { task: string }) => row.task)).toEqual(['keyword', 'pitch', 'noise']);
      expect(summary.summary[0].multiTask).toHaveLength(2);
      expect(summary.summary[0].singleTask).toHaveLength(2);
      expect(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')).training.epochs).toBe(2);
      expect(readdirSync(path.join(run, 'tensorboard', 'summary')).some((name) => name.startsWith('events.out.tfevents.'))).toBe(true);
      // single-task baselines are HParams sessions of the same experiment (hparam `tasks`)
      const eventBytes = (run: string) =>
        readdirSync(path.join(root, 'runs', runs[0] as string, 'tensorboard', run))
          .filter((name) => name.startsWith('events.out.tfevents.'))
          .map((name) => readFileSync(path.join(root, 'runs', runs[0] as string, 'tensorboard', run, name)).toString('latin1'))
          .join('');
      expect(eventBytes('.')).toContain('_hparams_/experiment');
      expect(eventBytes('.')).toContain('\x05tasks');
      // sessions are grouped by setting (the HParams view averages a group's folds)
      expect(appearInOrder(eventBytes('fold-1/test'), ['_hparams_/session_start_info', '\x03all', 'multi-task'])).toBe(true);
      const baseline = eventBytes('single-pitch/fold-1/test');
      expect(appearInOrder(baseline, ['_hparams_/session_start_info', '\x05pitch', 'single-pitch'])).toBe(true);
      expect(baseline).toContain('pitch/macro_f1');
      expect(baseline).not.toContain('keyword/');
      expect(baseline).toContain('_hparams_/session_end_info');
      expect(existsSync(path.join(run, 'tensorboard', 'single-pitch', '_hparams_'))).toBe(false);
      log.mockClear();
      expect(await main(['compare', run])).toBe(0);
      expect(log.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/\| keyword \| accuracy \|/);
      expect(await main(['evaluate', run])).toBe(0);
      expect(log.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/fold 0 last, epoch 2: keyword macro F1/);
      expect(await main(['datasets'])).toBe(0);
      log.mockClear();
      // reloading the last checkpoint reproduces the stored test metrics of that epoch
      expect(await main(['evaluate', run, '--checkpoints'])).toBe(0);
      const evaluated = log.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('fold 0 epoch 2:'));
      expect(evaluated).toHaveLength(1);
      const stored = JSON.parse(readFileSync(path.join(run, 'fold-0', 'multi-task', 'result.json'), 'utf8')).tasks[0].accuracy;
      expect(evaluated[0]).toContain(`keyword accuracy ${(100 * stored).toFixed(1)}%`);
    } finally {
      log.mockRestore();
    }
  });

  it('fails with one line and exit code 1 on a bad config or command', async () => {
    const file = path.join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...config, training: { lr: -1 } }));
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['run', file])).toBe(1);
      expect(String(error.mock.calls[0]?.[0])).toMatch(/^polytask: .*bad\.json: training\.lr: .*got -1/);
      expect(await main(['frobnicate'])).toBe(1);
      expect(String(error.mock.calls[1]?.[0])).toMatch(/unknown command "frobnicate"/);
      writeFileSync(file, JSON.stringify({ ...config, datasets: [{ reader: 'no-such-corpus', options: {} }] }));
      expect(await main(['run', file])).toBe(1);
      expect(String(error.mock.calls[2]?.[0])).toMatch(
        /@polytask\/dataset-no-such-corpus is needed for reading the "no-such-corpus" dataset but is not installed; add it with `pnpm add/,
      );
      writeFileSync(
        file,
        JSON.stringify({ ...config, datasets: [{ reader: 'esc50', options: { directory: path.join(root, 'not-there') } }] }),
      );
      expect(await main(['extract', file])).toBe(1);
      expect(String(error.mock.calls[3]?.[0])).toMatch(/not-there\/meta\/esc50\.csv is missing; point the reader at the corpus root/);
      expect(await main(['run'])).toBe(1);
      expect(String(error.mock.calls[4]?.[0])).toMatch(/run needs a config file/);
    } finally {
      error.mockRestore();
    }
  });

  it('rejects a misspelled reader option, naming the known options, with exit code 1', async () => {
    const file = path.join(root, 'misspelled.json');
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      writeFileSync(file, JSON.stringify({ ...config, datasets: [{ reader: 'esc50', options: { directry: path.join(root, 'esc50') } }] }));
      expect(await main(['extract', file])).toBe(1);
      expect(String(error.mock.calls[0]?.[0])).toBe(
        'polytask: datasets.0.options.directry (reader "esc50"): unknown option; did you mean "directory"? ' +
          'Known options: directory (string, required), esc10 (boolean, default false).',
      );
      const options = { directory: path.join(root, 'corpus'), clipsPerSpeakerAndKeyword: 2, corpus: 'voice' };
      writeFileSync(file, JSON.stringify({ ...config, datasets: [config.datasets[0], { reader: 'synthetic', options }] }));
      expect(await main(['run', file])).toBe(1);
      expect(String(error.mock.calls[1]?.[0])).toMatch(
        /^polytask: datasets\.1\.options\.corpus \(reader "synthetic"\): expected one of "voices", "scenes", "tones", got "voice"; did you mean "voices"\?$/,
      );
    } finally {
      error.mockRestore();
    }
  });

  it('resumes an interrupted run and finishes it', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const parsed = parseExperimentConfig({
      ...config,
      name: 'interrupted',
      baselines: false,
      training: { epochs: 3, batchSize: 16, lr: 0.01 },
    });
    const first = await runExperiment(parsed, {
      log: (line) => lines.push(line),
      signal: controller.signal,
      // interrupt during the second epoch of the second fold
      observers: [{ onBatchEnd: (info) => (info.fold === 1 && info.epoch === 2 ? controller.abort() : undefined) }],
    });
    expect(lines.some((line) => /^interrupted in fold 2 \(multi-task\); resume with: polytask resume /.test(line))).toBe(true);
    const run = first.runDirectory;
    expect(existsSync(path.join(run, 'fold-0', 'multi-task', 'result.json'))).toBe(true);
    expect(existsSync(path.join(run, 'fold-1', 'multi-task', 'result.json'))).toBe(false);
    expect(readdirSync(path.join(run, 'fold-1', 'multi-task', 'checkpoints', 'fold-1'))).toEqual(['epoch-1']);
    const resumed = await resumeExperiment(run, { log: () => {} });
    expect(resumed.runDirectory).toBe(run);
    expect(resumed.summary[0]?.multiTask).toHaveLength(2);
    // the fold keeps its last checkpoint and its best (lowest training loss: no validation part here)
    const losses = openRun(run)
      .records.filter((record) => record.fold === 1 && record.split === 'train')
      .map((record) => record.loss);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(readdirSync(path.join(run, 'fold-1', 'multi-task', 'checkpoints', 'fold-1')).sort()).toEqual(
      [...new Set([`epoch-${best}`, 'epoch-3'])].sort(),
    );
  });
});
