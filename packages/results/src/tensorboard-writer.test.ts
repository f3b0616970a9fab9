/**
 * Checks the event files with a reader written here, independently of the writer: its own
 * bitwise CRC-32C, TFRecord framing and a generic protobuf decoder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTensorBoardWriter } from './tensorboard-writer';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-tb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** Reads records until the end or the first damaged one; reports why it stopped. */
function readRecords(bytes: Uint8Array): { records: Uint8Array[]; stop: 'end' | 'truncated' | 'bad length crc' | 'bad data crc' } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) return { records, stop: 'truncated' };
    const length = Number(view.getBigUint64(offset, true));
    if (view.getUint32(offset + 8, true) !== mask(crc32cBitwise(bytes.subarray(offset, offset + 8))))
      return { records, stop: 'bad length crc' };
    if (offset + 16 + length > bytes.length) return { records, stop: 'truncated' };
    const payload = bytes.subarray(offset + 12, offset + 12 + length);
    if (view.getUint32(offset + 12 + length, true) !== mask(crc32cBitwise(payload))) return { records, stop: 'bad data crc' };
    records.push(payload);
    offset += 16 + length;
  }
  return { records, stop: 'end' };
}

type Field = { wire: number; value: bigint | Uint8Array | number };
function decode(bytes: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[offset++];
      if (byte === undefined) throw new Error('varint overruns the message');
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (offset < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: Field['value'];
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = view.getFloat64(offset, true);
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      if (offset + length > bytes.length) throw new Error('length-delimited field overruns the message');
      value = bytes.subarray(offset, offset + length);
      offset += length;
    } else if (wire === 5) {
      value = view.getFloat32(offset, true);
      offset += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), { wire, value }]);
  }
  return fields;
}
const one = (fields: Map<number, Field[]>, field: number) => fields.get(field)?.[0]?.value;
const text = (value: unknown) => new TextDecoder('utf-8', { fatal: true }).decode(value as Uint8Array);
const sub = (fields: Map<number, Field[]>, field: number) => decode(one(fields, field) as Uint8Array);

function summaryValue(record: Uint8Array) {
  const event = decode(record);
  const value = sub(sub(event, 5), 1);
  const metadata = value.has(9) ? sub(value, 9) : undefined;
  return {
    event,
    step: Number(one(event, 2) ?? 0n),
    tag: text(one(value, 1)),
    tensor: sub(value, 8),
    plugin: metadata ? text(one(sub(metadata, 1), 1)) : undefined,
    metadata,
  };
}

