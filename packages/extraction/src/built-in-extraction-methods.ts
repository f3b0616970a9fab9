/**
 * The extraction methods Polytask ships: librosa-exact spectrogram, mel, log-mel and MFCC,
 * python_speech_features-style filterbanks and the thesis's logbank summary, and Meyda's
 * spectral descriptors. Parameter names follow the feature functions' options.
 */
import { z } from 'zod';
import type { AnyExtractionMethod, ExtractionRegistry } from './extraction-method';
import { createExtractionRegistry } from './extraction-method';
import { filterbankEnergies, logFilterbankEnergies } from './filterbank';
import { defaultSummaryStatistics, logbankSummary, summaryStatistics } from './logbank-summary';
import { logMelSpectrogram, melSpectrogram } from './mel-spectrogram';
import { mfcc } from './mfcc';
import { spectralDescriptorFrames, spectralDescriptors } from './spectral-descriptors';
import { spectrogram } from './spectrogram';
import { windowNames } from './window';

const positiveInteger = z.number().int().positive();

const stftShape = {
  fftSize: positiveInteger.default(2048),
  hopLength: positiveInteger.optional(),
  windowLength: positiveInteger.optional(),
  window: z.enum(windowNames as [string, ...string[]]).default('hann'),
  center: z.boolean().default(true),
  padMode: z.enum(['constant', 'reflect', 'edge']).default('constant'),
  power: z.number().positive().default(2),
  fft: z.enum(['float64', 'pffft']).default('float64'),
};

const melShape = {
  ...stftShape,
  melBandCount: positiveInteger.default(128),
  minimumFrequency: z.number().nonnegative().default(0),
  maximumFrequency: z.number().positive().optional(),
  htk: z.boolean().default(false),
  norm: z.enum(['slaney']).nullable().default('slaney'),
};

const compression = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('decibels'),
      reference: z.union([z.number().positive(), z.literal('max')]).default(1),
      minimumPower: z.number().positive().default(1e-10),
      topDecibels: z.number().nonnegative().nullable().default(80),
    }),
    z.strictObject({ kind: z.literal('natural'), offset: z.number().nonnegative().default(1e-6) }),
  ])
  .default({ kind: 'decibels', reference: 1, minimumPower: 1e-10, topDecibels: 80 });

const filterbankShape = {
  windowDuration: z.number().positive().default(0.025),
  stepDuration: z.number().positive().default(0.01),
  filterCount: positiveInteger.default(26),
  fftSize: positiveInteger.default(512),
  minimumFrequency: z.number().nonnegative().default(0),
  maximumFrequency: z.number().positive().optional(),
  preemphasis: z.number().min(0).max(1).default(0.97),
  window: z.enum(windowNames as [string, ...string[]]).default('rectangular'),
};

type StftParameters = {
  fftSize: number;
  hopLength?: number | undefined;
  windowLength?: number | undefined;
  maximumFrequency?: number | undefined;
};

function resolveStft<Parameters extends StftParameters>(parameters: Parameters, { sampleRate }: { sampleRate: number }): Parameters {
  const windowLength = parameters.windowLength ?? parameters.fftSize;
  if (windowLength > parameters.fftSize) throw new Error(`windowLength (${windowLength}) must not exceed fftSize (${parameters.fftSize}).`);
  const resolved = { ...parameters, windowLength, hopLength: parameters.hopLength ?? Math.floor(windowLength / 4) };
  if ('melBandCount' in parameters || 'maximumFrequency' in parameters)
    resolved.maximumFrequency = parameters.maximumFrequency ?? sampleRate / 2;
  if ((resolved.maximumFrequency ?? 0) > sampleRate / 2)
    throw new Error(`maximumFrequency (${resolved.maximumFrequency}) exceeds the Nyquist frequency ${sampleRate / 2} Hz.`);
  return resolved;
}

