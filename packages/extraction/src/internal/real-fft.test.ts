import { describe, expect, it } from 'vitest';
import { realFft } from './real-fft';

function naiveDft(frame: Float64Array) {
  const size = frame.length;
  const bins = Math.floor(size / 2) + 1;
  const real = new Float64Array(bins);
  const imaginary = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < size; n++) {
      real[k] = (real[k] as number) + (frame[n] as number) * Math.cos((2 * Math.PI * k * n) / size);
      imaginary[k] = (imaginary[k] as number) - (frame[n] as number) * Math.sin((2 * Math.PI * k * n) / size);
    }
  }
  return { real, imaginary };
}

describe('realFft', () => {
  it.each([2, 3, 4, 8, 64, 400, 320, 1024, 257])('matches a direct DFT for n = %i', (size) => {
    const frame = Float64Array.from({ length: size }, (_, index) => Math.sin(index * 0.37) + ((index * 7919) % 13) / 13 - 0.5);
    const copy = frame.slice();
    const fft = realFft(size);
    const real = new Float64Array(fft.binCount);
    const imaginary = new Float64Array(fft.binCount);
    fft.transform(frame, real, imaginary);
    const expected = naiveDft(frame);
    for (let k = 0; k < fft.binCount; k++) {
      expect(real[k]).toBeCloseTo(expected.real[k] as number, 9);
      expect(imaginary[k]).toBeCloseTo(expected.imaginary[k] as number, 9);
    }
    expect(frame).toEqual(copy);
  });
});
