/**
 * Learnable stand-ins for real recordings in fixture corpora. Each label of a task sounds as its
 * own tone: at its own pitch, mel-spaced within a band below 4 kHz, so every extraction down to
 * 8 kHz separates the labels by position (what dense models see), and with its own texture (pure,
 * narrow or wide band of partials, steady or pulsing), which models that pool over frequency and
 * time, such as CNNs with a global-average readout, see. Tasks sharing a clip use separate bands.
 * Tones sit over quiet noise, with small seeded variations in pitch, level and phase between clips.
 */
import { createRandom, InvalidArgumentError } from '@polytask/core';

/** Options of {@link fixtureLabelTone}. */
export interface FixtureLabelToneOptions {
  /** The label's position among the labels that share the band (0-based). */
  readonly index: number;
  /** How many labels share the band. */
  readonly count: number;
  /** Lowest frequency of the band in Hz. @default 200 */
  readonly lowest?: number;
  /** Highest frequency of the band in Hz (below the 4 kHz Nyquist frequency of 8 kHz extraction). @default 3400 */
  readonly highest?: number;
}

const toMel = (hertz: number) => 2595 * Math.log10(1 + hertz / 700);
const fromMel = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/** Textures that labels cycle through: pure, wide band, pulsing, narrow band. */
const textures = [
  { bandwidth: 0, modulationRate: 0 },
  { bandwidth: 0.3, modulationRate: 0 },
  { bandwidth: 0, modulationRate: 10 },
  { bandwidth: 0.1, modulationRate: 0 },
] as const;

/**
 * The tone of label `index` of `count` in a band: mel-spaced pitches from `lowest` to `highest`
 * (one label: the middle), and textures cycling through pure, wide band, pulsing and narrow band.
 * @throws InvalidArgumentError when `index` is not in 0..count-1 or the band is empty.
 * @example synthesizeFixtureSound({ sampleRate: 16000, seconds: 1, tones: [fixtureLabelTone({ index: 2, count: 8 })], seed: 1 })
 */
export function fixtureLabelTone(options: FixtureLabelToneOptions): FixtureTone {
  const { index, count } = options;
  const lowest = options.lowest ?? 200;
  const highest = options.highest ?? 3400;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count))
    throw new InvalidArgumentError({
      argument: 'index',
      value: index,
      message: `index must be an integer in 0..${count - 1}; got ${index}.`,
    });
  if (!(lowest > 0 && highest > lowest))
    throw new InvalidArgumentError({
      argument: 'lowest',
      value: [lowest, highest],
      message: `The band needs 0 < lowest < highest; got ${lowest}-${highest} Hz.`,
    });
  const position = count === 1 ? 0.5 : index / (count - 1);
  return { frequency: fromMel(toMel(lowest) + position * (toMel(highest) - toMel(lowest))), ...textures[index % textures.length] };
}

/** One tone of a fixture sound. */
export interface FixtureTone {
  /** Frequency in Hz (varied by up to ±1.5% per clip). */
  readonly frequency: number;
  /** Width of a band of partials around `frequency`, as a fraction of it (0.2: from 0.9 to 1.1 times it); 0 for a pure tone. @default 0 */
  readonly bandwidth?: number;
  /** Rate in Hz at which the tone pulses on and off; 0 for a steady tone. @default 0 */
  readonly modulationRate?: number;
  /** Start in seconds. @default 0 */
  readonly onset?: number;
  /** End in seconds. @default the end of the sound */
  readonly offset?: number;
  /** Peak level in [0, 1] (varied by up to ±20% per clip). @default 0.25 */
  readonly amplitude?: number;
}

/** Options of {@link synthesizeFixtureSound}. */
export interface FixtureSoundOptions {
  /** Frames per second. */
  readonly sampleRate: number;
  /** Length in seconds. */
  readonly seconds: number;
  /** The tones that sound: one per label the clip carries. */
  readonly tones: readonly FixtureTone[];
  /** Seeds the noise and the per-clip variations. */
  readonly seed: number;
  /** Level of the white background noise. @default 0.01 */
  readonly noiseLevel?: number;
  /** Channels to return (the same tones, each channel its own noise). @default 1 */
  readonly channelCount?: number;
}

/**
 * Synthesizes a fixture clip: the tones (with 10 ms fades) over white noise, one array per channel.
 * @example synthesizeFixtureSound({ sampleRate: 16000, seconds: 1, tones: [{ frequency: 440 }], seed: 7 })
 */
export function synthesizeFixtureSound(options: FixtureSoundOptions): Float32Array[] {
  const { sampleRate, tones } = options;
  const random = createRandom(options.seed);
  const frameCount = Math.max(1, Math.round(options.seconds * sampleRate));
  const noiseLevel = options.noiseLevel ?? 0.01;
  const fade = Math.max(1, Math.round(0.01 * sampleRate));
  const signal = new Float32Array(frameCount);
  for (const tone of tones) {
    const frequency = tone.frequency * (1 + (random() - 0.5) * 0.03);
    const amplitude = (tone.amplitude ?? 0.25) * (1 + (random() - 0.5) * 0.4);
    const bandwidth = tone.bandwidth ?? 0;
    // a band: 16 partials evenly spread over it, each with its own phase
    const partialCount = bandwidth > 0 ? 16 : 1;
    const level = amplitude / Math.sqrt(partialCount);
    const modulationRate = tone.modulationRate ?? 0;
    const first = Math.max(0, Math.round((tone.onset ?? 0) * sampleRate));
    const end = Math.min(frameCount, Math.round((tone.offset ?? options.seconds) * sampleRate));
    const sum = new Float64Array(Math.max(0, end - first));
    for (let partial = 0; partial < partialCount; partial++) {
      const partialFrequency = frequency * (1 + (partialCount === 1 ? 0 : bandwidth * (partial / (partialCount - 1) - 0.5)));
      // a rotating phasor instead of a sine per sample: (real, imaginary) turns by `step` each frame
      const step = (2 * Math.PI * partialFrequency) / sampleRate;
      const [stepReal, stepImaginary] = [Math.cos(step), Math.sin(step)];
      const phase = random() * 2 * Math.PI;
      let real = Math.cos(phase);
      let imaginary = Math.sin(phase);
      for (let index = 0; index < sum.length; index++) {
        sum[index] = (sum[index] as number) + imaginary;
        const turned = real * stepReal - imaginary * stepImaginary;
        imaginary = real * stepImaginary + imaginary * stepReal;
        real = turned;
      }
    }
    for (let index = 0; index < sum.length; index++) {
      const envelope = Math.min(1, (index + 1) / fade, (sum.length - index) / fade);
      // pulsing: full-depth raised-cosine amplitude modulation, silent at the start of each period
      const pulse = modulationRate > 0 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * modulationRate * index) / sampleRate) : 1;
      signal[first + index] = (signal[first + index] as number) + level * envelope * pulse * (sum[index] as number);
    }
  }
  return Array.from({ length: options.channelCount ?? 1 }, () =>
    Float32Array.from(signal, (value) => value + noiseLevel * 2 * (random() - 0.5)),
  );
}
