/**
 * PCM WAV writing for fixture corpora: 16- or 24-bit integer samples, any channel count and
 * sample rate, so a fixture file has the format of the corpus it stands in for. No WAV library.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';

/** Options of {@link encodeWav}. */
export interface EncodeWavOptions {
  /** Frames per second. */
  readonly sampleRate: number;
  /** One array per channel, all of one length; samples in [-1, 1] (clipped beyond). */
  readonly channels: readonly Float32Array[];
  /** Bits per integer sample. @default 16 */
  readonly bitDepth?: 16 | 24;
}

/** Options of {@link writeWavFile}. */
export interface WriteWavFileOptions extends EncodeWavOptions {
  /** The file to write; its folder is created when missing. */
  readonly file: string;
}

/**
 * Encodes samples as a canonical RIFF/WAVE PCM file (44-byte header, interleaved little-endian).
 * @throws InvalidArgumentError for no channels, channels of different lengths or a non-positive sample rate.
 */
export function encodeWav(options: EncodeWavOptions): Uint8Array {
  const { sampleRate, channels } = options;
  const bitDepth = options.bitDepth ?? 16;
  if (!(Number.isInteger(sampleRate) && sampleRate > 0))
    throw new InvalidArgumentError({
      argument: 'sampleRate',
      value: sampleRate,
      message: `sampleRate must be a positive integer; got ${sampleRate}.`,
    });
  const frameCount = channels[0]?.length ?? 0;
  if (channels.length === 0 || channels.some((channel) => channel.length !== frameCount))
    throw new InvalidArgumentError({
      argument: 'channels',
      value: channels.map((channel) => channel.length),
      message: `channels must hold at least one array, all of one length; got lengths [${channels.map((channel) => channel.length).join(', ')}].`,
    });
  const bytesPerSample = bitDepth / 8;
  const blockAlign = bytesPerSample * channels.length;
  const dataSize = blockAlign * frameCount;
  const bytes = new Uint8Array(44 + dataSize);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, value: string) => {
    for (let index = 0; index < value.length; index++) bytes[offset + index] = value.charCodeAt(index);
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + dataSize, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bitDepth, true);
  text(36, 'data');
  view.setUint32(40, dataSize, true);
  // scaled by 2^(bits-1), as decoders (scipy, soundfile, decodeWav) divide, and clamped to the integer range
  const fullScale = 2 ** (bitDepth - 1);
  let offset = 44;
  for (let frame = 0; frame < frameCount; frame++) {
    for (const channel of channels) {
      const value = Math.max(-fullScale, Math.min(fullScale - 1, Math.round((channel[frame] as number) * fullScale)));
      if (bitDepth === 16) view.setInt16(offset, value, true);
      else {
        view.setUint8(offset, value & 0xff);
        view.setUint8(offset + 1, (value >> 8) & 0xff);
        view.setInt8(offset + 2, value >> 16);
      }
      offset += bytesPerSample;
    }
  }
  return bytes;
}

/**
 * Writes samples as a PCM WAV file (see {@link encodeWav}), creating its folder.
 * @example writeWavFile({ file: 'audio/1-100032-A-0.wav', sampleRate: 44100, channels: [samples] })
 */
export function writeWavFile(options: WriteWavFileOptions): void {
  mkdirSync(path.dirname(options.file), { recursive: true });
  writeFileSync(options.file, encodeWav(options));
}
