/**
 * The `.npy` format (version 1.0, or 2.0 for long headers): a magic string, a Python-dict
 * header naming dtype and shape, then the raw little-endian data. Files written here load
 * with `numpy.load`, and their data starts at a known byte offset for positioned reads.
 */
import { DataFormatError } from '@polytask/core';

/** Element types written and read here. */
export type NpyDtype = '<f4' | '|u1' | '<i8' | '<i4';

/** Bytes per element of a dtype. */
export const npyItemSize: Readonly<Record<NpyDtype, number>> = { '<f4': 4, '|u1': 1, '<i8': 8, '<i4': 4 };

/** Encodes the header (magic, version, dict, padding) for `dtype` and `shape`; data follows it directly. */
export function encodeNpyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dictionary = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dictionary.length + 1) / 64) * 64;
  if (total - prefix > 65535) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dictionary.length + 1) / 64) * 64;
  }
  const header = new Uint8Array(total);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(header.buffer);
  if (version === 1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  const text = dictionary.padEnd(total - prefix - 1, ' ') + '\n';
  for (let index = 0; index < text.length; index++) header[prefix + index] = text.charCodeAt(index);
  return header;
}

/** What an `.npy` header declares. */
export interface NpyHeader {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte offset where the data starts. */
  readonly dataOffset: number;
}

/**
 * Parses an `.npy` header from the first bytes of a file (at least 12 bytes, and the whole header).
 * @throws DataFormatError naming `path` when the bytes are not an npy header.
 */
export function decodeNpyHeader(bytes: Uint8Array, path: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 12 || magic.some((value, index) => bytes[index] !== value))
    throw new DataFormatError({ path, message: `${path}: not an .npy file (bad magic).` });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[6];
  const prefix = version === 1 ? 10 : 12;
  const length = version === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < prefix + length) throw new DataFormatError({ path, message: `${path}: the .npy header is truncated.` });
  const text = new TextDecoder().decode(bytes.subarray(prefix, prefix + length));
  const dtype = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!dtype || shapeText === undefined || /'fortran_order':\s*True/.test(text)) {
    throw new DataFormatError({ path, message: `${path}: unsupported .npy header ${JSON.stringify(text.trim())}.` });
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  return { dtype, shape, dataOffset: prefix + length };
}
