/**
 * TFRecord framing, read and written: each record is a little-endian uint64 length, the masked
 * CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data. Damaged or truncated
 * records are a {@link TfRecordError} naming the file and the record's byte offset.
 */
import { open, readFile } from 'node:fs/promises';
import { DataFormatError, PolytaskError } from '@polytask/core';
import { maskedCrc32c } from '@polytask/results';

/** One record of a TFRecord file and where it starts. */
export interface TfRecord {
  /** Byte offset of the record's header in the file. */
  readonly offset: number;
  /** The record's payload (a serialised protobuf in AudioSet's files). */
  readonly data: Uint8Array;
}

/** A TFRecord file is damaged or truncated at `offset`. */
export class TfRecordError extends DataFormatError {
  /** Byte offset of the damaged record's header. */
  readonly offset: number;

  constructor(options: { path: string; offset: number; problem: string; cause?: unknown }) {
    super({
      path: options.path,
      message: `${options.path}: the TFRecord at byte ${options.offset} is damaged (${options.problem}); download the file again.`,
      context: { offset: options.offset },
      cause: options.cause,
    });
    this.name = 'TfRecordError';
    this.offset = options.offset;
  }

  static override isInstance(error: unknown): error is TfRecordError {
    return PolytaskError.isInstance(error) && error.name === 'TfRecordError';
  }
}

const headerBytes = 12;
const footerBytes = 4;

/** The data length a 12-byte record header gives, after checking its CRC. */
function readRecordHeader(header: Uint8Array, place: { path: string; fileOffset: number }): number {
  const { path, fileOffset: offset } = place;
  if (header.length < headerBytes)
    throw new TfRecordError({ path, offset, problem: `only ${header.length} bytes left of a 12-byte header` });
  const view = new DataView(header.buffer, header.byteOffset, headerBytes);
  if (view.getUint32(8, true) !== maskedCrc32c(header.subarray(0, 8)))
    throw new TfRecordError({ path, offset, problem: 'the CRC of the length does not match' });
  return Number(view.getBigUint64(0, true));
}

/** Reads the record at `offset` of `bytes`; errors name `path` and `fileOffset + offset`. */
function readRecordAt(bytes: Uint8Array, at: number, place: { path: string; fileOffset: number }): { data: Uint8Array; next: number } {
  const { path } = place;
  const offset = at;
  const reported = place.fileOffset + at;
  const length = readRecordHeader(bytes.subarray(offset, offset + headerBytes), { path, fileOffset: reported });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = offset + headerBytes;
  if (start + length + footerBytes > bytes.length)
    throw new TfRecordError({ path, offset: reported, problem: `the record claims ${length} bytes but the file ends before them` });
  const data = bytes.subarray(start, start + length);
  if (view.getUint32(start + length, true) !== maskedCrc32c(data))
    throw new TfRecordError({ path, offset: reported, problem: 'the CRC of the data does not match' });
  return { data, next: start + length + footerBytes };
}

/**
 * The records of a TFRecord file's bytes, in order; `path` is named in errors.
 * @throws TfRecordError at the first damaged or truncated record.
 */
export function parseTfRecords(bytes: Uint8Array, path: string): TfRecord[] {
  const records: TfRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const { data, next } = readRecordAt(bytes, offset, { path, fileOffset: 0 });
    records.push({ offset, data });
    offset = next;
  }
  return records;
}

/** Reads every record of the TFRecord file at `path`. */
export async function readTfRecordFile(path: string): Promise<TfRecord[]> {
  return parseTfRecords(new Uint8Array(await readFile(path)), path);
}

/** Reads the one record that starts at `offset` in `path` (an offset from {@link readTfRecordFile}). */
export async function readTfRecordAt(path: string, offset: number): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const header = new Uint8Array(headerBytes);
    const { bytesRead } = await file.read(header, 0, headerBytes, offset);
    // checks the header's CRC before trusting its length
    readRecordHeader(header.subarray(0, bytesRead), { path, fileOffset: offset });
    const length = Number(new DataView(header.buffer).getBigUint64(0, true));
    const whole = new Uint8Array(headerBytes + length + footerBytes);
    const { bytesRead: total } = await file.read(whole, 0, whole.length, offset);
    return readRecordAt(whole.subarray(0, total), 0, { path, fileOffset: offset }).data.slice();
  } finally {
    await file.close();
  }
}

/** Frames `records` as a TFRecord file's bytes. */
export function encodeTfRecords(records: readonly Uint8Array[]): Uint8Array {
  const total = records.reduce((sum, record) => sum + headerBytes + record.length + footerBytes, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const record of records) {
    view.setBigUint64(offset, BigInt(record.length), true);
    view.setUint32(offset + 8, maskedCrc32c(bytes.subarray(offset, offset + 8)), true);
    bytes.set(record, offset + headerBytes);
    view.setUint32(offset + headerBytes + record.length, maskedCrc32c(record), true);
    offset += headerBytes + record.length + footerBytes;
  }
  return bytes;
}
