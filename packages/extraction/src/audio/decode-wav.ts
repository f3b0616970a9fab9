/**
 * A strict, fast WAV (RIFF/WAVE) decoder: PCM 8/16/24/32-bit, IEEE float 32/64, and
 * WAVE_FORMAT_EXTENSIBLE carrying either, any channel count. Integers are scaled by
 * 2^(bits-1) (8-bit is unsigned, offset 128), as scipy and soundfile do. Malformed files
 * raise a DataFormatError naming the file and what is wrong.
 */
import { DataFormatError } from '@polytask/core';
import type { DecodedAudio } from './decoded-audio';

/** Options of {@link decodeWav}. */
export interface DecodeWavOptions {
  /** File the bytes came from, named in errors. @default '<memory>' */
  readonly path?: string;
}

/** What a WAV header declares. */
export interface WavFormat {
  /** 1 PCM integer, 3 IEEE float (resolved through WAVE_FORMAT_EXTENSIBLE). */
  readonly encoding: 'pcm' | 'float';
  readonly channelCount: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** Frames (samples per channel) in the data chunk. */
  readonly frameCount: number;
}

const formatNames: Record<number, string> = { 2: 'Microsoft ADPCM', 6: 'A-law', 7: 'mu-law', 17: 'IMA ADPCM', 85: 'MPEG layer 3' };

function text(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset] ?? 0, bytes[offset + 1] ?? 0, bytes[offset + 2] ?? 0, bytes[offset + 3] ?? 0);
}

/** Parses the header and locates the samples without decoding them. */
export function readWavFormat(bytes: Uint8Array, options: DecodeWavOptions = {}): WavFormat & { dataOffset: number } {
  const path = options.path ?? '<memory>';
  const fail = (message: string, context: Record<string, unknown> = {}): never => {
    throw new DataFormatError({ path, message: `${path}: ${message}`, context });
  };
  if (bytes.length < 12) fail(`not a WAV file: ${bytes.length} bytes is shorter than a RIFF header.`);
  const riff = text(bytes, 0);
  if (riff === 'RIFX' || riff === 'RF64') fail(`${riff} WAV files are not supported; convert to little-endian RIFF WAV.`);
  if (riff !== 'RIFF' || text(bytes, 8) !== 'WAVE') fail(`not a WAV file: expected "RIFF....WAVE", found "${riff}....${text(bytes, 8)}".`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let format: { code: number; channelCount: number; sampleRate: number; blockAlign: number; bitsPerSample: number } | undefined;
  let data: { offset: number; size: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = text(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length)
        fail(
          `the fmt chunk is ${size} bytes${body + size > bytes.length ? ' and runs past the end of the file (truncated)' : ', fewer than 16'}.`,
        );
      let code = view.getUint16(body, true);
      const channelCount = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (code === 0xfffe) {
        if (size < 40) fail(`WAVE_FORMAT_EXTENSIBLE needs a 40-byte fmt chunk, found ${size} bytes.`);
        code = view.getUint16(body + 24, true);
      }
      format = { code, channelCount, sampleRate, blockAlign, bitsPerSample };
    } else if (id === 'data') {
      const available = bytes.length - body;
      if (size > available)
        fail(`truncated: the data chunk declares ${size} bytes but only ${available} remain.`, { declared: size, available });
      data = { offset: body, size };
      if (format) break;
    }
    offset = body + size + (size % 2);
  }
  if (!format) return fail('no fmt chunk found; the header is damaged.');
  if (!data) return fail('no data chunk found; the file holds no audio (or is truncated before it).');
  const { code, channelCount, sampleRate, blockAlign, bitsPerSample } = format;
  if (code !== 1 && code !== 3) {
    return fail(
      `unsupported encoding: format code ${code}${formatNames[code] ? ` (${formatNames[code]})` : ''}; convert to PCM or float WAV, or decode it with audio-decode.`,
      { formatCode: code },
    );
  }
  const encoding = code === 1 ? 'pcm' : 'float';
  if ((encoding === 'pcm' && ![8, 16, 24, 32].includes(bitsPerSample)) || (encoding === 'float' && ![32, 64].includes(bitsPerSample))) {
    return fail(`unsupported encoding: ${bitsPerSample}-bit ${encoding === 'pcm' ? 'PCM' : 'float'}.`, { bitsPerSample });
  }
  if (channelCount === 0) return fail('the header declares 0 channels.');
  if (sampleRate === 0) return fail('the header declares a sample rate of 0 Hz.');
  if (blockAlign !== channelCount * (bitsPerSample / 8)) {
    return fail(`inconsistent header: block align ${blockAlign} should be ${channelCount} channels × ${bitsPerSample / 8} bytes.`, {
      blockAlign,
    });
  }
  if (data.size === 0) return fail('the data chunk is empty (zero-length audio).');
  if (data.size % blockAlign !== 0)
    fail(`truncated: the data chunk holds ${data.size} bytes, not a whole number of ${blockAlign}-byte frames.`);
  return { encoding, channelCount, sampleRate, bitsPerSample, frameCount: data.size / blockAlign, dataOffset: data.offset };
}

/**
 * Decodes a WAV file's bytes into Float32 channels.
 * @throws DataFormatError for truncated files, wrong headers, zero-length data or unsupported encodings.
 * @example decodeWav(await readFile('clip.wav'), { path: 'clip.wav' })
 */
export function decodeWav(bytes: Uint8Array, options: DecodeWavOptions = {}): DecodedAudio {
  const { encoding, channelCount, sampleRate, bitsPerSample, frameCount, dataOffset } = readWavFormat(bytes, options);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, frameCount * channelCount * (bitsPerSample / 8));
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frameCount));
  const bytesPerSample = bitsPerSample / 8;
  for (let channel = 0; channel < channelCount; channel++) {
    const output = channels[channel] as Float32Array;
    const stride = channelCount * bytesPerSample;
    let position = channel * bytesPerSample;
    if (encoding === 'float') {
      if (bitsPerSample === 32)
        for (let frame = 0; frame < frameCount; frame++, position += stride) output[frame] = view.getFloat32(position, true);
      else for (let frame = 0; frame < frameCount; frame++, position += stride) output[frame] = view.getFloat64(position, true);
    } else if (bitsPerSample === 16) {
      for (let frame = 0; frame < frameCount; frame++, position += stride) output[frame] = view.getInt16(position, true) / 32768;
    } else if (bitsPerSample === 8) {
      for (let frame = 0; frame < frameCount; frame++, position += stride) output[frame] = (view.getUint8(position) - 128) / 128;
    } else if (bitsPerSample === 24) {
      for (let frame = 0; frame < frameCount; frame++, position += stride) {
        const value = view.getUint8(position) | (view.getUint8(position + 1) << 8) | (view.getInt8(position + 2) << 16);
        output[frame] = value / 8388608;
      }
    } else {
      for (let frame = 0; frame < frameCount; frame++, position += stride) output[frame] = view.getInt32(position, true) / 2147483648;
    }
  }
  return { sampleRate, channels };
}