describe('TensorBoard event files', () => {
  it('starts with brain.Event:2 and names the file as TensorBoard expects', () => {
    const writer = createTensorBoardWriter({ directory: path.join(root, 'naming') });
    writer.close();
    expect(path.basename(writer.path)).toMatch(/^events\.out\.tfevents\.\d{10}\.[^.]+\.\d+\.\d+$/);
    const { records, stop } = readRecords(readFileSync(writer.path));
    expect(stop).toBe('end');
    const first = decode(records[0] as Uint8Array);
    expect(text(one(first, 3))).toBe('brain.Event:2');
    expect(one(first, 1)).toBeGreaterThan(1.6e9);
  });

  it('frames records with masked CRC-32C as in the reference example', () => {
    // the notes' first record: length 24, masked CRC of the length bytes 0x224b7fa3, of the payload 0x9d8fedec
    const payload = Uint8Array.from(Buffer.from('0900000040fc54d9411a0d627261696e2e4576656e743a32', 'hex'));
    expect(mask(crc32cBitwise(Uint8Array.from(Buffer.from('1800000000000000', 'hex'))))).toBe(0x224b7fa3);
    expect(mask(crc32cBitwise(payload))).toBe(0x9d8fedec);
    expect(crc32cBitwise(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const writer = createTensorBoardWriter({ directory: path.join(root, 'first'), now: () => 1700000000 });
    writer.close();
    const first = decode(readRecords(readFileSync(writer.path)).records[0] as Uint8Array);
    expect(one(first, 1)).toBe(1700000000);
    expect(text(one(sub(first, 10), 1))).toBe('polytask');
  });

  it('writes a scalar as the reference encoder does (rank-0 DT_FLOAT, plugin scalars, data class SCALAR)', () => {
    const writer = createTensorBoardWriter({ directory: path.join(root, 'scalar'), now: () => 1700000000 });
    writer.scalar('loss', 0.5, 1);
    writer.scalar('loss', 0.25, 2);
    writer.close();
    const { records } = readRecords(readFileSync(writer.path));
    const payload = Buffer.from(records[1] as Uint8Array).toString('hex');
    expect(payload.slice(0, 18)).toBe('0900000040fc54d941');
    expect(payload.slice(18)).toBe('10012a230a210a046c6f73734a0d0a090a077363616c6172732001420a080112002a040000003f');
    // later values of the tag carry no metadata
    const second = summaryValue(records[2] as Uint8Array);
    expect(second.metadata).toBeUndefined();
    expect(second.step).toBe(2);
    expect(Buffer.from(one(second.tensor, 5) as Uint8Array).toString('hex')).toBe('0000803e');
  });

  it('writes images, text, histograms and the three hparams summaries', () => {
    const writer = createTensorBoardWriter({ directory: path.join(root, 'kinds') });
    writer.image('confusion/keyword', Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), { width: 40, height: 30 }, 3);
    writer.text('config', '**lr** 0.001', 0);
    writer.histogram('weights', [1, 2, 2, 3, 3, 3, 4], 2, 3);
    writer.hparamsExperiment({ hparams: { lr: 0.001, model: 'cnn', batchNorm: false }, metrics: ['test/keyword/macro_f1'] });
    writer.hparamsSessionStart({ lr: 0.001, model: 'cnn', batchNorm: false, dropout: 0 }, 'group-1');
    writer.hparamsSessionEnd('success');
    writer.close();
    const { records, stop } = readRecords(readFileSync(writer.path));
    expect(stop).toBe('end');
    const [image, note, histogram] = records.slice(1, 4).map((record) => summaryValue(record));
    expect(image?.plugin).toBe('images');
    expect(image?.tensor.get(8)?.map((entry) => Array.from(entry.value as Uint8Array))).toEqual([
      [0x34, 0x30],
      [0x33, 0x30],
      [0x89, 0x50, 0x4e, 0x47],
    ]);
    expect(note?.plugin).toBe('text');
    expect(text(one(note?.tensor as Map<number, Field[]>, 8))).toBe('**lr** 0.001');
    expect(histogram?.plugin).toBe('histograms');
    const buckets = new Float64Array(Uint8Array.from(one(histogram?.tensor as Map<number, Field[]>, 4) as Uint8Array).buffer);
    expect(Array.from(buckets)).toEqual([1, 2, 1, 2, 3, 2, 3, 4, 4]);
    const hparams = records.slice(4).map((record) => summaryValue(record));
    expect(hparams.map((entry) => entry.tag)).toEqual([
      '_hparams_/experiment',
      '_hparams_/session_start_info',
      '_hparams_/session_end_info',
    ]);
    for (const entry of hparams) expect(entry.plugin).toBe('hparams');
    const start = sub(decode(one(sub(hparams[1]?.metadata as Map<number, Field[]>, 1), 2) as Uint8Array), 3);
    const values = new Map(
      (start.get(1) ?? []).map((entry) => {
        const pair = decode(entry.value as Uint8Array);
        return [text(one(pair, 1)), decode(one(pair, 2) as Uint8Array)];
      }),
    );
    expect(one(values.get('lr') as Map<number, Field[]>, 2)).toBe(0.001);
    expect(text(one(values.get('model') as Map<number, Field[]>, 3))).toBe('cnn');
    expect(one(values.get('batchNorm') as Map<number, Field[]>, 4)).toBe(0n);
    expect(one(values.get('dropout') as Map<number, Field[]>, 2)).toBe(0);
    expect(text(one(start, 4))).toBe('group-1');
  });

  it('refuses steps that do not strictly increase, and non-finite scalars', () => {
    const writer = createTensorBoardWriter({ directory: path.join(root, 'steps') });
    writer.scalar('loss', 1, 5);
    expect(() => writer.scalar('loss', 1, 5)).toThrow(/must strictly increase .* got 5 after 5/);
    writer.scalar('accuracy', 1, 1);
    expect(() => writer.scalar('loss', Number.NaN, 6)).toThrow(/only finite values/);
    writer.close();
    expect(() => writer.scalar('loss', 1, 7)).toThrow(/is closed/);
  });

  it('continues an existing event file: records appended after the old ones, no second brain.Event:2', () => {
    const first = createTensorBoardWriter({ directory: path.join(root, 'continued') });
    first.scalar('loss', 1, 1);
    first.close();
    const second = createTensorBoardWriter({ directory: path.join(root, 'continued'), continueFile: first.path });
    second.scalar('loss', 0.5, 2);
    second.close();
    expect(second.path).toBe(first.path);
    const { records, stop } = readRecords(readFileSync(first.path));
    expect(stop).toBe('end');
    expect(records.map((record) => (decode(record).has(3) ? 'version' : summaryValue(record).step))).toEqual(['version', 1, 2]);
  });

  it('lets a reader detect a corrupted byte anywhere, and keep the records before a truncation', () => {
    const writer = createTensorBoardWriter({ directory: path.join(root, 'damage'), flushEveryRecords: 1 });
    for (let step = 1; step <= 3; step++) writer.scalar('loss', 1 / step, step);
    writer.close();
    const bytes = new Uint8Array(readFileSync(writer.path));
    const intact = readRecords(bytes).records.length;
    expect(intact).toBe(4);
    for (let offset = 0; offset < bytes.length; offset++) {
      const damaged = bytes.slice();
      damaged[offset] = (damaged[offset] as number) ^ 0x01;
      const result = readRecords(damaged);
      expect(result.stop, `byte ${offset}`).not.toBe('end');
      expect(result.records.length).toBeLessThan(intact);
    }
    const sizes = readRecords(bytes).records.map((record) => record.length + 16);
    let boundary = 0;
    for (const [index, size] of sizes.entries()) {
      for (let cut = boundary + 1; cut < boundary + size; cut++) {
        const result = readRecords(bytes.subarray(0, cut));
        expect(result.stop).toBe('truncated');
        expect(result.records).toHaveLength(index);
      }
      boundary += size;
    }
  });
});
