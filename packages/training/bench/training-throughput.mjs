#!/usr/bin/env node
/**
 * Training benchmark (shared/notes/backend.md §4): samples per second of `trainFold` for the
 * DNN (120 → 512 → 512 → 3 heads of 10) and the log-mel CNN (96 × 64 input, filters 16, 32, 64),
 * batch 32, Adam, on the wasm backend with the training kernels, at 1 and 2 threads, each in its
 * own process; and inference (batch 32) on Polytask's evaluation path: `compileInference` (the
 * DNN), else `model.apply` (the CNN), as trainFold evaluates. The references are PyTorch 2.x from `python3`
 * (pip) and Debian's PyTorch 1.13 from `/usr/bin/python3` (apt-get install python3-torch), same
 * models and thread count; each one missing is skipped with the reason, and each configuration
 * is compared with the faster of the two. Debian's PyTorch calls OpenBLAS (refused: the reference
 * BLAS), whose own threads stack on PyTorch's: at more than one thread it runs twice, with one
 * OpenBLAS thread and with as many as PyTorch's, and each measure takes the faster (one OpenBLAS
 * thread trains faster, as many infer faster).
 * Targets on CPU, against that faster reference: training >= 0.8x (DNN and CNN, 1 and 2
 * threads); inference >= 1.0x on the CNN and >= 0.5x on the DNN.
 * Every measurement is repeated (POLYTASK_BENCH_ROUNDS, default 3; ours and the references
 * interleaved) and the medians are compared. The last lines say how busy the machine was with
 * other processes while it ran (from /proc/stat, less this benchmark's own processes).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const configurations = [
  { model: 'dnn', threads: 1 },
  { model: 'dnn', threads: 2 },
  { model: 'cnn', threads: 1 },
  { model: 'cnn', threads: 2 },
];

async function measure(modelName, threads) {
  const { selectBackend, trainFold } = await import('@polytask/training');
  const { createMultiTaskCnn, createMultiTaskDnn } = await import('@polytask/models');
  const { createTask, createTaskDataset } = await import('@polytask/task-dataset');
  const { combineDatasets } = await import('@polytask/training-sets');
  await import('@tensorflow/tfjs-layers');
  const selection = await selectBackend({ preference: 'wasm', threads, log: () => {} });
  const shape = modelName === 'dnn' ? [120] : [96, 64];
  // about a second per epoch; the first epoch warms up and is left out
  const count = modelName === 'dnn' ? 6144 : 256;
  const tasks = [0, 1, 2].map((index) =>
    createTask({ name: `task${index}`, kind: 'multi-class', labels: Array.from({ length: 10 }, (_, label) => `l${label}`) }),
  );
  const size = shape.reduce((a, b) => a * b, 1);
  const dataset = createTaskDataset({
    name: 'bench',
    tasks,
    features: Array.from({ length: count }, (_, index) => ({
      data: Float32Array.from({ length: size }, (_, value) => Math.sin(index + value)),
      shape,
    })),
    targets: Object.fromEntries(
      tasks.map((task, taskIndex) => [
        task.name,
        Uint8Array.from({ length: count * 10 }, (_, value) => (value % 10 === (Math.floor(value / 10) + taskIndex) % 10 ? 1 : 0)),
      ]),
    ),
  });
  const heads = tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const model =
    modelName === 'dnn'
      ? createMultiTaskDnn({ inputShape: shape, tasks: heads, hiddenUnits: [512, 512] })
      : createMultiTaskCnn({ inputShape: shape, tasks: heads, filters: [16, 32, 64], denseUnits: 64 });
  const result = await trainFold({ model, train: combineDatasets([dataset]), epochs: 3, batchSize: 32 });
  const seconds = (result.history[1].train.seconds + result.history[2].train.seconds) / 2;
  // inference: Polytask's evaluation path on batches of 32 for about 2 s (the compiled forward
  // pass where the model compiles, the DNN; model.apply otherwise, the CNN), outputs read back
  const tf = await import('@tensorflow/tfjs-core');
  const { compileInference } = await import('@polytask/training');
  const batch = tf.randomNormal([32, ...shape]);
  const compiled = compileInference(model);
  const infer = compiled
    ? async () => compiled.run(batch)
    : async () => {
        const outputs = model.apply(batch, { training: false });
        await Promise.all(outputs.map((output) => output.data()));
        tf.dispose(outputs);
      };
  await infer();
  let predicted = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    await infer();
    predicted += 32;
  }
  batch.dispose();
  return {
    samplesPerSecond: count / seconds,
    inferencePerSecond: predicted / ((performance.now() - started) / 1000),
    threads: selection.threads,
  };
}

const torchScript = `
import sys, time, torch, torch.nn as nn
torch.manual_seed(0); torch.set_num_threads(int(sys.argv[2]))
kind = sys.argv[1]
class Dnn(nn.Module):
    def __init__(s):
        super().__init__(); s.t = nn.Sequential(nn.Linear(120,512), nn.ReLU(), nn.Linear(512,512), nn.ReLU()); s.h = nn.ModuleList([nn.Linear(512,10) for _ in range(3)])
    def forward(s, x): z = s.t(x); return [h(z) for h in s.h]
class Cnn(nn.Module):
    def __init__(s):
        super().__init__(); layers=[]; c=1
        for f in [16,32,64]: layers += [nn.Conv2d(c,f,3,padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]; c=f
        s.t = nn.Sequential(*layers); s.d = nn.Sequential(nn.Linear(64,64), nn.ReLU()); s.h = nn.ModuleList([nn.Linear(64,10) for _ in range(3)])
    def forward(s, x): z = s.t(x.unsqueeze(1)).mean((2,3)); z = s.d(z); return [h(z) for h in s.h]
m = Dnn() if kind == 'dnn' else Cnn(); opt = torch.optim.Adam(m.parameters(), 1e-3)
x = torch.randn(32, 120) if kind == 'dnn' else torch.randn(32, 96, 64); ys = [torch.randint(0, 10, (32,)) for _ in range(3)]
ce = nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); loss = sum(ce(o, y) for o, y in zip(m(x), ys)); loss.backward(); opt.step()
for _ in range(5): step()
n = 0; t = time.perf_counter()
while time.perf_counter() - t < 3: step(); n += 1
train = 32 * n / (time.perf_counter() - t)
m.eval(); n = 0; t = time.perf_counter()
with torch.no_grad():
    while time.perf_counter() - t < 2: m(x); n += 1
import os
maps = [l.split()[-1] for l in open('/proc/self/maps') if len(l.split()) > 5] if os.path.exists('/proc/self/maps') else []
blas = sorted({os.path.basename(os.path.dirname(os.path.realpath(p))) + '/' + os.path.basename(p) for p in maps if 'blas' in os.path.basename(p)})
print(torch.__version__, ','.join(blas) or '-', train, 32 * n / (time.perf_counter() - t))
`;

const references = [
  { name: 'torch 2.x', python: 'python3' },
  { name: 'torch 1.13', python: '/usr/bin/python3' },
];
const targets = { train: { dnn: 0.8, cnn: 0.8 }, inference: { dnn: 0.5, cnn: 1.0 } };
const rounds = Math.max(1, Number(process.env.POLYTASK_BENCH_ROUNDS ?? 3));

/** CPU time (clock ticks) of the whole machine that was busy, and of this process and its waited-for children. */
function cpuTicks() {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const [user, nice, system, , , irq, softirq, steal] = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
    const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ').map(Number) ?? [];
    // fields 14-17 of /proc/self/stat: utime, stime, cutime, cstime (index 11-14 after the name)
    const mine = (own[11] ?? 0) + (own[12] ?? 0) + (own[13] ?? 0) + (own[14] ?? 0);
    return { busy: user + nice + system + irq + softirq + steal, mine };
  } catch {
    return undefined;
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function runReference(reference, model, threads) {
  const first = runReferenceOnce(reference, model, threads, 1);
  if (first.error || threads === 1 || !first.blas) return first;
  const second = runReferenceOnce(reference, model, threads, threads);
  if (second.error) return second;
  return { ...first, train: Math.max(first.train, second.train), inference: Math.max(first.inference, second.inference) };
}

function runReferenceOnce(reference, model, threads, blasThreads) {
  const run = spawnSync(reference.python, ['-c', torchScript, model, String(threads)], {
    encoding: 'utf8',
    env: {
      ...process.env,
      OPENBLAS_NUM_THREADS: String(blasThreads),
      OMP_NUM_THREADS: String(threads),
      MKL_NUM_THREADS: String(threads),
    },
  });
  if (run.error) return { error: `${reference.python}: ${run.error.code ?? run.error.message}` };
  const lines = run.stdout.trim().split('\n');
  const [torchVersion, blas, train, inference] = (lines.at(-1) ?? '').split(/\s+/);
  // Debian's PyTorch calls the BLAS that `update-alternatives` picks: the reference BLAS (libblas3)
  // is several times slower than OpenBLAS and would make the comparison unfair
  const systemBlas = blas?.split(',').find((library) => /^(openblas|blas)[^/]*\/libblas/.test(library));
  const version = systemBlas ? `${torchVersion} (${systemBlas.split('/')[0]})` : torchVersion;
  if (systemBlas?.startsWith('blas/'))
    return {
      error: `${reference.python}: PyTorch ${torchVersion} uses the reference BLAS (${blas}); install OpenBLAS (apt-get install libopenblas0-pthread) for a fair comparison`,
    };
  if (run.status !== 0 || !Number.isFinite(Number(train)))
    return { error: `${reference.python}: ${run.stderr.trim().split('\n').at(-1) || `exit code ${run.status}`}` };
  return { version, blas: systemBlas, train: Number(train), inference: Number(inference) };
}

function runOurs(model, threads) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', model, String(threads)], { encoding: 'utf8' });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { error: child.stderr.trim().split('\n').slice(-3).join(' ') };
  const { samplesPerSecond, inferencePerSecond } = JSON.parse(line);
  return { train: samplesPerSecond, inference: inferencePerSecond };
}

