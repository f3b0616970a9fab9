/**
 * The quick start, end to end on the two embedded synthetic corpora (no download): generate the
 * audio (voices at 16 kHz, scenes at 22050 Hz), extract log-mel features at one sample rate (the
 * scenes are resampled) into the cache, split each corpus into folds by its groups (speakers,
 * recording sites) with scaling fitted on each training part, train one hard-sharing DNN on all
 * five tasks of both corpora at once (keyword, speaker pitch and noise tags; scene and sound
 * events) with batches drawn from each corpus in turn, train each task alone with the same model
 * and budget, and compare. It is an ordinary experiment config run by `runExperiment`.
 */
import path from 'node:path';
import { type ExperimentResult, parseExperimentConfig, runExperiment } from 'polytask';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** Where the corpora, the feature cache and the runs go. @default '.polytask' */
  readonly workDirectory?: string;
  /** @default 3 */
  readonly folds?: number;
  /** @default 12 */
  readonly epochs?: number;
  /** Clips per synthetic speaker and keyword (voices corpus). @default 4 */
  readonly clipsPerSpeakerAndKeyword?: number;
  /** Clips per recording site and scene (scenes corpus). @default 8 */
  readonly clipsPerSiteAndScene?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** The experiment the quick start runs. */
export function quickstartConfig(options: QuickstartOptions = {}) {
  const { workDirectory = '.polytask', folds = 3, epochs = 12 } = options;
  return parseExperimentConfig({
    name: 'quickstart',
    datasets: [
      {
        reader: 'synthetic',
        options: {
          corpus: 'voices',
          directory: path.join(workDirectory, 'data', 'voices'),
          clipsPerSpeakerAndKeyword: options.clipsPerSpeakerAndKeyword ?? 4,
        },
      },
      {
        reader: 'synthetic',
        options: {
          corpus: 'scenes',
          directory: path.join(workDirectory, 'data', 'scenes'),
          clipsPerSiteAndScene: options.clipsPerSiteAndScene ?? 8,
        },
      },
    ],
    // one sample rate for both corpora: the 22050 Hz scenes are resampled to 16 kHz
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
