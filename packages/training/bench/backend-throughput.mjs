#!/usr/bin/env node
/**
 * Backend benchmark: for each backend configuration (each in its own process, since a
 * wasm build cannot be swapped once loaded) it measures a 512³ matmul in GFLOP/s and
 * Dense training throughput (120→512→512→3 heads, batch 32, Adam) in samples/s.
 * Targets from shared/notes/backend.md (2-core EPYC): wasm ≥ 30 GFLOP/s matmul; wasm
 * DNN training with the stock kernels ≥ 1,000 samples/s.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const configurations = [
  { name: 'cpu', backend: 'cpu', threads: 1 },
  { name: 'wasm 1 thread', backend: 'wasm', threads: 1 },
  { name: 'wasm 2 threads', backend: 'wasm', threads: 2 },
];

async function measure(backend, threads) {
  const { selectBackend } = await import('@polytask/training');
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const selection = await selectBackend({ preference: backend, threads, log: () => {} });
  const size = backend === 'cpu' ? 256 : 512;
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  await tf.matMul(a, b).data();
  let runs = 0;
  const matmulStart = performance.now();
  while (performance.now() - matmulStart < 1500) {
    const product = tf.matMul(a, b);
    await product.data();
    product.dispose();
    runs++;
  }
  const gflops = (2 * size ** 3 * runs) / ((performance.now() - matmulStart) / 1000) / 1e9;

  const input = tfl.input({ shape: [120] });
  let hidden = tfl.layers.dense({ units: 512, activation: 'relu' }).apply(input);
  hidden = tfl.layers.dense({ units: 512, activation: 'relu' }).apply(hidden);
  const outputs = [0, 1, 2].map(() => tfl.layers.dense({ units: 10, activation: 'softmax' }).apply(hidden));
  const model = tfl.model({ inputs: input, outputs });
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: ['categoricalCrossentropy', 'categoricalCrossentropy', 'categoricalCrossentropy'],
  });
  const x = tf.randomNormal([32, 120]);
  const ys = [0, 1, 2].map(() => tf.cast(tf.oneHot(tf.randomUniform([32], 0, 10, 'int32'), 10), 'float32'));
  for (let step = 0; step < 5; step++) await model.trainOnBatch(x, ys);
  let steps = 0;
  const trainStart = performance.now();
  while (performance.now() - trainStart < 2000) {
    await model.trainOnBatch(x, ys);
    steps++;
  }
  const samplesPerSecond = (steps * 32) / ((performance.now() - trainStart) / 1000);
  return { backend: selection.backend, threads: selection.threads, gflops, samplesPerSecond };
}

if (process.argv[2] === '--child') {
  const result = await measure(process.argv[3], Number(process.argv[4]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  console.log('backend            threads  matmul GFLOP/s  DNN train samples/s');
  for (const configuration of configurations) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', configuration.backend, String(configuration.threads)],
      {
        encoding: 'utf8',
      },
    );
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) {
      console.log(`${configuration.name.padEnd(18)} failed: ${child.stderr.trim().split('\n').at(-1)}`);
      continue;
    }
    const result = JSON.parse(line);
    console.log(
      `${configuration.name.padEnd(18)} ${String(result.threads).padStart(7)}  ${result.gflops.toFixed(1).padStart(14)}  ${result.samplesPerSecond.toFixed(0).padStart(19)}`,
    );
  }
  console.log(
    'targets (2-core machine, shared/notes/backend.md): wasm matmul >= 30 GFLOP/s; wasm DNN training >= 1000 samples/s (stock kernels)',
  );
}