/** Leaves out parameters without effect (padding without centring), so they do not change the cache key. */
function withoutIneffective<Parameters extends { center?: boolean; padMode?: string }>(parameters: Parameters): Parameters {
  if (parameters.center !== false) return parameters;
  const { padMode: _padMode, ...effective } = parameters;
  return effective as Parameters;
}

/** A centred STFT needs half a window of signal (the rest is padding); an uncentred one a whole window. */
function stftMinimumSamples(parameters: { windowLength?: number | undefined; fftSize: number; center?: boolean | undefined }): number {
  const windowLength = parameters.windowLength ?? parameters.fftSize;
  return parameters.center === false ? windowLength : Math.floor(windowLength / 2);
}

/** One filterbank window of signal. */
function filterbankMinimumSamples(parameters: { windowDuration: number }, { sampleRate }: { sampleRate: number }): number {
  return Math.round(parameters.windowDuration * sampleRate);
}

function resolveFilterbank<Parameters extends { maximumFrequency?: number | undefined }>(
  parameters: Parameters,
  { sampleRate }: { sampleRate: number },
): Parameters {
  const maximumFrequency = parameters.maximumFrequency ?? sampleRate / 2;
  if (maximumFrequency > sampleRate / 2)
    throw new Error(`maximumFrequency (${maximumFrequency}) exceeds the Nyquist frequency ${sampleRate / 2} Hz.`);
  return { ...parameters, maximumFrequency };
}

type AnyMethod = AnyExtractionMethod;

/** The parameters plus the spec's sample rate, as the feature functions take them. */
const withRate = (parameters: object, sampleRate: number): never => ({ ...parameters, sampleRate }) as never;

function method<Shape extends z.ZodRawShape>(definition: {
  name: string;
  description: string;
  version?: number;
  shape: Shape;
  resolve?: (parameters: z.output<z.ZodObject<Shape>>, context: { sampleRate: number }) => z.output<z.ZodObject<Shape>>;
  minimumSamples?: (parameters: z.output<z.ZodObject<Shape>>, context: { sampleRate: number }) => number;
  extract: (signal: Float32Array, sampleRate: number, parameters: z.output<z.ZodObject<Shape>>) => ReturnType<AnyMethod['extract']>;
}): AnyMethod {
  return {
    specificationVersion: 'v1',
    name: definition.name,
    description: definition.description,
    version: definition.version ?? 1,
    parameters: z.strictObject(definition.shape),
    ...(definition.resolve ? { resolveParameters: definition.resolve } : {}),
    ...(definition.minimumSamples ? { minimumSamples: definition.minimumSamples } : {}),
    extract: (signal, { sampleRate, parameters }) => definition.extract(signal, sampleRate, parameters),
  };
}

