/**
 * The quick start, end to end on the embedded synthetic corpus (no download): generate the
 * audio, extract log-mel features into the cache, split by speaker into folds with scaling
 * fitted on each training part, train a hard-sharing DNN on three tasks at once (keyword,
 * speaker pitch, noise tags), train each task alone with the same model and budget, and
 * compare. It is an ordinary experiment config run by `runExperiment`.
 */
import path from 'node:path';
import { type ExperimentResult, parseExperimentConfig, runExperiment } from 'polytask';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Where the corpus, the feature cache and the runs go. @default '.polytask' */
  readonly workDirectory?: string;
  /** @default 3 */
  readonly folds?: number;
  /** @default 20 */
  readonly epochs?: number;
  /** Clips per synthetic speaker and keyword. @default 4 */
  readonly clipsPerSpeakerAndKeyword?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** The experiment the quick start runs. */
export function quickstartConfig(options: QuickstartOptions = {}) {
  const { workDirectory = '.polytask', folds = 3, epochs = 20 } = options;
  return parseExperimentConfig({
    name: 'quickstart',
    datasets: [
      {
        reader: 'synthetic',
        options: {
          directory: path.join(workDirectory, 'data', 'synthetic'),
          clipsPerSpeakerAndKeyword: options.clipsPerSpeakerAndKeyword ?? 4,
        },
      },
    ],
    extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, hopLength: 512, melBandCount: 32 } },
    cacheDirectory: path.join(workDirectory, 'cache'),
    runsDirectory: path.join(workDirectory, 'runs'),
    split: { kind: 'k-fold', folds, seed: 1 },
    preparation: { scaling: 'per-feature' },
    model: { kind: 'dnn', hiddenUnits: [64], dropout: 0.2 },
    training: { epochs, batchSize: 16, lr: 0.003, seed: 1 },
    baselines: true,
  });
}

/** Runs the quick start. */
export function runQuickstart(options: QuickstartOptions = {}): Promise<ExperimentResult> {
  return runExperiment(quickstartConfig(options), { log: options.log ?? console.log });
}
