/**
 * Reads an audio file into Float32 channels: WAV through our own decoder, and FLAC,
 * Ogg/Vorbis, Opus, MP3 and AIFF through the optional `audio-decode` package. Integer PCM
 * (WAV, AIFF, FLAC) comes out as x / 2^(bits−1), the values soundfile and sox give.
 */
import { readFile } from 'node:fs/promises';
import { DataFormatError, importOptional, MissingFileError } from '@polytask/core';
import { decodeWav } from './decode-wav';
import type { DecodedAudio } from './decoded-audio';

/** Container formats recognised from their first bytes. */
export type AudioContainer = 'wav' | 'flac' | 'ogg' | 'mp3' | 'aiff' | 'unknown';

/** Recognises the container from the file's first bytes. */
export function detectAudioContainer(bytes: Uint8Array): AudioContainer {
  const ascii = (offset: number, length: number) => String.fromCharCode(...bytes.subarray(offset, offset + length));
  if (ascii(0, 4) === 'RIFF' || ascii(0, 4) === 'RIFX' || ascii(0, 4) === 'RF64') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'FORM' && (ascii(8, 4) === 'AIFF' || ascii(8, 4) === 'AIFC')) return 'aiff';
  if (ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  return 'unknown';
}

type AudioDecode = (bytes: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>;

/** Bits per sample from a FLAC file's STREAMINFO block (the first metadata block), or undefined. */
function flacBitsPerSample(bytes: Uint8Array): number | undefined {
  // "fLaC", a 4-byte block header (type 0 = STREAMINFO), then 34 bytes; bits per sample − 1 sit
  // in the lowest bit of STREAMINFO byte 12 and the top four bits of byte 13.
  if (bytes.length < 42 || ((bytes[4] as number) & 0x7f) !== 0) return undefined;
  return ((((bytes[20] as number) & 1) << 4) | ((bytes[21] as number) >> 4)) + 1;
}

/**
 * audio-decode's FLAC decoder divides b-bit integers by 2^(b−1) − 1; libsndfile (soundfile, sox),
 * our WAV decoder and scipy divide by 2^(b−1). Rescale to the latter, exactly: for b ≤ 24 the
 * integer is recovered (float32 keeps it to within 0.25) and divided again.
 */
function rescaleFlac(channel: Float32Array, bits: number): Float32Array {
  const fullScale = 2 ** (bits - 1);
  const output = new Float32Array(channel.length);
  if (bits <= 24) {
    for (let index = 0; index < channel.length; index++)
      output[index] = Math.round((channel[index] as number) * (fullScale - 1)) / fullScale;
  } else {
    for (let index = 0; index < channel.length; index++) output[index] = ((channel[index] as number) * (fullScale - 1)) / fullScale;
  }
  return output;
}

/**
 * Decodes audio bytes of any supported container.
 * @throws DataFormatError naming `path` for unrecognised, corrupt or empty audio.
 * @throws MissingDependencyError when a compressed format needs `audio-decode` and it is not installed.
 */
export async function decodeAudio(bytes: Uint8Array, path = '<memory>'): Promise<DecodedAudio> {
  const container = detectAudioContainer(bytes);
  if (container === 'wav') return decodeWav(bytes, { path });
  if (container === 'unknown') {
    throw new DataFormatError({
      path,
      message: `${path}: not a recognised audio file (expected WAV, FLAC, Ogg, MP3 or AIFF; first bytes ${Array.from(bytes.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join(' ')}).`,
    });
  }
  const module = (await importOptional(
    'audio-decode',
    (name) => import(name),
    `decoding ${container.toUpperCase()} files such as ${path}`,
  )) as { default: AudioDecode };
  let decoded: Awaited<ReturnType<AudioDecode>>;
  try {
    decoded = await module.default(bytes);
  } catch (cause) {
    throw new DataFormatError({
      path,
      message: `${path}: the ${container.toUpperCase()} data could not be decoded (${(cause as Error)?.message ?? cause}).`,
      cause,
    });
  }
  if (!decoded.channelData.length || !decoded.channelData[0]?.length || !(decoded.sampleRate > 0)) {
    throw new DataFormatError({ path, message: `${path}: the ${container.toUpperCase()} file decoded to no audio (empty or truncated).` });
  }
  const bits = container === 'flac' ? flacBitsPerSample(bytes) : undefined;
  return {
    sampleRate: decoded.sampleRate,
    channels: decoded.channelData.map((channel) => (bits === undefined ? Float32Array.from(channel) : rescaleFlac(channel, bits))),
  };
}

/**
 * Reads and decodes an audio file.
 * @throws MissingFileError when the file does not exist.
 * @example const { sampleRate, channels } = await readAudioFile('data/clip.wav')
 */
export async function readAudioFile(path: string): Promise<DecodedAudio> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MissingFileError({ path, message: `${path}: no such audio file; check the dataset path.`, cause });
    throw new DataFormatError({ path, message: `${path}: could not be read (${(cause as Error).message}).`, cause });
  }
  return decodeAudio(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}
