/**
 * Extraction methods as data. A spec `{ name, sampleRate, channelPolicy, resampling, params }`
 * names a registered method and its parameters; it is validated against the method's
 * schema (clear errors naming the path, the value and what is allowed), and its stable
 * hash keys the feature cache. Users add a method by implementing {@link ExtractionMethod}
 * and registering it.
 */
import { createHash } from 'node:crypto';
import { ConfigError, type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { z } from 'zod';
import { applyChannelPolicy, type DecodedAudio } from './audio/decoded-audio';
import { AudioDurationError } from './audio-duration-error';
import { loadFastFft } from './internal/fast-fft';
import { loadNativeStft } from './internal/native-stft';
import { type ResampleMethod, resample, resampleMethods } from './resample';

/** A feature extraction users can name in a spec. */
export interface ExtractionMethod<Parameters extends object = Record<string, unknown>> {
  /** Contract version of this interface. */
  readonly specificationVersion: 'v1';
  /** Name used in specs, kebab-case (`log-mel`). */
  readonly name: string;
  /** One line for `polytask datasets`/docs. */
  readonly description: string;
  /** Bumped whenever the method's output changes for the same parameters; part of the cache key. */
  readonly version: number;
  /** Validates parameters and fills in defaults. */
  readonly parameters: z.ZodType<Parameters>;
  /**
   * Fills defaults that depend on other values (e.g. hop from window length) and drops parameters
   * without effect (e.g. a delta width without deltas), so specs giving equal features hash equally.
   */
  readonly resolveParameters?: (parameters: Parameters, context: { readonly sampleRate: number }) => Parameters;
  /** Fewest samples (at the spec's rate) a clip needs for one meaningful analysis frame; shorter clips fail with AudioDurationError. @default 1 */
  readonly minimumSamples?: (parameters: Parameters, context: { readonly sampleRate: number }) => number;
  /** Computes the features of a mono signal at `sampleRate`. Must not modify `signal`. */
  extract(signal: Float32Array, context: { readonly sampleRate: number; readonly parameters: Parameters }): FeatureMatrix;
}

/** An extraction method of any parameter type, as registries store them. */
// biome-ignore lint/suspicious/noExplicitAny: each method narrows its own parameters; registries hold them uniformly
export type AnyExtractionMethod = ExtractionMethod<any>;

/** A validated, fully resolved extraction spec: everything that determines the features. */
export interface ExtractionSpec {
  /** Registered method name. */
  readonly name: string;
  /** Audio is resampled to this rate (Hz) before extraction. */
  readonly sampleRate: number;
  /** How channels are combined; `keep` stacks one feature matrix per channel (`[channels, ...]`). */
  readonly channelPolicy: 'mean' | 'first' | 'keep';
  /** Resampler used when the file's rate differs. */
  readonly resampling: ResampleMethod;
  /** The method's parameters with defaults applied. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The method's version, part of the cache key. */
  readonly methodVersion: number;
}

/** A spec as written by a user: defaults may be left out. */
export interface ExtractionSpecInput {
  readonly name: string;
  readonly sampleRate: number;
  readonly channelPolicy?: 'mean' | 'first' | 'keep';
  readonly resampling?: ResampleMethod;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** A set of extraction methods, looked up by name. */
export interface ExtractionRegistry {
  /** Adds a method; its name must be new. */
  register<Parameters extends object>(method: ExtractionMethod<Parameters>): void;
  /** The method of that name, or undefined. */
  get(name: string): AnyExtractionMethod | undefined;
  /** Registered names, sorted. */
  names(): string[];
  /**
   * Validates a spec; errors are ConfigErrors whose `configPath` starts at `pathPrefix`.
   * @example registry.parseSpec({ name: 'log-mel', sampleRate: 16000, params: { melBandCount: 64 } })
   */
  parseSpec(input: unknown, pathPrefix?: string): ExtractionSpec;
  /**
   * Decoded audio → features: channel policy, resampling to `spec.sampleRate`, then the method.
   * @throws AudioDurationError naming `options.source` when the clip is shorter than one analysis frame or longer than `options.maximumSeconds`.
   */
  extract(spec: ExtractionSpec, audio: DecodedAudio, options?: ExtractOptions): Promise<FeatureMatrix>;
}

/** Options of {@link ExtractionRegistry.extract}. */
export interface ExtractOptions {
  /** The file or item the audio comes from, named in errors. @default 'audio' */
  readonly source?: string;
  /** Longest clip accepted, in seconds. @default no limit */
  readonly maximumSeconds?: number;
}

const specShape = z.strictObject({
  name: z.string().min(1),
  sampleRate: z.number().int().min(1000).max(384000),
  channelPolicy: z.enum(['mean', 'first', 'keep']).default('mean'),
  resampling: z.enum(resampleMethods).default('polyphase'),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Present when a resolved spec is parsed again; the registered method's version replaces it. */
  methodVersion: z.number().int().optional(),
});

function issuesToConfigError(error: z.ZodError, pathPrefix: string, input: unknown): ConfigError {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const path = [pathPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown parameter(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new ConfigError({
    configPath: path || '(root)',
    value,
    message: `Invalid extraction spec at ${path || '(root)'}: ${message}; got ${JSON.stringify(value)}${more}.`,
    cause: error,
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Canonical JSON of a spec: sorted keys, undefined dropped. Two specs extract the same features iff these are equal. */
export function canonicalSpecJson(spec: ExtractionSpec): string {
  return JSON.stringify(sortKeys(spec));
}

/**
 * Stable 16-hex-digit hash of a resolved spec (method, version, every parameter, sample
 * rate, channel policy, resampler): the feature cache key.
 */
export function extractionSpecHash(spec: ExtractionSpec): string {
  return createHash('sha256').update(canonicalSpecJson(spec)).digest('hex').slice(0, 16);
}

/** Creates a registry holding `methods`. */
export function createExtractionRegistry(methods: readonly AnyExtractionMethod[] = []): ExtractionRegistry {
  const byName = new Map<string, AnyExtractionMethod>();
  const registry: ExtractionRegistry = {
    register(method) {
      if (!method || typeof method.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(method.name)) {
        throw new InvalidArgumentError({
          argument: 'method.name',
          value: method?.name,
          message: 'An extraction method needs a kebab-case name.',
        });
      }
      if (byName.has(method.name)) {
        throw new InvalidArgumentError({
          argument: 'method.name',
          value: method.name,
          message: `An extraction method named "${method.name}" is already registered.`,
        });
      }
      byName.set(method.name, method as AnyExtractionMethod);
    },
    get: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
    parseSpec(input, pathPrefix = '') {
      const parsed = specShape.safeParse(input);
      if (!parsed.success) throw issuesToConfigError(parsed.error, pathPrefix, input);
      const method = byName.get(parsed.data.name);
      if (!method) {
        const path = [pathPrefix, 'name'].filter(Boolean).join('.');
        throw new ConfigError({
          configPath: path,
          value: parsed.data.name,
          message: `Invalid extraction spec at ${path}: unknown method "${parsed.data.name}"; registered methods are ${registry.names().join(', ')}.`,
        });
      }
      const parameters = method.parameters.safeParse(parsed.data.params);
      if (!parameters.success)
        throw issuesToConfigError(parameters.error, [pathPrefix, 'params'].filter(Boolean).join('.'), parsed.data.params);
      let params = parameters.data as Record<string, unknown>;
      if (method.resolveParameters) {
        try {
          params = method.resolveParameters(params, { sampleRate: parsed.data.sampleRate });
        } catch (cause) {
          const path = [pathPrefix, 'params'].filter(Boolean).join('.');
          throw new ConfigError({
            configPath: path,
            value: parsed.data.params,
            message: `Invalid extraction spec at ${path}: ${(cause as Error).message}`,
            cause,
          });
        }
      }
      const { name, sampleRate, channelPolicy, resampling } = parsed.data;
      return Object.freeze({ name, sampleRate, channelPolicy, resampling, params: Object.freeze(params), methodVersion: method.version });
    },
    async extract(spec, audio, options = {}) {
      const method = byName.get(spec.name);
      if (!method)
        throw new InvalidArgumentError({
          argument: 'spec.name',
          value: spec.name,
          message: `No extraction method "${spec.name}" is registered.`,
        });
      const source = options.source ?? 'audio';
      const channels = applyChannelPolicy(audio, spec.channelPolicy);
      const seconds = (channels[0]?.length ?? 0) / audio.sampleRate;
      if (options.maximumSeconds !== undefined && seconds > options.maximumSeconds)
        throw new AudioDurationError({ source, seconds, limitSeconds: options.maximumSeconds, kind: 'too-long', method: spec.name });
      const minimumSamples = method.minimumSamples?.(spec.params, { sampleRate: spec.sampleRate }) ?? 1;
      if (seconds * spec.sampleRate < minimumSamples)
        throw new AudioDurationError({
          source,
          seconds,
          limitSeconds: minimumSamples / spec.sampleRate,
          kind: 'too-short',
          method: spec.name,
        });
      if (spec.params.fft === 'pffft') await loadFastFft();
      else await loadNativeStft();
      const matrices: FeatureMatrix[] = [];
      for (const channel of channels) {
        const signal =
          audio.sampleRate === spec.sampleRate
            ? channel
            : await resample(channel, { fromRate: audio.sampleRate, toRate: spec.sampleRate, method: spec.resampling });
        matrices.push(method.extract(signal, { sampleRate: spec.sampleRate, parameters: spec.params }));
      }
      if (spec.channelPolicy !== 'keep') return matrices[0] as FeatureMatrix;
      const first = matrices[0] as FeatureMatrix;
      const data = new Float32Array(first.data.length * matrices.length);
      for (const [index, matrix] of matrices.entries()) data.set(matrix.data, index * first.data.length);
      return { data, shape: [matrices.length, ...first.shape] };
    },
  };
  for (const method of methods) registry.register(method);
  return registry;
}
