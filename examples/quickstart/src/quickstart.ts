/**
 * The quick start: choose a backend, generate a small two-task dataset (a 3-class
 * keyword task and a binary speaker task over the same examples), train a shared
 * trunk with one head per task, and report the loss per epoch.
 */
import { defineTask, encodeTarget, type TaskDefinition, taskOutputSize } from '@polytask/core';
import { type BackendSelection, selectBackend } from '@polytask/training';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Training epochs. @default 12 */
  readonly epochs?: number;
  /** Examples generated. @default 512 */
  readonly exampleCount?: number;
  /** Seed of the data generator and the weight initialisers. @default 7 */
  readonly seed?: number;
  /** Receives progress lines. @default console.log */
  readonly log?: (line: string) => void;
}

/** What the quick start measured. */
export interface QuickstartResult {
  /** The backend the model trained on. */
  readonly backend: BackendSelection;
  /** Combined training loss after each epoch. */
  readonly losses: readonly number[];
  /** Training accuracy per task after the last epoch. */
  readonly accuracy: Readonly<Record<string, number>>;
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const featureSize = 16;

function generate(tasks: readonly TaskDefinition[], exampleCount: number, random: () => number) {
  const features = new Float32Array(exampleCount * featureSize);
  const targets = tasks.map((task) => new Float32Array(exampleCount * taskOutputSize(task)));
  const centres = tasks.map((task) => task.labels.map(() => Array.from({ length: featureSize }, () => random() * 2 - 1)));
  for (let example = 0; example < exampleCount; example++) {
    tasks.forEach((task, taskIndex) => {
      const labelNumber = Math.floor(random() * task.labels.length);
      targets[taskIndex]?.set(encodeTarget(task, task.labels[labelNumber] as string), example * taskOutputSize(task));
      const centre = centres[taskIndex]?.[labelNumber] ?? [];
      for (let index = 0; index < featureSize; index++) {
        features[example * featureSize + index] =
          (features[example * featureSize + index] ?? 0) + (centre[index] ?? 0) + (random() - 0.5) * 4;
      }
    });
  }
  return { features, targets };
}

/** Runs the quick start and returns the losses per epoch. */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartResult> {
  const { epochs = 12, exampleCount = 512, seed = 7, log = console.log } = options;
  const backend = await selectBackend({ log });
  const tasks = [
    defineTask({ name: 'keyword', kind: 'multi-class', labels: ['yes', 'no', 'stop'] }),
    defineTask({ name: 'speaker', kind: 'binary', labels: ['female', 'male'] }),
  ];
  const { features, targets } = generate(tasks, exampleCount, seededRandom(seed));

  const input = tfl.input({ shape: [featureSize] });
  const trunk = tfl.layers
    .dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) })
    .apply(input) as tfl.SymbolicTensor;
  const heads = tasks.map(
    (task, index) =>
      tfl.layers
        .dense({
          units: taskOutputSize(task),
          activation: task.kind === 'multi-class' ? 'softmax' : 'sigmoid',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + index + 1 }),
          name: task.name,
        })
        .apply(trunk) as tfl.SymbolicTensor,
  );
  const model = tfl.model({ inputs: input, outputs: heads });
  model.compile({
    optimizer: tf.train.adam(0.01),
    loss: tasks.map((task) => (task.kind === 'multi-class' ? 'categoricalCrossentropy' : 'binaryCrossentropy')),
  });

  const x = tf.tensor2d(features, [exampleCount, featureSize]);
  const ys = tasks.map((task, index) => tf.tensor2d(targets[index] as Float32Array, [exampleCount, taskOutputSize(task)]));
  const losses: number[] = [];
  log(`training ${tasks.map((task) => `${task.name} (${task.kind})`).join(' + ')} on ${exampleCount} generated examples`);
  await model.fit(x, ys, {
    epochs,
    batchSize: 32,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        const loss = Number(logs?.loss);
        losses.push(loss);
        log(`epoch ${String(epoch + 1).padStart(2)}  loss ${loss.toFixed(4)}`);
      },
    },
  });

  const predictions = model.predict(x) as tf.Tensor[];
  const accuracy: Record<string, number> = {};
  for (const [index, task] of tasks.entries()) {
    const predicted = predictions[index] as tf.Tensor;
    const truth = ys[index] as tf.Tensor;
    const correct =
      task.kind === 'multi-class'
        ? tf.equal(tf.argMax(predicted, 1), tf.argMax(truth, 1))
        : tf.equal(tf.greaterEqual(predicted, 0.5), tf.greaterEqual(truth, 0.5));
    accuracy[task.name] = (await tf.mean(tf.cast(correct, 'float32')).data())[0] as number;
  }
  log(
    `accuracy: ${Object.entries(accuracy)
      .map(([name, value]) => `${name} ${(value * 100).toFixed(1)}%`)
      .join(', ')}`,
  );
  tf.dispose([x, ...ys, ...predictions]);
  model.dispose();
  return { backend, losses, accuracy };
}
