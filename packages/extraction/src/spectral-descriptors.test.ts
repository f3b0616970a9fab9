import { describe, expect, it } from 'vitest';
import { spectralDescriptorFrames } from './spectral-descriptors';

const sampleRate = 16000;
const tone = (frequency: number, length = 4096) =>
  Float32Array.from({ length }, (_, index) => Math.sin((2 * Math.PI * frequency * index) / sampleRate));

describe('spectralDescriptorFrames (Meyda)', () => {
  it('puts the centroid of a pure tone at its frequency in Hz and its zero crossings at 2f per second', () => {
    const features = spectralDescriptorFrames(tone(1000), {
      sampleRate,
      frameSize: 512,
      hopLength: 256,
      descriptors: ['spectralCentroid', 'zcr', 'rms'],
    });
    expect(features.shape).toEqual([15, 3]);
    const [centroid = 0, zeroCrossings = 0, rms = 0] = features.data.subarray(3 * 5, 3 * 6);
    expect(centroid).toBeGreaterThan(950);
    expect(centroid).toBeLessThan(1050);
    expect(zeroCrossings).toBeCloseTo((2 * 1000 * 512) / sampleRate, -1);
    // RMS of the Hann-windowed frame: sqrt(1/2 · 3/8)
    expect(rms).toBeCloseTo(Math.sqrt(3 / 16), 2);
  });

  it('orders higher tones higher and flattens noise', () => {
    const low = spectralDescriptorFrames(tone(500), { sampleRate, descriptors: ['spectralCentroid', 'spectralFlatness'] });
    const high = spectralDescriptorFrames(tone(3000), { sampleRate, descriptors: ['spectralCentroid', 'spectralFlatness'] });
    let seed = 1;
    const noise = Float32Array.from({ length: 4096 }, () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    });
    const flat = spectralDescriptorFrames(noise, { sampleRate, descriptors: ['spectralCentroid', 'spectralFlatness'] });
    expect(high.data[0]).toBeGreaterThan((low.data[0] as number) * 3);
    expect(flat.data[1]).toBeGreaterThan((low.data[1] as number) * 100);
  });

  it('gives chroma 12 columns peaking at the pitch class of A440', () => {
    const features = spectralDescriptorFrames(tone(440), { sampleRate, frameSize: 2048, descriptors: ['chroma'] });
    expect(features.shape[1]).toBe(12);
    const row = Array.from(features.data.subarray(12, 24));
    expect(row.indexOf(Math.max(...row))).toBe(9);
  });

  it("rebuilds Meyda's cached filter banks when the frame size changes", () => {
    const first = spectralDescriptorFrames(tone(440), { sampleRate, frameSize: 2048, descriptors: ['chroma'] });
    spectralDescriptorFrames(tone(440), { sampleRate, frameSize: 512, descriptors: ['chroma'] });
    const again = spectralDescriptorFrames(tone(440), { sampleRate, frameSize: 2048, descriptors: ['chroma'] });
    expect(Array.from(again.data)).toEqual(Array.from(first.data));
    expect(again.data.every(Number.isFinite)).toBe(true);
  });

  it('pads a signal shorter than one frame into one frame, and validates options', () => {
    expect(spectralDescriptorFrames(tone(1000, 100), { sampleRate }).shape).toEqual([1, 5]);
    expect(() => spectralDescriptorFrames(tone(1000), { sampleRate, frameSize: 1000 })).toThrow(/power-of-two frameSize/);
    expect(() => spectralDescriptorFrames(tone(1000), { sampleRate, descriptors: ['mfcc' as never] })).toThrow(/Unknown descriptor "mfcc"/);
  });
});
