/**
 * The soft-sharing architectures end to end through the experiment runner, each on the two
 * generated corpora (voices: multi-class, binary and multi-label tasks; scenes: multi-class and
 * multi-label) with small widths and a few epochs: every task beats chance, and a run interrupted
 * in its second fold and resumed (restoring the custom layers' weights from the checkpoint) ends
 * as the uninterrupted one, every record, checkpoint and event bit for bit. The dense models train
 * on the cpu backend; MTAN, a CNN, on wasm (the cpu backend's convolution gradients are too slow
 * for a test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFingerprint } from './__fixtures__/run-fingerprint';
import { type ExperimentConfig, parseExperimentConfig } from './experiment-config';
import { resumeExperiment, runExperiment } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-architectures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (name: string, model: ExperimentConfig['model'], backend = 'cpu') =>
  parseExperimentConfig({
    name,
    datasets: [
      { reader: 'synthetic', options: { directory: path.join(root, 'voices'), clipsPerSpeakerAndKeyword: 1 } },
      { reader: 'synthetic', options: { corpus: 'scenes', directory: path.join(root, 'scenes'), clipsPerSiteAndScene: 3 } },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, hopLength: 512, melBandCount: 16 } },
    cacheDirectory: path.join(root, 'cache'),
    runsDirectory: path.join(root, 'runs'),
    split: { kind: 'k-fold', folds: 2, seed: 1 },
    preparation: { frames: { fit: 'minimum' }, scaling: 'per-feature' },
    model,
    training: { epochs: 10, batchSize: 8, lr: 0.01, seed: 3 },
    backend,
  });

/**
 * Chance of each task's headline metric: accuracy 1 / labels; macro F1 of guessing each label with
 * probability 1/2 when 40% of the clips have it (both corpora's tagging rate): 2·0.4·0.5 / (0.4 + 0.5).
 */
const guessedF1 = (2 * 0.4 * 0.5) / (0.4 + 0.5);
const chance: Record<string, number> = { keyword: 1 / 4, pitch: 1 / 2, scene: 1 / 3, noise: guessedF1, events: guessedF1 };

describe.each([
  ['cross-stitch', { kind: 'cross-stitch', hiddenUnits: [16] }],
  ['mmoe', { kind: 'mmoe', hiddenUnits: [16], experts: 3 }],
  ['cgc', { kind: 'cgc', hiddenUnits: [12], sharedExperts: 1, taskExperts: 1 }],
  ['ple', { kind: 'cgc', hiddenUnits: [12], sharedExperts: 1, taskExperts: 1, levels: 2 }],
  ['mtan', { kind: 'mtan', filters: [4, 8], denseUnits: 8, readout: 'flatten' }, 'wasm'],
] as [string, ExperimentConfig['model'], string?][])('model %s', (name, model, backend) => {
  let straight: Awaited<ReturnType<typeof runExperiment>>;

  it('learns every task of both corpora above chance', async () => {
    straight = await runExperiment(config(`${name}-straight`, model, backend), { log: () => {} });
    expect(straight.summary.map((row) => row.task).sort()).toEqual(Object.keys(chance).sort());
    for (const row of straight.summary) {
      const mean = row.multiTask.reduce((sum, value) => sum + value, 0) / row.multiTask.length;
      expect(mean, `${row.task} ${row.metric} ${row.multiTask}`).toBeGreaterThan(chance[row.task] as number);
    }
  });

  it('interrupted in the second fold and resumed, it ends as the uninterrupted run', async () => {
    const controller = new AbortController();
    const first = await runExperiment(config(`${name}-interrupted`, model, backend), {
      log: () => {},
      signal: controller.signal,
      observers: [{ onBatchEnd: (info) => void (info.fold === 1 && info.epoch === 3 && info.batch === 2 && controller.abort()) }],
    });
    expect(controller.signal.aborted).toBe(true);
    const resumed = await resumeExperiment(first.runDirectory, { log: () => {} });
    expect(resumed.summary).toEqual(straight.summary);
    const { summary: _summary, summaryMarkdown: _markdown, ...fingerprint } = runFingerprint(resumed.runDirectory);
    const { summary: _other, summaryMarkdown: _otherMarkdown, ...reference } = runFingerprint(straight.runDirectory);
    expect(fingerprint).toEqual(reference);
  });
});