const format = (value) => (value === undefined ? '-' : value.toFixed(0));

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]))));
  process.exit(0);
} else {
  const before = cpuTicks();
  const started = performance.now();
  const loads = [];
  const skipped = new Map();
  const versions = new Map();
  const table = [];
  for (const { model, threads } of configurations) {
    const samples = { ours: [], ...Object.fromEntries(references.map((reference) => [reference.name, []])) };
    let failure;
    for (let round = 0; round < rounds && !failure; round++) {
      loads.push(os.loadavg()[0]);
      const ours = runOurs(model, threads);
      if (ours.error) failure = ours.error;
      else samples.ours.push(ours);
      for (const reference of references) {
        if (skipped.has(reference.name)) continue;
        const result = runReference(reference, model, threads);
        if (result.error) skipped.set(reference.name, result.error);
        else {
          versions.set(reference.name, result.version);
          samples[reference.name].push(result);
        }
      }
    }
    if (failure) {
      console.log(`${model} ${threads} thread(s): failed: ${failure}`);
      continue;
    }
    const medians = Object.fromEntries(
      Object.entries(samples)
        .filter(([, list]) => list.length > 0)
        .map(([name, list]) => [
          name,
          { train: median(list.map((entry) => entry.train)), inference: median(list.map((entry) => entry.inference)) },
        ]),
    );
    table.push({ model, threads, medians, spread: samples.ours.map((entry) => entry.train) });
  }
  const seconds = (performance.now() - started) / 1000;
  const after = cpuTicks();

  for (const [name, reason] of skipped) console.log(`${name} skipped: ${reason}`);
  const names = references.map((reference) => reference.name).filter((name) => versions.has(name));
  console.log(
    `medians of ${rounds} round(s); versions: ${names.map((name) => `${name} = ${versions.get(name)}`).join(', ') || 'no PyTorch'}; Node ${process.versions.node}`,
  );
  for (const kind of ['train', 'inference']) {
    console.log(`\n${kind === 'train' ? 'training' : 'inference'} samples/s`);
    console.log(
      `model  threads  ${'polytask'.padStart(9)}  ${names.map((name) => name.padStart(10)).join('  ')}  ratio to the faster  target  result`,
    );
    for (const { model, threads, medians } of table) {
      const ours = medians.ours[kind];
      const best = Math.max(...names.map((name) => medians[name]?.[kind] ?? 0));
      const target = targets[kind][model];
      const ratio = best > 0 ? ours / best : undefined;
      console.log(
        `${model.padEnd(6)} ${String(threads).padStart(7)}  ${format(ours).padStart(9)}  ${names.map((name) => format(medians[name]?.[kind]).padStart(10)).join('  ')}  ${(ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}x`).padStart(19)}  ${`>= ${target.toFixed(1)}x`.padStart(7)}  ${ratio === undefined ? 'no reference' : ratio >= target ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  const cores = os.availableParallelism();
  if (before && after) {
    const ticks = 100; // USER_HZ on Linux
    const others = Math.max(0, after.busy - before.busy - (after.mine - before.mine)) / ticks / seconds;
    console.log(
      `\nmachine: ${cores} cores; other processes used ${others.toFixed(2)} cores on average during the ${seconds.toFixed(0)} s run (${others > 0.25 ? 'LOADED: the ratios are less reliable' : 'quiet'}); 1-min load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`,
    );
  } else console.log(`\nmachine: ${cores} cores; 1-min load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
}
