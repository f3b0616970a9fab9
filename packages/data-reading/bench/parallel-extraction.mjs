#!/usr/bin/env node
/**
 * Parallel extraction benchmark: 300 clips of 5 s at 44.1 kHz (ESC-50-like), resampled to
 * 16 kHz and turned into 64-band log-mel, read by `readDataset` with 1 worker and with 2
 * workers (fresh caches each). Target on a 2-core machine: 2 workers >= 1.7x one worker.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineTask } from '@polytask/core';
import { readDataset } from '@polytask/data-reading';
import wavefile from 'wavefile';

const root = path.join(os.tmpdir(), 'polytask-bench', 'parallel-extraction');
const corpus = path.join(root, 'corpus');
const count = Number(process.env.BENCH_CLIPS ?? 300);
mkdirSync(corpus, { recursive: true });
let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};
for (let index = 0; index < count; index++) {
  const samples = new Int16Array(44100 * 5);
  for (let sample = 0; sample < samples.length; sample++)
    samples[sample] = Math.round(8000 * Math.sin(sample * (0.01 + index * 0.001)) + 4000 * random());
  const wave = new wavefile.WaveFile();
  wave.fromScratch(1, 44100, '16', samples);
  writeFileSync(path.join(corpus, `clip-${index}.wav`), wave.toBuffer());
}
const task = defineTask({ name: 'sound', kind: 'multi-class', labels: ['a', 'b'] });
const reader = {
  specificationVersion: 'v1',
  name: 'bench-corpus',
  tasks: [task],
  listItems: async () =>
    Array.from({ length: count }, (_, index) => ({
      id: `clip-${index}`,
      path: path.join(corpus, `clip-${index}.wav`),
      labels: { sound: index % 2 ? 'a' : 'b' },
    })),
};
const extraction = { name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, hopLength: 256, melBandCount: 64 } };

async function time(workers) {
  const cacheDirectory = path.join(root, `cache-${workers}`);
  rmSync(cacheDirectory, { recursive: true, force: true });
  const start = performance.now();
  let extractionSeconds = 0;
  const result = await readDataset(reader, {
    extraction,
    cacheDirectory,
    workers,
    progress: (event) => (extractionSeconds = event.elapsedSeconds),
  });
  const seconds = (performance.now() - start) / 1000;
  if (result.extractedCount !== count) throw new Error(`extracted ${result.extractedCount} of ${count}`);
  return { seconds, extractionSeconds };
}

await time(1); // warm the page cache and the code
const one = await time(1);
const two = await time(2);
console.log(
  `parallel extraction, ${count} clips of 5 s at 44.1 kHz -> 16 kHz log-mel: 1 worker ${one.seconds.toFixed(2)} s, 2 workers ${two.seconds.toFixed(2)} s, ` +
    `speed-up ${(one.seconds / two.seconds).toFixed(2)}x end to end, ${(one.extractionSeconds / two.extractionSeconds).toFixed(2)}x in the extraction phase ` +
    `(target >= 1.7x on 2 cores; ${os.availableParallelism()} cores here)`,
);
rmSync(root, { recursive: true, force: true });
// V8's parallel garbage collection starts helper threads in every worker, which compete for the
// cores; with --single-threaded-gc (a process flag) the same run scales better.
if (!process.execArgv.includes('--single-threaded-gc')) {
  const child = spawnSync(process.execPath, ['--single-threaded-gc', fileURLToPath(import.meta.url)], {
    encoding: 'utf8',
    env: process.env,
  });
  console.log(
    `with node --single-threaded-gc: ${child.stdout
      .trim()
      .split('\n')
      .at(-1)
      ?.replace(/^parallel extraction, /, '')}`,
  );
}
