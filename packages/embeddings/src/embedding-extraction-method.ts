/**
 * Embeddings as features: an extraction method that frames audio as an embedding model expects
 * (VGGish, YAMNet or custom framing), runs a user-supplied tfjs model loaded from disk on every
 * example, and returns `[examples, embeddingSize]`. The model's path and a hash of its files are
 * parameters of the method, so they are part of the feature cache key.
 */
import path from 'node:path';
import { ConfigError, type FeatureMatrix, ShapeMismatchError } from '@polytask/core';
import type { ExtractionMethod } from '@polytask/extraction';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { type Tensor, tensor, tidy } from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { type EmbeddingFraming, frameSignal, minimumFramingSamples, type ResolvedFraming, resolveFraming } from './embedding-framing';
import { fileSystemModelHandler, hashModelFiles } from './file-system-model-handler';

/** Options of {@link createEmbeddingExtractionMethod}. */
export interface EmbeddingExtractionOptions {
  /** Method name in extraction specs, kebab-case. @default 'embedding' */
  readonly name?: string;
  /** The model's `model.json` on disk; weight files are read from beside it. */
  readonly modelPath: string;
  /** `layers` (tf.LayersModel, `loadLayersModel`) or `graph` (converted TF SavedModel, `loadGraphModel`). */
  readonly format: 'layers' | 'graph';
  /** How audio is cut into the model's examples. */
  readonly framing: EmbeddingFraming;
  /** Which output to take when the model has several (YAMNet-like models return scores, embeddings, ...). @default 0 */
  readonly outputIndex?: number;
}

/** The resolved parameters of an embedding method: everything that determines its features. */
export interface EmbeddingParameters {
  /** Absolute path of `model.json`. */
  readonly modelPath: string;
  /** Hash of `model.json` and its weight files (see `hashModelFiles`). */
  readonly modelHash: string;
  /** Model format, as given. */
  readonly format: 'layers' | 'graph';
  /** The framing with every default applied. */
  readonly framing: ResolvedFraming;
  /** The model output taken. */
  readonly outputIndex: number;
}

/** The part of tf.LayersModel and tf.GraphModel the method uses. */
interface EmbeddingModel {
  readonly inputs: readonly { readonly shape?: readonly (number | null)[] | null }[];
  predict(input: Tensor): Tensor | Tensor[] | Record<string, Tensor>;
}

/** Checks the model's input against the framing; returns the shape examples are fed in (framing's, or with a trailing 1 channel). */
function modelInputShape(model: EmbeddingModel, framing: ResolvedFraming, modelPath: string): number[] {
  const declared = model.inputs[0]?.shape ?? undefined;
  const example = [...framing.exampleShape];
  if (!declared) return example;
  const perExample = declared.slice(1);
  const fits = (candidate: number[]) =>
    perExample.length === candidate.length && perExample.every((size, axis) => size === null || size === -1 || size === candidate[axis]);
  if (fits(example)) return example;
  if (fits([...example, 1])) return [...example, 1];
  throw new ShapeMismatchError({
    expected: [null, ...example],
    actual: declared,
    message: `${modelPath} takes input [${declared.map((size) => size ?? 'batch').join(', ')}], but the ${framing.input} framing gives examples of [${example.join(', ')}] (${framing.frameSeconds} s at ${framing.sampleRate} Hz); choose the framing the model was trained with, or a custom { frameSeconds, hopSeconds, input } that matches.`,
    context: { modelPath },
  });
}

async function loadModel(modelPath: string, format: 'layers' | 'graph'): Promise<EmbeddingModel> {
  const handler = fileSystemModelHandler(modelPath);
  if (format === 'layers') return (await loadLayersModel(handler)) as unknown as EmbeddingModel;
  return (await loadGraphModel(handler)) as unknown as EmbeddingModel;
}

