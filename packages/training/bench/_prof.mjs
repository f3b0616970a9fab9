const modelName = process.argv[2] ?? 'dnn';
const threads = Number(process.argv[3] ?? 1);
const { selectBackend, trainFold } = await import('@polytask/training');
const { createMultiTaskCnn, createMultiTaskDnn } = await import('@polytask/models');
const { createTask, createTaskDataset } = await import('@polytask/task-dataset');
const { combineDatasets } = await import('@polytask/training-sets');
await import('@tensorflow/tfjs-layers');
await selectBackend({ preference: 'wasm', threads, log: () => {} });
const shape = modelName === 'dnn' ? [120] : [96, 64];
const count = modelName === 'dnn' ? 6144 : 256;
const tasks = [0, 1, 2].map((index) => createTask({ name: `task${index}`, kind: 'multi-class', labels: Array.from({ length: 10 }, (_, label) => `l${label}`) }));
const size = shape.reduce((a, b) => a * b, 1);
const dataset = createTaskDataset({ name: 'bench', tasks,
  features: Array.from({ length: count }, (_, index) => ({ data: Float32Array.from({ length: size }, (_, value) => Math.sin(index + value)), shape })),
  targets: Object.fromEntries(tasks.map((task, taskIndex) => [task.name, Uint8Array.from({ length: count * 10 }, (_, value) => (value % 10 === (Math.floor(value / 10) + taskIndex) % 10 ? 1 : 0))])) });
const heads = tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
const model = modelName === 'dnn' ? createMultiTaskDnn({ inputShape: shape, tasks: heads, hiddenUnits: [512, 512] }) : createMultiTaskCnn({ inputShape: shape, tasks: heads, filters: [16, 32, 64], denseUnits: 64 });
const train = combineDatasets([dataset]);
await trainFold({ model, train, epochs: 1, batchSize: 32 });
const r = await trainFold({ model, train, epochs: 3, batchSize: 32 });
console.log(modelName, threads, 'samples/s per epoch', r.history.map((h) => Math.round(count / h.train.seconds)).join(' '));
