/**
 * The quick start, end to end on the embedded synthetic corpus (no download): generate the
 * audio, extract log-mel features into the cache, split by speaker into folds with scaling
 * fitted on each training part, train a hard-sharing DNN on three tasks at once (keyword,
 * speaker pitch, noise tags), train each task alone with the same model and budget, and
 * compare. Metrics, confusion matrices, checkpoints and TensorBoard logs go to the run folder.
 */
import { createSyntheticReader, generateSyntheticCorpus } from '@polytask/dataset-synthetic';
import '@tensorflow/tfjs-layers';
import path from 'node:path';
import {
  type BackendSelection,
  createMultiTaskDnn,
  createRunStore,
  createRunStoreObserver,
  createTensorBoardObserver,
  createTrainingSets,
  readDataset,
  selectBackend,
  type TaskMetrics,
  trainFold,
} from 'polytask';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Where the corpus, the feature cache and the runs go. @default '.polytask' */
  readonly workDirectory?: string;
  /** @default 3 */
  readonly folds?: number;
  /** @default 12 */
  readonly epochs?: number;
  /** Clips per synthetic speaker and keyword. @default 4 */
  readonly clipsPerSpeakerAndKeyword?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** One task's headline metric, multi-task and alone, per fold. */
export interface Comparison {
  readonly task: string;
  readonly metric: string;
  readonly multiTask: readonly number[];
  readonly singleTask: readonly number[];
}

/** What the quick start produced. */
export interface QuickstartResult {
  readonly backend: BackendSelection;
  readonly runDirectory: string;
  readonly comparisons: readonly Comparison[];
}

const headline = (metrics: TaskMetrics): [string, number] =>
  metrics.kind === 'multi-label' ? ['macro F1', metrics.macro.f1] : ['accuracy', metrics.accuracy ?? 0];
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const deviation = (values: readonly number[]) => Math.sqrt(mean(values.map((value) => (value - mean(values)) ** 2)));
const format = (values: readonly number[]) => `${(100 * mean(values)).toFixed(1)}% ± ${(100 * deviation(values)).toFixed(1)}`;

/** Runs the quick start. */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartResult> {
  const { workDirectory = '.polytask', folds = 3, epochs = 20, log = console.log } = options;
  const backend = await selectBackend({ log });
  const corpus = generateSyntheticCorpus({
    directory: path.join(workDirectory, 'data', 'synthetic'),
    clipsPerSpeakerAndKeyword: options.clipsPerSpeakerAndKeyword ?? 4,
  });
  const read = await readDataset(createSyntheticReader({ directory: corpus }), {
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, hopLength: 512, melBandCount: 32 } },
    cacheDirectory: path.join(workDirectory, 'cache'),
    progress: 'lines',
  });
  const { dataset } = read;
  log(
    `dataset: ${dataset.size} clips, tasks ${dataset.tasks.map((task) => `${task.name} (${task.kind})`).join(', ')}; features ${read.fromCache ? 'loaded from' : 'extracted into'} ${read.cacheDirectory}`,
  );
  const sets = createTrainingSets({
    datasets: [dataset],
    split: { kind: 'k-fold', folds, seed: 1 },
    preparation: { scaling: 'per-feature' },
  });
  const store = createRunStore({
    root: path.join(workDirectory, 'runs'),
    name: `quickstart-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  });
  const tensorboard = path.join(store.directory, 'tensorboard');
  const observers = [createRunStoreObserver(store), createTensorBoardObserver({ directory: tensorboard })];
  const hparams = { model: 'dnn-64', features: 'log-mel-32', epochs, optimizer: 'adam', learningRate: 0.003 };
  for (const observer of observers)
    await observer.onRunStart?.({
      foldCount: sets.foldCount,
      tasks: dataset.tasks.map((task) => task.name),
      hparams,
      config: { hparams, folds, corpus },
    });
  const comparisons = new Map<string, { metric: string; multiTask: number[]; singleTask: number[] }>();
  const inputShape = dataset.featuresOf(0).shape;
  const heads = dataset.tasks.map((task) => ({ name: task.name, kind: task.kind, outputSize: task.outputSize }));
  const settings = { epochs, batchSize: 16, optimizer: { name: 'adam', learningRate: 0.003 } as const, seed: 1 };
  for (const { fold, train, test, preparations } of sets.folds()) {
    for (const observer of observers) await observer.onFoldStart?.({ fold, preparations });
    const multi = await trainFold({
      ...settings,
      model: createMultiTaskDnn({ inputShape, tasks: heads, hiddenUnits: [64], dropout: 0.2, seed: fold }),
      train,
      test,
      fold,
      store,
      observers,
    });
    const final = multi.history.at(-1)?.test;
    for (const task of final?.tasks ?? []) {
      const [metric, value] = headline(task);
      const entry = comparisons.get(task.task) ?? { metric, multiTask: [], singleTask: [] };
      entry.multiTask.push(value);
      comparisons.set(task.task, entry);
    }
    for (const task of dataset.tasks) {
      const alone = await trainFold({
        ...settings,
        model: createMultiTaskDnn({ inputShape, tasks: heads, hiddenUnits: [64], dropout: 0.2, seed: fold }),
        train,
        test,
        fold,
        tasks: [task.name],
      });
      const metrics = alone.history.at(-1)?.test?.tasks[0];
      if (metrics) comparisons.get(task.name)?.singleTask.push(headline(metrics)[1]);
    }
    log(
      `fold ${fold + 1}/${sets.foldCount}: ${(final?.tasks ?? []).map((task) => `${task.task} ${headline(task)[0]} ${(100 * headline(task)[1]).toFixed(1)}%`).join(', ')}`,
    );
  }
  for (const observer of observers) await observer.onRunEnd?.({ status: 'success' });
  const result = [...comparisons].map(([task, entry]) => ({ task, ...entry }));
  log('');
  log(`test ${folds}-fold mean ± std      multi-task        single-task`);
  for (const row of result)
    log(`${`${row.task} (${row.metric})`.padEnd(26)} ${format(row.multiTask).padEnd(17)} ${format(row.singleTask)}`);
  log('');
  log(`run folder: ${path.resolve(store.directory)} (metrics.csv, confusion/, checkpoints/)`);
  log(`TensorBoard: pip install tensorboard && tensorboard --logdir ${path.resolve(tensorboard)}  (then open http://localhost:6006)`);
  return { backend, runDirectory: store.directory, comparisons: result };
}
