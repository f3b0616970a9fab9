#!/usr/bin/env node
/**
 * Training benchmark (shared/notes/backend.md §4): samples per second of `trainFold` for the
 * DNN (120 → 512 → 512 → 3 heads) and the log-mel CNN (96 × 64 input), batch 32, Adam, on the
 * wasm backend with the training kernels, at 1 and 2 threads, each in its own process; next to
 * PyTorch (same models) when python3 has torch, and inference (predict, batch 32) next to PyTorch's
 * eval/no_grad. Targets on CPU: training DNN >= 0.5x PyTorch, CNN >= 0.3x; CNN inference >= 1.0x.
 */
import { spawnSync } from 'node:child_process';
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
  // inference: predict on batches of 32 for about 2 s
  const tf = await import('@tensorflow/tfjs-core');
  const batch = tf.randomNormal([32, ...shape]);
  tf.dispose(model.predict(batch));
  let predicted = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    const outputs = model.predict(batch);
    await Promise.all(outputs.map((output) => output.data()));
    tf.dispose(outputs);
    predicted += 32;
  }
  batch.dispose();
  return {
    samplesPerSecond: count / seconds,
    inferencePerSecond: predicted / ((performance.now() - started) / 1000),
    threads: selection.threads,
  };
}

const torchScript = String.raw`
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
print(train, 32 * n / (time.perf_counter() - t))
`;

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]))));
  process.exit(0);
} else {
  console.log('model  threads  train samples/s: polytask  pytorch  ratio (target)  |  inference samples/s: polytask  pytorch  ratio');
  for (const { model, threads } of configurations) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', model, String(threads)], { encoding: 'utf8' });
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) {
      console.log(`${model}    ${threads}        failed: ${child.stderr.trim().split('\n').slice(-3).join(' ')}`);
      continue;
    }
    const { samplesPerSecond: ours, inferencePerSecond: oursInference } = JSON.parse(line);
    let torch = 'n/a (no torch)';
    let ratio = '';
    let torchInference = '';
    let inferenceRatio = '';
    for (const python of ['python3', '/usr/bin/python3']) {
      const reference = spawnSync(python, ['-c', torchScript, model, String(threads)], {
        encoding: 'utf8',
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) },
      });
      if (reference.status === 0) {
        const [value, inference] = reference.stdout.trim().split(/\s+/).map(Number);
        torch = value.toFixed(0);
        ratio = (ours / value).toFixed(2);
        torchInference = inference.toFixed(0);
        inferenceRatio = (oursInference / inference).toFixed(2);
        break;
      }
    }
    console.log(
      `${model.padEnd(6)} ${String(threads).padStart(7)}  ${ours.toFixed(0).padStart(24)}  ${String(torch).padStart(7)}  ${ratio.padStart(5)} (${model === 'dnn' ? '>= 0.5x' : '>= 0.3x'})  |  ${oursInference.toFixed(0).padStart(26)}  ${torchInference.padStart(7)}  ${inferenceRatio}${model === 'cnn' ? ' (target >= 1.0x)' : ''}`,
    );
  }
}
