import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeWav } from '@polytask/extraction';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav, writeWavFile } from './write-wav-file';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-wav-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeWavFile', () => {
  const left = Float32Array.from({ length: 300 }, (_, index) => Math.sin(index / 5) * 0.8);
  const right = Float32Array.from({ length: 300 }, (_, index) => (index % 7) / 7 - 0.5);

  it.each([16, 24] as const)('round-trips %i-bit stereo through the decoder, within half a quantisation step', (bitDepth) => {
    const file = path.join(root, `nested/${bitDepth}.wav`);
    writeWavFile({ file, sampleRate: 44100, channels: [left, right], bitDepth });
    const decoded = decodeWav(new Uint8Array(readFileSync(file)));
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channels).toHaveLength(2);
    const halfStep = 1 / 2 ** bitDepth;
    for (const [channel, expected] of [left, right].entries()) {
      const actual = decoded.channels[channel] as Float32Array;
      expect(actual).toHaveLength(300);
      expect(Math.max(...actual.map((value, index) => Math.abs(value - (expected[index] as number))))).toBeLessThanOrEqual(halfStep * 1.01);
    }
  });

  it('clips samples beyond [-1, 1] and writes the 44-byte canonical header', () => {
    const bytes = encodeWav({ sampleRate: 8000, channels: [Float32Array.of(2, -2, 0)] });
    expect(bytes).toHaveLength(44 + 6);
    expect(Array.from(decodeWav(bytes).channels[0] ?? [], (value) => Math.round(value * 1000) / 1000)).toEqual([1, -1, 0]);
  });

  it('rejects no channels, channels of different lengths and a bad sample rate', () => {
    expect(() => encodeWav({ sampleRate: 8000, channels: [] })).toThrow(/at least one array/);
    expect(() => encodeWav({ sampleRate: 8000, channels: [new Float32Array(3), new Float32Array(2)] })).toThrow(/lengths \[3, 2\]/);
    expect(() => encodeWav({ sampleRate: 0, channels: [new Float32Array(3)] })).toThrow(/sampleRate must be a positive integer/);
  });
});