/**
 * Loads the model at `modelPath` and returns an extraction method that runs it on framed audio.
 * Register it, then name it in a spec whose `sampleRate` is the framing's (16000 for VGGish and YAMNet).
 * A tfjs backend must be registered (load @tensorflow/tfjs-backend-cpu, or tfjs-node, first).
 * Create the method after the model files are final: their hash is taken here.
 * @throws MissingFileError naming `model.json` or a weight file that is absent; ShapeMismatchError when the model's input does not fit the framing.
 * @example
 * const registry = createDefaultExtractionRegistry();
 * registry.register(await createEmbeddingExtractionMethod({ modelPath: 'vggish/model.json', format: 'layers', framing: 'vggish' }));
 * await readDataset(reader, { extraction: { name: 'embedding', sampleRate: 16000 }, registry, cacheDirectory });
 */
export async function createEmbeddingExtractionMethod(options: EmbeddingExtractionOptions): Promise<ExtractionMethod<EmbeddingParameters>> {
  const modelPath = path.resolve(options.modelPath);
  const framing = resolveFraming(options.framing);
  const outputIndex = options.outputIndex ?? 0;
  const modelHash = hashModelFiles(modelPath);
  const model = await loadModel(modelPath, options.format);
  const inputShape = modelInputShape(model, framing, modelPath);
  const parameters: EmbeddingParameters = Object.freeze({ modelPath, modelHash, format: options.format, framing, outputIndex });
  return Object.freeze({
    specificationVersion: 'v1' as const,
    name: options.name ?? 'embedding',
    description: `Embeddings of ${path.basename(path.dirname(modelPath))}/${path.basename(modelPath)} (${options.format} model) over ${framing.frameSeconds} s ${framing.input} examples, [examples, embeddingSize].`,
    version: 1,
    // the model is fixed when the method is created; a spec may repeat its parameters (a resolved
    // spec parsed again), but not ask for another model: that takes another method
    parameters: z
      .strictObject({
        modelPath: z.string().optional(),
        modelHash: z.string().optional(),
        format: z.enum(['layers', 'graph']).optional(),
        framing: z.unknown().optional(),
        outputIndex: z.number().optional(),
      })
      .superRefine((given, context) => {
        for (const key of ['modelPath', 'format', 'outputIndex', 'framing'] as const) {
          const value = given[key];
          if (value !== undefined && JSON.stringify(value) !== JSON.stringify(parameters[key]))
            context.addIssue({
              code: 'custom',
              path: [key],
              message: `this method is bound to ${key} ${JSON.stringify(parameters[key])}; register another method (createEmbeddingExtractionMethod with its own name) for another model or framing`,
            });
        }
      })
      .transform(() => parameters) as unknown as z.ZodType<EmbeddingParameters>,
    resolveParameters(_: EmbeddingParameters, context: { readonly sampleRate: number }): EmbeddingParameters {
      if (context.sampleRate !== framing.sampleRate)
        throw new ConfigError({
          configPath: 'sampleRate',
          value: context.sampleRate,
          message: `the embedding model expects ${framing.sampleRate} Hz audio; set the spec's sampleRate to ${framing.sampleRate}.`,
        });
      return parameters;
    },
    minimumSamples: () => minimumFramingSamples(framing),
    extract(signal: Float32Array): FeatureMatrix {
      const examples = frameSignal(signal, framing);
      const count = examples.shape[0] as number;
      return tidy(() => {
        const result = model.predict(tensor(examples.data, [count, ...inputShape]));
        const outputs = Array.isArray(result) ? result : 'rank' in result ? [result as Tensor] : Object.values(result);
        const output = outputs[outputIndex];
        if (!output)
          throw new ShapeMismatchError({
            expected: `output ${outputIndex}`,
            actual: `${outputs.length} outputs`,
            message: `${modelPath} returns ${outputs.length} output(s); outputIndex ${outputIndex} does not exist.`,
          });
        const size = output.shape.slice(1).reduce((product, value) => product * value, 1);
        return { data: new Float32Array(output.dataSync()), shape: [count, size] };
      });
    },
  });
}
