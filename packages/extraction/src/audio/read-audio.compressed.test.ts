/**
 * Compressed formats through the optional audio-decode package. Fixtures in
 * src/__fixtures__ were encoded once from tone.wav (440 + 1320 Hz, 0.25 s, 16 kHz) with
 * flac, oggenc, lame and opusenc (the Opus file at 48 kHz, as Opus requires).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { golden } from '../__fixtures__/load-golden';
import { readAudioFile } from './read-audio';

const fixture = (name: string) => fileURLToPath(new URL(`../__fixtures__/${name}`, import.meta.url));

function correlationAtBestLag(signal: Float32Array, reference: Float32Array, maximumLag: number): number {
  let best = -1;
  for (let lag = 0; lag <= maximumLag; lag++) {
    let product = 0;
    let signalEnergy = 0;
    let referenceEnergy = 0;
    for (let index = 0; index + lag < signal.length && index < reference.length; index++) {
      const a = signal[index + lag] as number;
      const b = reference[index] as number;
      product += a * b;
      signalEnergy += a * a;
      referenceEnergy += b * b;
    }
    best = Math.max(best, product / Math.sqrt(signalEnergy * referenceEnergy));
  }
  return best;
}

describe('compressed audio through audio-decode', async () => {
  const reference = (await readAudioFile(fixture('tone.wav'))).channels[0] as Float32Array;

  it('decodes FLAC losslessly', async () => {
    const audio = await readAudioFile(fixture('tone.flac'));
    expect(audio.sampleRate).toBe(16000);
    const channel = audio.channels[0] as Float32Array;
    expect(channel).toHaveLength(reference.length);
    let worst = 0;
    for (let index = 0; index < reference.length; index++)
      worst = Math.max(worst, Math.abs((channel[index] as number) - (reference[index] as number)));
    expect(worst).toBeLessThanOrEqual(1 / 32768);
  });

  it.each([16, 24])('decodes %i-bit stereo FLAC to exactly the values soundfile reads (x / 2^(bits-1))', async (bits) => {
    const audio = await readAudioFile(fixture(`speech-${bits}.flac`));
    const expected = golden(`flac/speech-${bits}`);
    expect(audio.sampleRate).toBe(expected.entry.sampleRate);
    expect(audio.channels).toHaveLength(2);
    const [, length = 0] = expected.shape;
    audio.channels.forEach((channel, index) => {
      expect(channel).toEqual(expected.data.subarray(index * length, (index + 1) * length));
    });
    // the fixture holds both full-scale extremes: -1 and (2^15 - 1) / 2^15
    expect(audio.channels[0]?.[10]).toBe(-1);
    expect(audio.channels[0]?.[11]).toBe(32767 / 32768);
  });

  it.each([
    ['tone.ogg', 16000],
    ['tone.mp3', 16000],
  ])('decodes %s close to the original', async (name, sampleRate) => {
    const audio = await readAudioFile(fixture(name));
    expect(audio.sampleRate).toBe(sampleRate);
    expect(correlationAtBestLag(audio.channels[0] as Float32Array, reference, 2000)).toBeGreaterThan(0.95);
  });

  it('decodes Opus at 48 kHz', async () => {
    const audio = await readAudioFile(fixture('tone.opus'));
    expect(audio.sampleRate).toBe(48000);
    expect((audio.channels[0] as Float32Array).length).toBeGreaterThan(0.2 * 48000);
  });
});
