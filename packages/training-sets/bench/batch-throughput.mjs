#!/usr/bin/env node
/**
 * Batch throughput: 32-item batches of [96, 64] log-mel-sized features (the example CNN's
 * input) from an in-memory set and from an index-mode set (2,048 examples, 50 MB, warm page
 * cache), per-dataset sampler, through iterateBatches with prefetch. Reference: the example
 * CNN trains at about 50-66 samples/s on this machine's wasm backend (shared/notes/backend.md),
 * i.e. about 2 batches/s, so the target (10x faster than the step) is >= 20 batches/s.
 */
import os from 'node:os';
import path from 'node:path';
import { createTask, loadTaskDataset, writeDatasetCache } from '@polytask/task-dataset';
import { combineDatasets, createBatchSampler, iterateBatches } from '@polytask/training-sets';

const shape = [96, 64];
const count = 2048;
const directory = path.join(os.tmpdir(), 'polytask-bench', 'batch-throughput');
const task = createTask({ name: 'label', kind: 'multi-class', labels: ['a', 'b', 'c'] });
const targets = new Uint8Array(count * 3);
for (let index = 0; index < count; index++) targets[index * 3 + (index % 3)] = 1;
await writeDatasetCache({
  directory,
  name: 'bench',
  tasks: [task],
  count,
  shapes: Array.from({ length: count }, () => shape),
  readFeatures: (index) => new Float32Array(shape[0] * shape[1]).fill(index % 13),
  targets: new Map([['label', targets]]),
  ids: Array.from({ length: count }, (_, index) => `item-${index}`),
  groups: new Array(count).fill(undefined),
  metadata: [],
  predefinedSplit: undefined,
});

const results = [];
for (const indexMode of [false, true]) {
  const dataset = await loadTaskDataset(directory, { indexMode });
  const set = combineDatasets([dataset]);
  const sampler = createBatchSampler({ set, batchSize: 32, strategy: 'per-dataset', seed: 1 });
  let batches = 0;
  for await (const _ of iterateBatches({ set, sampler })) batches++; // warm-up epoch
  const start = performance.now();
  for (let epoch = 0; epoch < 3; epoch++) for await (const _ of iterateBatches({ set, sampler })) batches++;
  const seconds = (performance.now() - start) / 1000;
  results.push({ mode: indexMode ? 'index mode' : 'in memory', rate: (batches - count / 32) / seconds });
  dataset.close();
}
for (const { mode, rate } of results)
  console.log(`batches of 32 x [96, 64], ${mode}: ${rate.toFixed(0)} batches/s (target >= 20, 10x the CNN step of ~2 batches/s)`);
