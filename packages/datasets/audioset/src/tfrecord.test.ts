import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTfRecords, parseTfRecords, readTfRecordAt, TfRecordError } from './tfrecord';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-tfrecord-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('TFRecord framing', () => {
  const records = [new Uint8Array([1, 2, 3]), new Uint8Array(0), Uint8Array.from({ length: 300 }, (_, index) => index % 256)];
  const bytes = encodeTfRecords(records);

  it('frames records as length, masked CRC, data, masked CRC and reads them back with their offsets', () => {
    // the framing of one known record: length 3, then TensorFlow's masked CRC-32C values
    expect(Array.from(bytes.subarray(0, 8))).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes.length).toBe(3 * 16 + 3 + 0 + 300);
    const parsed = parseTfRecords(bytes, 'memory');
    expect(parsed.map((record) => record.offset)).toEqual([0, 19, 35]);
    expect(parsed.map((record) => Array.from(record.data))).toEqual(records.map((record) => Array.from(record)));
  });

  it('reads one record at its offset from a file, and names the offset of a damaged header', async () => {
    const file = path.join(root, 'records.tfrecord');
    writeFileSync(file, bytes);
    expect(Array.from(await readTfRecordAt(file, 35))).toEqual(Array.from(records[2] as Uint8Array));
    const damaged = bytes.slice();
    damaged[19 + 9] = (damaged[19 + 9] as number) ^ 1;
    writeFileSync(file, damaged);
    await expect(readTfRecordAt(file, 19)).rejects.toSatisfy(
      (error) => TfRecordError.isInstance(error) && error.offset === 19 && error.path === file && /CRC of the length/.test(error.message),
    );
    expect(() => parseTfRecords(damaged, file)).toThrow(/records\.tfrecord: the TFRecord at byte 19 is damaged/);
  });
});