/** The built-in methods, by name: spectrogram, mel-spectrogram, log-mel, mfcc, filterbank, log-filterbank, logbank-summary, spectral-descriptors. */
export const builtInExtractionMethods: readonly AnyMethod[] = Object.freeze([
  method({
    name: 'spectrogram',
    description: 'STFT magnitude (power 1) or power (power 2) spectrogram, librosa conventions, [frames, fftSize/2+1].',
    shape: stftShape,
    resolve: (parameters, context) => withoutIneffective(resolveStft(parameters, context)),
    minimumSamples: stftMinimumSamples,
    extract: (signal, _, parameters) => spectrogram(signal, parameters as never),
  }),
  method({
    name: 'mel-spectrogram',
    description: 'Mel power spectrogram as librosa.feature.melspectrogram, [frames, melBands].',
    shape: melShape,
    resolve: (parameters, context) => withoutIneffective(resolveStft(parameters, context)),
    minimumSamples: stftMinimumSamples,
    extract: (signal, sampleRate, parameters) => melSpectrogram(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'log-mel',
    description: 'Log-mel spectrogram: librosa mel power in dB (power_to_db) or log(x + offset), [frames, melBands].',
    shape: { ...melShape, compression },
    resolve: (parameters, context) => withoutIneffective(resolveStft(parameters, context)),
    minimumSamples: stftMinimumSamples,
    extract: (signal, sampleRate, parameters) => logMelSpectrogram(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'mfcc',
    description: 'MFCC as librosa.feature.mfcc (DCT of the dB mel spectrogram), optional lifter and deltas, [frames, coefficients].',
    shape: {
      ...melShape,
      compression,
      coefficientCount: positiveInteger.default(20),
      dctType: z.union([z.literal(2), z.literal(3)]).default(2),
      dctNorm: z.enum(['ortho']).nullable().default('ortho'),
      lifter: z.number().nonnegative().default(0),
      deltaOrder: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
      deltaWidth: positiveInteger.default(9),
    },
    resolve: (parameters, context) => {
      const resolved = withoutIneffective(resolveStft(parameters, context));
      if (resolved.deltaOrder !== 0) return resolved;
      // without deltas the delta width has no effect
      const { deltaWidth: _deltaWidth, ...effective } = resolved;
      return effective as typeof resolved;
    },
    minimumSamples: stftMinimumSamples,
    extract: (signal, sampleRate, parameters) => mfcc(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'filterbank',
    description: 'Linear filterbank energies as python_speech_features fbank, [frames, filters].',
    shape: filterbankShape,
    resolve: resolveFilterbank,
    minimumSamples: filterbankMinimumSamples,
    extract: (signal, sampleRate, parameters) => filterbankEnergies(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'log-filterbank',
    description: 'Log filterbank energies as python_speech_features logfbank, [frames, filters].',
    shape: filterbankShape,
    resolve: resolveFilterbank,
    minimumSamples: filterbankMinimumSamples,
    extract: (signal, sampleRate, parameters) => logFilterbankEnergies(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'logbank-summary',
    description: 'Statistics of each log filterbank band over time (the thesis DNN input), [statistics, filters].',
    shape: {
      ...filterbankShape,
      filterCount: positiveInteger.default(24),
      windowDuration: z.number().positive().default(0.03),
      statistics: z
        .array(z.enum(summaryStatistics as [string, ...string[]]))
        .min(1)
        .default([...defaultSummaryStatistics]),
    },
    resolve: resolveFilterbank,
    minimumSamples: filterbankMinimumSamples,
    extract: (signal, sampleRate, parameters) => logbankSummary(signal, withRate(parameters, sampleRate)),
  }),
  method({
    name: 'spectral-descriptors',
    description: "Meyda's per-frame spectral descriptors (centroid, flatness, rolloff, ZCR, RMS, chroma, ...), [frames, columns].",
    shape: {
      frameSize: positiveInteger.default(1024),
      hopLength: positiveInteger.optional(),
      window: z.enum(['hanning', 'hamming', 'blackman', 'sine', 'rect']).default('hanning'),
      descriptors: z
        .array(z.enum(spectralDescriptors as [string, ...string[]]))
        .min(1)
        .default(['spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'zcr', 'rms']),
    },
    resolve: (parameters) => {
      if ((parameters.frameSize & (parameters.frameSize - 1)) !== 0)
        throw new Error(`frameSize must be a power of two for Meyda, got ${parameters.frameSize}.`);
      return { ...parameters, hopLength: parameters.hopLength ?? parameters.frameSize / 2 };
    },
    minimumSamples: (parameters) => parameters.hopLength ?? parameters.frameSize / 2,
    extract: (signal, sampleRate, parameters) => spectralDescriptorFrames(signal, withRate(parameters, sampleRate)),
  }),
]);

/**
 * A registry preloaded with the built-in methods; register your own on it.
 * @example const registry = createDefaultExtractionRegistry(); registry.register(myMethod);
 */
export function createDefaultExtractionRegistry(): ExtractionRegistry {
  return createExtractionRegistry(builtInExtractionMethods);
}
