import { logMelSpectrogram } from '@polytask/extraction';
import { describe, expect, it } from 'vitest';
import { fixtureLabelTone, synthesizeFixtureSound } from './fixture-sound';

/** The log-mel spectrogram at 8 kHz with 24 bands, as rows of frames. */
function melFrames(signal: Float32Array): number[][] {
  const { data, shape } = logMelSpectrogram(signal, { sampleRate: 8000, fftSize: 256, hopLength: 128, melBandCount: 24 });
  const [frames, bands] = shape as [number, number];
  return Array.from({ length: frames }, (_, frame) => Array.from(data.subarray(frame * bands, (frame + 1) * bands)));
}

/** The mel band with the most energy on average over the frames. */
function loudestBand(signal: Float32Array): number {
  const frames = melFrames(signal);
  const totals = (frames[0] as number[]).map((_, band) => frames.reduce((total, frame) => total + (frame[band] as number), 0));
  return totals.indexOf(Math.max(...totals));
}

const sound = (tone: ReturnType<typeof fixtureLabelTone>, seed: number) =>
  synthesizeFixtureSound({ sampleRate: 8000, seconds: 0.5, tones: [tone], seed })[0] as Float32Array;

describe('fixtureLabelTone', () => {
  it('spaces labels on the mel scale from the lowest to the highest frequency, cycling through four textures', () => {
    const tones = Array.from({ length: 5 }, (_, index) => fixtureLabelTone({ index, count: 5, lowest: 200, highest: 3400 }));
    expect(tones[0]?.frequency).toBeCloseTo(200, 6);
    expect(tones[4]?.frequency).toBeCloseTo(3400, 6);
    const gaps = tones.slice(1).map((tone, index) => tone.frequency - (tones[index]?.frequency as number));
    expect(gaps.every((gap, index) => index === 0 || gap > (gaps[index - 1] as number))).toBe(true);
    expect(tones.map(({ bandwidth, modulationRate }) => [bandwidth, modulationRate])).toEqual([
      [0, 0],
      [0.3, 0],
      [0, 10],
      [0.1, 0],
      [0, 0],
    ]);
    expect(fixtureLabelTone({ index: 0, count: 1, lowest: 1000, highest: 2000 }).frequency).toBeGreaterThan(1000);
  });

  it('rejects an index outside the labels and an empty band', () => {
    expect(() => fixtureLabelTone({ index: 3, count: 3 })).toThrow(/index must be an integer in 0\.\.2; got 3/);
    expect(() => fixtureLabelTone({ index: 0, count: 2, lowest: 500, highest: 400 })).toThrow(/0 < lowest < highest/);
  });
});

describe('synthesizeFixtureSound', () => {
  it('gives every label of a task its own loudest band at 8 kHz, clip after clip (learnable by position)', () => {
    const count = 8;
    for (const seed of [1, 2]) {
      const bands = Array.from({ length: count }, (_, index) => loudestBand(sound(fixtureLabelTone({ index, count }), seed * 100 + index)));
      expect(new Set(bands).size).toBe(count);
      expect([...bands].sort((first, second) => first - second)).toEqual(bands);
    }
  });

  it('gives textures that differ wherever they sit: wide bands spread over more bands, pulses vary over time (learnable by texture)', () => {
    const spread = (signal: Float32Array) => {
      const frames = melFrames(signal);
      const totals = (frames[0] as number[]).map(
        (_, band) => frames.reduce((total, frame) => total + (frame[band] as number), 0) / frames.length,
      );
      return totals.filter((total) => total > Math.max(...totals) - 10).length;
    };
    const variation = (signal: Float32Array) => {
      const loudness = melFrames(signal).map((frame) => Math.max(...frame));
      return Math.max(...loudness) - Math.min(...loudness);
    };
    for (const frequency of [600, 1800]) {
      const [pure, wide, pulsing] = [0, 0.3, 0].map((bandwidth, index) =>
        sound({ frequency, bandwidth, modulationRate: index === 2 ? 10 : 0 }, frequency + index),
      ) as [Float32Array, Float32Array, Float32Array];
      expect(spread(wide)).toBeGreaterThan(spread(pure) + 1);
      expect(variation(pulsing)).toBeGreaterThan(variation(pure) + 20);
    }
  });

  it('is the same for the same seed, sounds tones only between onset and offset, and gives each channel its own noise', () => {
    const options = { sampleRate: 1000, seconds: 1, tones: [{ frequency: 50, onset: 0.5, offset: 0.8, amplitude: 0.5 }], seed: 3 };
    expect(synthesizeFixtureSound(options)).toEqual(synthesizeFixtureSound(options));
    const [left, right] = synthesizeFixtureSound({ ...options, channelCount: 2 }) as [Float32Array, Float32Array];
    const peak = (from: number, to: number) => Math.max(...left.slice(from, to).map(Math.abs));
    expect(peak(0, 500)).toBeLessThanOrEqual(0.01);
    expect(peak(520, 780)).toBeGreaterThan(0.3);
    expect(peak(800, 1000)).toBeLessThanOrEqual(0.01);
    expect(left).not.toEqual(right);
  });
});
