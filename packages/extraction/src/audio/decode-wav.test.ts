import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFormatError, MissingFileError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { decodeWav } from './decode-wav';
import { applyChannelPolicy } from './decoded-audio';
import { decodeAudio, detectAudioContainer, readAudioFile } from './read-audio';

const frameCount = 257;
const ramp = (channel: number) => Array.from({ length: frameCount }, (_, index) => Math.sin(index * 0.05 + channel) * 0.9);

function encode(bitDepth: '8' | '16' | '24' | '32' | '32f' | '64', channelCount: number): { bytes: Uint8Array; expected: number[][] } {
  const scale = { '8': 128, '16': 32768, '24': 8388608, '32': 2147483648, '32f': 1, '64': 1 }[bitDepth];
  const expected: number[][] = [];
  const samples = Array.from({ length: channelCount }, (_, channel) => {
    const values = ramp(channel).map((value) => (scale === 1 ? value : Math.round(value * (scale - 1)) + (bitDepth === '8' ? 128 : 0)));
    expected.push(
      values.map((value) =>
        scale === 1 ? Math.fround(bitDepth === '64' ? value : Math.fround(value)) : (value - (bitDepth === '8' ? 128 : 0)) / scale,
      ),
    );
    return values;
  });
  const wave = new WaveFile();
  wave.fromScratch(channelCount, 16000, bitDepth, channelCount === 1 ? (samples[0] as number[]) : samples);
  const bytes = wave.toBuffer();
  // wavefile writes the 40-byte extensible fmt chunk for more than two channels but keeps the
  // plain format code; mark it WAVE_FORMAT_EXTENSIBLE so the sub-format GUID decides.
  // (wavefile also writes the PCM sub-format for float data: set the float GUID's first word.)
  if (channelCount > 2) {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint16(44, view.getUint16(20, true), true);
    view.setUint16(20, 0xfffe, true);
  }
  return { bytes, expected };
}

function withChunk(bytes: Uint8Array, mutate: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  mutate(new DataView(copy.buffer), copy);
  return copy;
}

function findChunk(bytes: Uint8Array, id: string): number {
  for (let offset = 12; offset < bytes.length - 4; offset++)
    if (String.fromCharCode(...bytes.subarray(offset, offset + 4)) === id) return offset;
  throw new Error(`no ${id} chunk`);
}

describe('decodeWav', () => {
  it.each([
    ['8', 1],
    ['16', 1],
    ['24', 2],
    ['32', 2],
    ['32f', 1],
    ['64', 2],
    ['16', 3],
    ['24', 4],
    ['32f', 6],
  ] as const)('decodes %s-bit audio with %i channel(s), scaled by 2^(bits-1)', (bitDepth, channelCount) => {
    const { bytes, expected } = encode(bitDepth, channelCount);
    if (channelCount > 2) expect(new DataView(bytes.buffer).getUint16(20, true)).toBe(0xfffe);
    const audio = decodeWav(bytes, { path: 'fixture.wav' });
    expect(audio.sampleRate).toBe(16000);
    expect(audio.channels).toHaveLength(channelCount);
    audio.channels.forEach((channel, index) => {
      expect(channel).toHaveLength(frameCount);
      const want = expected[index] as number[];
      for (let frame = 0; frame < frameCount; frame++) expect(channel[frame]).toBeCloseTo(want[frame] as number, 6);
    });
  });

  it('skips unknown chunks and odd-sized padding', () => {
    const { bytes, expected } = encode('16', 1);
    const extra = new Uint8Array([...new TextEncoder().encode('LIST'), 3, 0, 0, 0, 1, 2, 3, 0]);
    const withList = new Uint8Array(bytes.length + extra.length);
    withList.set(bytes.subarray(0, 36));
    withList.set(extra, 36);
    withList.set(bytes.subarray(36), 36 + extra.length);
    const audio = decodeWav(withList);
    expect(audio.channels[0]?.[10]).toBeCloseTo(expected[0]?.[10] as number, 6);
  });

  const valid = encode('16', 2).bytes;
  const dataOffset = findChunk(valid, 'data');
  const fmtOffset = findChunk(valid, 'fmt ');
  it.each([
    ['a file shorter than a header', valid.subarray(0, 8), /shorter than a RIFF header/],
    ['another format', new TextEncoder().encode('ID3\u0004 this is an mp3 really'), /not a WAV file/],
    ['a big-endian RIFX file', withChunk(valid, (_, b) => b.set(new TextEncoder().encode('RIFX'), 0)), /RIFX WAV files are not supported/],
    ['a truncated data chunk', valid.subarray(0, valid.length - 101), /truncated: the data chunk declares \d+ bytes but only \d+ remain/],
    [
      'data cut inside a frame',
      withChunk(valid, (view) => view.setUint32(dataOffset + 4, 1027, true)),
      /not a whole number of 4-byte frames/,
    ],
    ['zero-length data', withChunk(valid, (view) => view.setUint32(dataOffset + 4, 0, true)), /data chunk is empty/],
    ['no data chunk', valid.subarray(0, dataOffset), /no data chunk found/],
    ['no fmt chunk', withChunk(valid, (_, b) => b.set(new TextEncoder().encode('junk'), fmtOffset)), /no fmt chunk found/],
    [
      'an A-law file',
      (() => {
        const wave = new WaveFile();
        wave.fromScratch(1, 8000, '16', [1, 2, 3, 4]);
        wave.toALaw();
        return wave.toBuffer();
      })(),
      /unsupported encoding: format code 6 \(A-law\)/,
    ],
    ['12-bit PCM', withChunk(valid, (view) => view.setUint16(fmtOffset + 22, 12, true)), /unsupported encoding: 12-bit PCM/],
    ['zero channels', withChunk(valid, (view) => view.setUint16(fmtOffset + 10, 0, true)), /declares 0 channels/],
    [
      'a wrong block align',
      withChunk(valid, (view) => view.setUint16(fmtOffset + 20, 3, true)),
      /block align 3 should be 2 channels × 2 bytes/,
    ],
  ])('rejects %s with a DataFormatError naming the file', (_, bytes, message) => {
    const attempt = () => decodeWav(bytes, { path: 'clips/bad.wav' });
    expect(attempt).toThrow(DataFormatError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/^clips\/bad\.wav: /);
  });
});

