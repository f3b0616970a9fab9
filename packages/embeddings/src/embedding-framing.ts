/**
 * How audio is cut into the examples an embedding model takes: VGGish (16 kHz, 0.96 s
 * non-overlapping examples of 96 log-mel frames × 64 bands: 25 ms window, 10 ms hop, 125-7500 Hz,
 * log(mel + 0.01)), YAMNet (16 kHz waveform patches of 0.975 s every 0.48 s), or the user's own.
 */
import { type FeatureMatrix, InvalidArgumentError } from '@polytask/core';
import { melSpectrogram } from '@polytask/extraction';

/** The log-mel front end of a `log-mel` framing. */
export interface LogMelFrontEnd {
  /** STFT window in seconds. @default 0.025 */
  readonly windowSeconds?: number;
  /** STFT hop in seconds. @default 0.01 */
  readonly hopSeconds?: number;
  /** Mel bands. @default 64 */
  readonly melBandCount?: number;
  /** Lowest mel frequency (Hz). @default 125 */
  readonly minimumFrequency?: number;
  /** Highest mel frequency (Hz). @default 7500 */
  readonly maximumFrequency?: number;
  /** Offset in log(mel + offset). @default 0.01 */
  readonly logOffset?: number;
}

/** A custom framing: example length and hop, and what the model takes per example. */
export interface CustomFraming {
  /** Seconds of audio per example. */
  readonly frameSeconds: number;
  /** Seconds between example starts. */
  readonly hopSeconds: number;
  /** `waveform`: the samples, `[frameSamples]`; `log-mel`: `[melFrames, melBands]` from {@link LogMelFrontEnd}. */
  readonly input: 'waveform' | 'log-mel';
  /** Rate the model expects; the extraction spec's `sampleRate` must equal it. @default 16000 */
  readonly sampleRate?: number;
  /** The log-mel front end, for `input: 'log-mel'`. @default VGGish's */
  readonly logMel?: LogMelFrontEnd;
}

/** A named framing or a custom one. */
export type EmbeddingFraming = 'vggish' | 'yamnet' | CustomFraming;

/** A framing with every default applied and every length in samples or frames. */
export interface ResolvedFraming {
  /** What the model takes per example. */
  readonly input: 'waveform' | 'log-mel';
  /** Rate (Hz) the audio must have. */
  readonly sampleRate: number;
  /** Seconds of audio per example. */
  readonly frameSeconds: number;
  /** Seconds between example starts. */
  readonly hopSeconds: number;
  /** Per-example input shape the model must accept (after its batch axis). */
  readonly exampleShape: readonly number[];
  /** For `log-mel`: the front end, resolved. */
  readonly logMel?: Required<LogMelFrontEnd>;
}

const vggishLogMel: Required<LogMelFrontEnd> = Object.freeze({
  windowSeconds: 0.025,
  hopSeconds: 0.01,
  melBandCount: 64,
  minimumFrequency: 125,
  maximumFrequency: 7500,
  logOffset: 0.01,
});

/** Resolves a named or custom framing; checks that lengths are positive. */
export function resolveFraming(framing: EmbeddingFraming): ResolvedFraming {
  const custom: CustomFraming =
    framing === 'vggish'
      ? { frameSeconds: 0.96, hopSeconds: 0.96, input: 'log-mel' }
      : framing === 'yamnet'
        ? { frameSeconds: 0.975, hopSeconds: 0.48, input: 'waveform' }
        : framing;
  const sampleRate = custom.sampleRate ?? 16000;
  for (const [argument, value] of [
    ['framing.frameSeconds', custom.frameSeconds],
    ['framing.hopSeconds', custom.hopSeconds],
    ['framing.sampleRate', sampleRate],
  ] as const)
    if (!(typeof value === 'number' && value > 0))
      throw new InvalidArgumentError({ argument, value, message: `${argument} must be a positive number, got ${value}.` });
  if (custom.input === 'waveform') {
    return {
      input: 'waveform',
      sampleRate,
      frameSeconds: custom.frameSeconds,
      hopSeconds: custom.hopSeconds,
      exampleShape: [Math.round(custom.frameSeconds * sampleRate)],
    };
  }
  const logMel = { ...vggishLogMel, ...custom.logMel };
  const melFrames = Math.round(custom.frameSeconds / logMel.hopSeconds);
  return {
    input: 'log-mel',
    sampleRate,
    frameSeconds: custom.frameSeconds,
    hopSeconds: custom.hopSeconds,
    exampleShape: [melFrames, logMel.melBandCount],
    logMel,
  };
}

/** Fewest samples giving one whole example. */
export function minimumFramingSamples(framing: ResolvedFraming): number {
  if (framing.input === 'waveform') return framing.exampleShape[0] as number;
  const logMel = framing.logMel as Required<LogMelFrontEnd>;
  const windowLength = Math.round(logMel.windowSeconds * framing.sampleRate);
  const hopLength = Math.round(logMel.hopSeconds * framing.sampleRate);
  return windowLength + ((framing.exampleShape[0] as number) - 1) * hopLength;
}

/**
 * Cuts `signal` into examples `[examples, ...exampleShape]` (flat, row-major). Waveform examples start
 * every `hopSeconds`; log-mel examples take `frameSeconds` of frames every `hopSeconds` of frames
 * (VGGish: 96 frames, non-overlapping). Partial examples at the end are dropped, as VGGish does.
 */
export function frameSignal(signal: Float32Array, framing: ResolvedFraming): FeatureMatrix {
  if (framing.input === 'waveform') {
    const length = framing.exampleShape[0] as number;
    const hop = Math.max(1, Math.round(framing.hopSeconds * framing.sampleRate));
    const count = signal.length < length ? 0 : 1 + Math.floor((signal.length - length) / hop);
    const data = new Float32Array(count * length);
    for (let example = 0; example < count; example++) data.set(signal.subarray(example * hop, example * hop + length), example * length);
    return { data, shape: [count, length] };
  }
  const logMel = framing.logMel as Required<LogMelFrontEnd>;
  const windowLength = Math.round(logMel.windowSeconds * framing.sampleRate);
  const hopLength = Math.round(logMel.hopSeconds * framing.sampleRate);
  // VGGish: magnitude STFT (periodic Hann, FFT size the next power of two), HTK mel without normalisation
  const mel = melSpectrogram(signal, {
    sampleRate: framing.sampleRate,
    fftSize: 2 ** Math.ceil(Math.log2(windowLength)),
    windowLength,
    hopLength,
    window: 'hann',
    center: false,
    power: 1,
    melBandCount: logMel.melBandCount,
    minimumFrequency: logMel.minimumFrequency,
    maximumFrequency: logMel.maximumFrequency,
    htk: true,
    norm: null,
  });
  const [frames, bands] = mel.shape as [number, number];
  const exampleFrames = framing.exampleShape[0] as number;
  const hopFrames = Math.max(1, Math.round(framing.hopSeconds / logMel.hopSeconds));
  const count = frames < exampleFrames ? 0 : 1 + Math.floor((frames - exampleFrames) / hopFrames);
  const size = exampleFrames * bands;
  const data = new Float32Array(count * size);
  for (let example = 0; example < count; example++) {
    const start = example * hopFrames * bands;
    for (let index = 0; index < size; index++)
      data[example * size + index] = Math.log((mel.data[start + index] as number) + logMel.logOffset);
  }
  return { data, shape: [count, exampleFrames, bands] };
}
