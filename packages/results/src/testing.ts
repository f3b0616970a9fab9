/**
 * @polytask/results/testing: reads TensorBoard log directories back, as TensorBoard would, for
 * tests of what a run logged: scalar points per run and tag, other summaries' steps, HParams
 * sessions. A reader of its own (TFRecord framing, CRC-32C, a generic protobuf decoder), not the writer's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HparamValue } from './tensorboard-writer';

/** What one TensorBoard run (a directory with event files) holds. */
export interface TensorBoardRunLog {
  /** Event files, in TensorBoard's reading order (by name). */
  readonly files: readonly string[];
  /** Scalar points per tag, in reading order: `[step, value]` (float32 values). */
  readonly scalars: Readonly<Record<string, readonly (readonly [number, number])[]>>;
  /** Steps of the other summaries (images, text, histograms) per tag, in reading order. */
  readonly steps: Readonly<Record<string, readonly number[]>>;
  /** `_hparams_/experiment` summaries. */
  readonly experiments: number;
  /** HParams session starts, in order. */
  readonly sessionStarts: readonly { readonly group: string; readonly hparams: Readonly<Record<string, HparamValue>> }[];
  /** HParams session ends, in order. */
  readonly sessionEnds: readonly ('unknown' | 'success' | 'failure' | 'running')[];
  /** Whether a file ends in a damaged or truncated record (TensorBoard stops reading that file there). */
  readonly damaged: boolean;
}

type Fields = Map<number, (bigint | number | Uint8Array)[]>;

function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const masked = (bytes: Uint8Array) => {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

/** The whole records of an event file, up to the first damaged or truncated one. */
function readRecords(bytes: Uint8Array): { records: Uint8Array[]; damaged: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) return { records, damaged: true };
    const length = Number(view.getBigUint64(offset, true));
    if (view.getUint32(offset + 8, true) !== masked(bytes.subarray(offset, offset + 8))) return { records, damaged: true };
    if (offset + 16 + length > bytes.length) return { records, damaged: true };
    const payload = bytes.subarray(offset + 12, offset + 12 + length);
    if (view.getUint32(offset + 12 + length, true) !== masked(payload)) return { records, damaged: true };
    records.push(payload);
    offset += 16 + length;
  }
  return { records, damaged: false };
}

function decode(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[offset++];
      if (byte === undefined) throw new Error('A varint overruns its message.');
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
    }
  };
  while (offset < bytes.length) {
    const key = Number(varint());
    let value: bigint | number | Uint8Array;
    if ((key & 7) === 0) value = varint();
    else if ((key & 7) === 1) {
      value = view.getFloat64(offset, true);
      offset += 8;
    } else if ((key & 7) === 2) {
      const length = Number(varint());
      value = bytes.subarray(offset, offset + length);
      offset += length;
    } else if ((key & 7) === 5) {
      value = view.getFloat32(offset, true);
      offset += 4;
    } else throw new Error(`Unexpected wire type ${key & 7}.`);
    fields.set(key >> 3, [...(fields.get(key >> 3) ?? []), value]);
  }
  return fields;
}
const first = (fields: Fields, field: number) => fields.get(field)?.[0];
const message = (fields: Fields, field: number): Fields => {
  const value = first(fields, field);
  return value instanceof Uint8Array ? decode(value) : new Map();
};
const text = (value: unknown) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : '');

function protoValue(fields: Fields): HparamValue {
  if (fields.has(3)) return text(first(fields, 3));
  if (fields.has(4)) return first(fields, 4) === 1n;
  return Number(first(fields, 2) ?? 0);
}

function appendTo<Item>(lists: Record<string, Item[]>, key: string, item: Item): void {
  const list = lists[key];
  if (list) list.push(item);
  else lists[key] = [item];
}

/** Reads one run directory's event files (not its subdirectories). */
function readRun(directory: string, files: readonly string[]): TensorBoardRunLog {
  const scalars: Record<string, (readonly [number, number])[]> = {};
  const steps: Record<string, number[]> = {};
  const plugins = new Map<string, string>();
  const sessionStarts: { group: string; hparams: Record<string, HparamValue> }[] = [];
  const sessionEnds: TensorBoardRunLog['sessionEnds'][number][] = [];
  let experiments = 0;
  let damaged = false;
  for (const file of files) {
    const read = readRecords(new Uint8Array(readFileSync(path.join(directory, file))));
    damaged ||= read.damaged;
    for (const record of read.records) {
      const event = decode(record);
      const step = Number(first(event, 2) ?? 0n);
      for (const bytes of message(event, 5).get(1) ?? []) {
        const value = decode(bytes as Uint8Array);
        const tag = text(first(value, 1));
        const metadata = message(value, 9);
        const pluginData = message(metadata, 1);
        if (!plugins.has(tag) && pluginData.has(1)) plugins.set(tag, text(first(pluginData, 1)));
        const plugin = plugins.get(tag);
        if (plugin === 'hparams') {
          const data = decode((first(pluginData, 2) as Uint8Array | undefined) ?? new Uint8Array());
          if (data.has(2)) experiments++;
          if (data.has(3)) {
            const start = message(data, 3);
            const hparams = Object.fromEntries(
              (start.get(1) ?? []).map((entry) => {
                const pair = decode(entry as Uint8Array);
                return [text(first(pair, 1)), protoValue(message(pair, 2))];
              }),
            );
            sessionStarts.push({ group: text(first(start, 4)), hparams });
          }
          if (data.has(4))
            sessionEnds.push(
              (['unknown', 'success', 'failure', 'running'] as const)[Number(first(message(data, 4), 1) ?? 0n)] ?? 'unknown',
            );
        } else if (plugin === 'scalars' || value.has(2)) {
          const tensorValue = first(message(value, 8), 5);
          const number = value.has(2)
            ? Number(first(value, 2))
            : tensorValue instanceof Uint8Array
              ? new DataView(tensorValue.buffer, tensorValue.byteOffset, 4).getFloat32(0, true)
              : Number(tensorValue);
          appendTo(scalars, tag, [step, number]);
        } else appendTo(steps, tag, step);
      }
    }
  }
  return { files, scalars, steps, experiments, sessionStarts, sessionEnds, damaged };
}

/**
 * Reads every run under a TensorBoard log directory, keyed by the run's path relative to it
 * (`.` for the directory itself, `/`-separated), as TensorBoard names runs.
 * @example const logs = readTensorBoardLog('runs/exp/tensorboard'); logs['fold-0/train']?.scalars['batch/loss']
 */
export function readTensorBoardLog(directory: string): Record<string, TensorBoardRunLog> {
  const runs: Record<string, TensorBoardRunLog> = {};
  const visit = (relative: string) => {
    const folder = path.join(directory, ...relative.split('/').filter((part) => part !== '.'));
    const entries = readdirSync(folder, { withFileTypes: true });
    const files = entries
      .filter((entry) => entry.isFile() && entry.name.includes('tfevents') && !entry.name.endsWith('.profile-empty'))
      .map((entry) => entry.name)
      .sort();
    if (files.length > 0) runs[relative] = readRun(folder, files);
    for (const entry of entries) if (entry.isDirectory()) visit(relative === '.' ? entry.name : `${relative}/${entry.name}`);
  };
  visit('.');
  return runs;
}