describe('channel policies', () => {
  const audio = { sampleRate: 8000, channels: [Float32Array.from([1, 0.5, -1]), Float32Array.from([0, 0.5, 1])] };

  it('averages, takes the first, or keeps every channel, leaving the input untouched', () => {
    expect([...(applyChannelPolicy(audio, 'mean')[0] as Float32Array)]).toEqual([0.5, 0.5, 0]);
    expect(applyChannelPolicy(audio, 'first')).toEqual([audio.channels[0]]);
    expect(applyChannelPolicy(audio, 'keep')).toHaveLength(2);
    expect([...(audio.channels[0] as Float32Array)]).toEqual([1, 0.5, -1]);
  });

  it('rejects an unknown policy', () => {
    expect(() => applyChannelPolicy(audio, 'left' as never)).toThrow(/Unknown channel policy "left"/);
  });
});

describe('readAudioFile', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'polytask-audio-'));

  it('reads a WAV file from disk', async () => {
    const file = path.join(directory, 'ok.wav');
    writeFileSync(file, encode('24', 1).bytes);
    const audio = await readAudioFile(file);
    expect(audio.channels[0]).toHaveLength(frameCount);
  });

  it('names a missing file', async () => {
    const file = path.join(directory, 'missing.wav');
    await expect(readAudioFile(file)).rejects.toThrow(MissingFileError);
    await expect(readAudioFile(file)).rejects.toThrow(`${file}: no such audio file`);
  });

  it('names a file that is not audio at all', async () => {
    const file = path.join(directory, 'notes.txt');
    writeFileSync(file, 'hello');
    await expect(readAudioFile(file)).rejects.toThrow(/notes\.txt: not a recognised audio file/);
  });

  it('recognises containers by their first bytes', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(detectAudioContainer(bytes('fLaC....'))).toBe('flac');
    expect(detectAudioContainer(bytes('OggS....'))).toBe('ogg');
    expect(detectAudioContainer(bytes('FORM....AIFF'))).toBe('aiff');
    expect(detectAudioContainer(Uint8Array.from([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3');
    expect(detectAudioContainer(bytes('RIFF....WAVE'))).toBe('wav');
  });

  it('reports corrupt compressed audio as a DataFormatError', async () => {
    await expect(decodeAudio(new TextEncoder().encode('fLaC garbage that is not a stream'), 'broken.flac')).rejects.toThrow(
      DataFormatError,
    );
  });
});
