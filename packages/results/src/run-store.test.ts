import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineTask } from '@polytask/core';
import { afterAll, describe, expect, it } from 'vitest';
import { computeTaskMetrics } from './metrics';
import { type CheckpointContents, createRunStore, type EpochRecord, openRun } from './run-store';
import { createRunStoreObserver, createTensorBoardObserver, notifyObservers } from './training-observer';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-runs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const keyword = defineTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no'] });
const events = defineTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car'] });

function record(fold: number, epoch: number, split: 'train' | 'test'): EpochRecord {
  return {
    fold,
    epoch,
    split,
    loss: 1 / epoch,
    tasks: [
      computeTaskMetrics({
        task: keyword,
        truth: Uint8Array.from([1, 0, 0, 1, 1, 0]),
        decisions: Uint8Array.from([1, 0, 1, 0, 1, 0]),
        loss: 0.5 / epoch,
      }),
      computeTaskMetrics({
        task: events,
        truth: Uint8Array.from([1, 0, 1, 1]),
        decisions: Uint8Array.from([1, 0, 0, 1]),
        scores: Float32Array.from([0.9, 0.1, 0.4, 0.8]),
      }),
    ],
  };
}

function checkpoint(seed: number): CheckpointContents {
  const weights = Float32Array.from({ length: 10 }, (_, index) => Math.sin(seed + index) * 1e-3 + index);
  const moments = Float32Array.from({ length: 6 }, (_, index) => Math.cos(seed * index));
  return {
    model: {
      modelTopology: { class_name: 'Model', config: { name: 'trunk' } },
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
      convertedBy: null,
      weightSpecs: [
        { name: 'dense/kernel', shape: [2, 4], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
      weightData: weights.buffer,
    },
    optimizer: {
      className: 'Adam',
      config: { learningRate: 0.001 },
      weightSpecs: [
        { name: 'iter', shape: [], dtype: 'float32' },
        { name: 'dense/kernel/m', shape: [5], dtype: 'float32' },
      ],
      weightData: moments.buffer,
    },
    state: { sampler: { epoch: seed, batch: 0 }, random: [1, 2, 3], bestMetric: 0.75 },
  };
}

describe('run store', () => {
  it('writes a run and reads back identical metrics and bit-identical weights and optimizer state', async () => {
    const store = createRunStore({ root, name: 'round-trip' });
    const observers = [createRunStoreObserver(store), createTensorBoardObserver({ directory: path.join(store.directory, 'tensorboard') })];
    await notifyObservers(observers, 'onRunStart', {
      foldCount: 1,
      tasks: ['keyword', 'events'],
      config: { lr: 0.001 },
      hparams: { lr: 0.001, model: 'dnn' },
    });
    await notifyObservers(observers, 'onFoldStart', { fold: 0, preparations: [{ frameCount: 98, scaler: null }] });
    for (let epoch = 1; epoch <= 3; epoch++) {
      await notifyObservers(observers, 'onBatchEnd', { fold: 0, epoch, batch: 0, loss: 1 / epoch, taskLosses: { keyword: 0.5 } });
      await notifyObservers(observers, 'onEpochEnd', { fold: 0, epoch, train: record(0, epoch, 'train'), test: record(0, epoch, 'test') });
      store.saveCheckpoint(0, epoch, checkpoint(epoch));
    }
    await notifyObservers(observers, 'onRunEnd', { status: 'success' });

    const run = openRun(store.directory);
    expect(run.config).toEqual({ lr: 0.001 });
    expect(run.preparations(0)).toEqual([{ frameCount: 98, scaler: null }]);
    expect(run.records).toHaveLength(6);
    expect(run.metricsOf(0, 2, 'test')).toEqual(record(0, 2, 'test'));
    expect(run.checkpointEpochs(0)).toEqual([1, 2, 3]);
    const loaded = run.loadCheckpoint(0, 2);
    const original = checkpoint(2);
    expect(Buffer.from(loaded.model.weightData).equals(Buffer.from(original.model.weightData))).toBe(true);
    expect(
      Buffer.from(loaded.optimizer?.weightData as ArrayBuffer).equals(Buffer.from(original.optimizer?.weightData as ArrayBuffer)),
    ).toBe(true);
    expect(loaded.model.weightSpecs).toEqual(original.model.weightSpecs);
    expect(loaded.model.modelTopology).toEqual(original.model.modelTopology);
    expect(loaded.optimizer?.config).toEqual({ learningRate: 0.001 });
    expect(loaded.state).toEqual({ ...original.state, epoch: 2, fold: 0 });
    expect(run.loadCheckpoint(0).epoch).toBe(3);
    // tfjs layout: model.json names weights.bin in its manifest
    const modelJson = JSON.parse(readFileSync(path.join(store.directory, 'checkpoints/fold-0/epoch-3/model.json'), 'utf8'));
    expect(modelJson.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: original.model.weightSpecs }]);
    // the original columns keep their positions; later ones are appended after model
    expect(readFileSync(path.join(store.directory, 'metrics.csv'), 'utf8').split('\n')[0]).toBe(
      'fold,epoch,split,task,loss,accuracy,macro_precision,macro_recall,macro_f1,weighted_f1,micro_f1,subset_accuracy,hamming_loss,mean_average_precision,examples,model,balanced_accuracy,top_5_accuracy,equal_error_rate,min_detection_cost,mean_squared_error,root_mean_squared_error,mean_absolute_error,r2',
    );
    expect(readFileSync(path.join(store.directory, 'confusion/fold-0/test/keyword/epoch-3.png')).subarray(1, 4).toString()).toBe('PNG');
    const eventFiles = readdirSync(path.join(store.directory, 'tensorboard/fold-0/test'));
    expect(eventFiles.some((file) => file.startsWith('events.out.tfevents.'))).toBe(true);
  });

  it('ignores an incomplete checkpoint and a torn metrics line', () => {
    const store = createRunStore({ root, name: 'interrupted' });
    store.recordEpoch(record(0, 1, 'train'));
    store.saveCheckpoint(0, 1, checkpoint(1));
    appendFileSync(path.join(store.directory, 'metrics.jsonl'), '{"fold":0,"epoch":2,"spl');
    const partial = path.join(store.directory, 'checkpoints/fold-0/epoch-2');
    mkdirSync(partial, { recursive: true });
    writeFileSync(path.join(partial, 'weights.bin'), new Uint8Array(3));
    const run = openRun(store.directory);
    expect(run.records).toHaveLength(1);
    expect(run.checkpointEpochs(0)).toEqual([1]);
    expect(run.loadCheckpoint(0).epoch).toBe(1);
    expect(() => run.loadCheckpoint(0, 2)).toThrow(/no complete checkpoint for fold 0, epoch 2 \(complete epochs: 1\)/);
    expect(() => openRun(path.join(root, 'missing'))).toThrow(/no such run directory/);
    expect(() => createRunStore({ root, name: 'bad/name' })).toThrow(/may use letters/);
  });

  it('prunes the checkpoints not kept, never the newest, and never leaves a half-removed one', () => {
    const store = createRunStore({ root, name: 'pruned' });
    for (const epoch of [1, 2, 3, 4, 5]) store.saveCheckpoint(0, epoch, checkpoint(epoch));
    store.saveCheckpoint(1, 1, checkpoint(1));
    expect(store.pruneCheckpoints(0, (epoch) => epoch === 2)).toEqual([1, 3, 4]);
    expect(openRun(store.directory).checkpointEpochs(0)).toEqual([2, 5]);
    expect(readdirSync(path.join(store.directory, 'checkpoints', 'fold-0')).sort()).toEqual(['epoch-2', 'epoch-5']);
    // the newest stays even when `keep` refuses it; other folds are untouched
    expect(store.pruneCheckpoints(0, () => false)).toEqual([2]);
    expect(openRun(store.directory).checkpointEpochs(0)).toEqual([5]);
    expect(openRun(store.directory).checkpointEpochs(1)).toEqual([1]);
  });

  it('drops the records no checkpoint committed, per fold and model, from both metrics files', () => {
    const store = createRunStore({ root, name: 'uncommitted' });
    for (const epoch of [1, 2, 3]) {
      store.recordEpoch(record(0, epoch, 'test'));
      store.recordEpoch({ ...record(0, epoch, 'test'), model: 'single:keyword' });
      store.recordEpoch(record(1, epoch, 'test'));
    }
    appendFileSync(path.join(store.directory, 'metrics.jsonl'), '{"fold":1,"epoch":4,"spl');
    store.discardUncommitted((fold, model) => (fold === 1 ? 0 : model === undefined ? 2 : 1));
    // a checkpoint write killed midway leaves its temporary folder; removeTemporaries clears it, not the checkpoints
    store.saveCheckpoint(0, 1, checkpoint(1));
    const torn = path.join(store.directory, 'checkpoints', 'fold-0', 'epoch-2.tmp-123-abc9');
    mkdirSync(torn, { recursive: true });
    // and a confusion matrix write killed midway its temporary file, four folders down
    const confusion = path.join(store.directory, 'confusion', 'fold-0', 'validation', 'keyword');
    mkdirSync(confusion, { recursive: true });
    writeFileSync(path.join(confusion, 'epoch-1.json'), '{}');
    writeFileSync(path.join(confusion, 'epoch-2.json.tmp-14160-cdecy6lism'), '{"lab');
    store.removeTemporaries();
    expect(readdirSync(path.join(store.directory, 'checkpoints', 'fold-0'))).toEqual(['epoch-1']);
    expect(readdirSync(confusion)).toEqual(['epoch-1.json']);
    const kept = openRun(store.directory).records.map((entry) => `${entry.fold}:${entry.epoch}:${entry.model ?? 'multi'}`);
    expect(kept).toEqual(['0:1:multi', '0:1:single:keyword', '0:2:multi']);
    const csv = readFileSync(path.join(store.directory, 'metrics.csv'), 'utf8').trim().split('\n');
    const modelColumn = csv[0]?.split(',').indexOf('model') as number;
    expect(csv.slice(1).map((row) => `${row.split(',').slice(0, 2).join(':')},${row.split(',')[modelColumn]}`)).toEqual([
      '0:1,multi-task',
      '0:1,multi-task',
      '0:1,single:keyword',
      '0:1,single:keyword',
      '0:2,multi-task',
      '0:2,multi-task',
    ]);
  });
});
