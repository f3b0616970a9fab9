#!/usr/bin/env node
/**
 * Index-mode benchmark. Builds (once, in the OS temp folder) a feature cache of more than
 * 2 GB (16,400 examples of [250, 128] float32), then, each in a fresh process:
 * - iterates all of it in index mode and reports examples/s and peak RSS (target < 300 MB);
 * - iterates a 1,024-example cache (131 MB) in index mode and in memory, warm, and reports
 *   the ratio (target: index mode >= 0.5x in-memory speed).
 * Iterating means what batching does: copy each example's features into a 32-example batch buffer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTask, inspectDatasetCache, loadTaskDataset, writeDatasetCache } from '@polytask/task-dataset';

const shape = [250, 128];
const count = 16_400;
const largeDirectory = path.join(os.tmpdir(), 'polytask-bench', 'index-mode-2gb');
const smallDirectory = path.join(os.tmpdir(), 'polytask-bench', 'index-mode-1024');

async function build(directory, count) {
  if ((await inspectDatasetCache(directory)).status === 'valid') return;
  const task = createTask({ name: 'label', kind: 'multi-class', labels: ['a', 'b', 'c', 'd'] });
  const values = shape[0] * shape[1];
  const targets = new Uint8Array(count * 4);
  for (let index = 0; index < count; index++) targets[index * 4 + (index % 4)] = 1;
  await writeDatasetCache({
    directory,
    name: 'bench',
    tasks: [task],
    count,
    shapes: Array.from({ length: count }, () => shape),
    readFeatures: (index) => new Float32Array(values).fill(index % 97),
    targets: new Map([['label', targets]]),
    ids: Array.from({ length: count }, (_, index) => `item-${index}`),
    groups: new Array(count).fill(undefined),
    metadata: [],
    predefinedSplit: undefined,
  });
}

async function iterate(mode, directory, passes) {
  const dataset = await loadTaskDataset(directory, { indexMode: mode === 'index' });
  const values = shape[0] * shape[1];
  const batch = new Float32Array(32 * values);
  let checksum = 0;
  const pass = () => {
    for (let index = 0; index < dataset.size; index++) {
      dataset.copyFeaturesInto(index, batch, (index % 32) * values);
      checksum += batch[(index % 32) * values];
    }
  };
  if (passes > 1) pass(); // warm the page cache
  const start = performance.now();
  for (let repeat = 0; repeat < passes; repeat++) pass();
  const seconds = (performance.now() - start) / 1000;
  dataset.close();
  return { examplesPerSecond: (dataset.size * passes) / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, checksum };
}

if (process.argv[2] === '--child') {
  const result = await iterate(process.argv[3], process.argv[4], Number(process.argv[5]));
  console.log(JSON.stringify(result));
} else {
  const buildStart = performance.now();
  await build(largeDirectory, count);
  await build(smallDirectory, 1024);
  const bytes = (await inspectDatasetCache(largeDirectory)).manifest.files['features.npy'].bytes;
  console.log(
    `dataset: ${count} examples of [${shape.join(', ')}], ${(bytes / 1e9).toFixed(2)} GB (${existsSync(largeDirectory) ? 'ready' : 'missing'} in ${((performance.now() - buildStart) / 1000).toFixed(1)} s)`,
  );
  const run = (mode, directory, passes) => {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, directory, String(passes)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout.trim().split('\n').at(-1));
  };
  const full = run('index', largeDirectory, 1);
  console.log(
    `index mode, all ${count} examples: ${full.examplesPerSecond.toFixed(0)} examples/s, peak RSS ${full.peakRssMb.toFixed(0)} MB (target < 300 MB)`,
  );
  const indexed = run('index', smallDirectory, 5);
  const memory = run('memory', smallDirectory, 5);
  console.log(
    `1024 examples (131 MB), warm: index ${indexed.examplesPerSecond.toFixed(0)} examples/s, in memory ${memory.examplesPerSecond.toFixed(0)} examples/s, ratio ${(indexed.examplesPerSecond / memory.examplesPerSecond).toFixed(2)} (target >= 0.5)`,
  );
}
