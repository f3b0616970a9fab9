/**
 * Everything a run folder says, read back into one comparable value: metrics records (without
 * timings), fold results, summary, the retained checkpoints' contents, confusion matrices, and
 * every TensorBoard event file as TensorBoard would read it (per run folder and tag: steps and
 * values; HParams session starts and ends with their statuses). Two runs with equal fingerprints
 * are indistinguishable to a user.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A protobuf message as field number → raw values (varints as bigint, the rest as bytes). */
type Fields = Map<number, (bigint | Uint8Array)[]>;

function decode(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[offset++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    const take = (length: number) => {
      offset += length;
      return bytes.subarray(offset - length, offset);
    };
    let value: bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) value = take(8);
    else if (wire === 5) value = take(4);
    else if (wire === 2) value = take(Number(varint()));
    else throw new Error(`unsupported wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const bytesOf = (fields: Fields, field: number) => fields.get(field)?.[0] as Uint8Array | undefined;
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : '');
const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** The records of a TFRecord file (length, masked CRC, payload, masked CRC); a torn tail is dropped as TensorBoard does. */
function records(file: string): Uint8Array[] {
  const data = new Uint8Array(readFileSync(file));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const found: Uint8Array[] = [];
  let offset = 0;
  while (offset + 12 <= data.length) {
    const length = Number(view.getBigUint64(offset, true));
    if (offset + 16 + length > data.length) break;
    found.push(data.subarray(offset + 12, offset + 12 + length));
    offset += 16 + length;
  }
  return found;
}

/** What one event says, without its wall time. */
function describeEvent(payload: Uint8Array): string | undefined {
  const event = decode(payload);
  const step = (event.get(2)?.[0] as bigint | undefined) ?? 0n;
  // the file header (brain.Event:2) starts each file; how many files a run has is not what TensorBoard shows
  if (event.has(3)) return undefined;
  const summary = bytesOf(event, 5);
  if (!summary) return undefined;
  return (decode(summary).get(1) ?? [])
    .map((raw) => {
      const value = decode(raw as Uint8Array);
      const tag = text(bytesOf(value, 1));
      const tensor = decode(bytesOf(value, 8) ?? new Uint8Array());
      const plugin = bytesOf(value, 9) && bytesOf(decode(bytesOf(value, 9) as Uint8Array), 1);
      const content = plugin && bytesOf(decode(plugin), 2);
      if (tag.startsWith('_hparams_/') && content) {
        const data = decode(content);
        const start = bytesOf(data, 3);
        if (start) {
          const info = decode(start);
          const hparams = (info.get(1) ?? [])
            .map((entry) => {
              const pair = decode(entry as Uint8Array);
              return `${text(bytesOf(pair, 1))}=${digest(bytesOf(pair, 2) ?? new Uint8Array())}`;
            })
            .sort();
          return `${tag} group=${text(bytesOf(info, 4))} ${hparams.join(',')}`;
        }
        const end = bytesOf(data, 4);
        if (end) return `${tag} status=${(decode(end).get(1)?.[0] as bigint | undefined) ?? 0n}`;
        return `${tag} ${digest(content)}`;
      }
      const floats = bytesOf(tensor, 5);
      if (floats && floats.length === 4) return `${tag}@${step} ${new DataView(floats.buffer, floats.byteOffset).getFloat32(0, true)}`;
      return `${tag}@${step} ${digest(bytesOf(tensor, 8) ?? bytesOf(tensor, 4) ?? new Uint8Array())}`;
    })
    .join(' | ');
}

/** Every event of every event file under `directory`, per run folder (files in name order, as TensorBoard reads them). */
export function readEventFiles(directory: string): Record<string, string[]> {
  const runs: Record<string, string[]> = {};
  if (!existsSync(directory)) return runs;
  const files = (readdirSync(directory, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((entry) => path.basename(entry).startsWith('events.out.tfevents.'))
    .sort();
  for (const file of files) {
    const run = path.dirname(file);
    const events = records(path.join(directory, file))
      .map(describeEvent)
      .filter((event): event is string => event !== undefined);
    runs[run] = [...(runs[run] ?? []), ...events];
  }
  return runs;
}

const readJson = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

/** The metrics records of a metrics.jsonl, without the timings. */
function metricsRecords(file: string): unknown[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { seconds: _seconds, ...record } = JSON.parse(line) as Record<string, unknown>;
      return record;
    });
}

/** The fingerprint of a run folder (see the module comment). */
export function runFingerprint(runDirectory: string) {
  const all = readdirSync(runDirectory, { recursive: true, encoding: 'utf8' }) as string[];
  const checkpoints = all
    .filter((entry) => /(^|\/)checkpoints\/fold-\d+\/epoch-\d+\/(weights\.bin|optimizer\.bin|state\.json)$/.test(entry))
    .sort()
    .map((entry) => {
      const file = path.join(runDirectory, entry);
      if (!entry.endsWith('state.json')) return `${entry} ${digest(readFileSync(file))}`;
      // the observers' part names event files (time stamp, pid) and their lengths: what the logs hold is compared below
      const { observers: _observers, ...state } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      return `${entry} ${JSON.stringify(state)}`;
    });
  const confusion = all
    .filter((entry) => entry.includes('confusion/') && entry.endsWith('.json'))
    .sort()
    .map((entry) => `${entry} ${digest(readFileSync(path.join(runDirectory, entry)))}`);
  const baselines = path.join(runDirectory, 'baselines');
  const summary = readJson(path.join(runDirectory, 'summary.json'));
  return {
    metrics: metricsRecords(path.join(runDirectory, 'metrics.jsonl')),
    csv: existsSync(path.join(runDirectory, 'metrics.csv')) ? readFileSync(path.join(runDirectory, 'metrics.csv'), 'utf8') : undefined,
    baselineMetrics: existsSync(baselines)
      ? Object.fromEntries(readdirSync(baselines).map((task) => [task, metricsRecords(path.join(baselines, task, 'metrics.jsonl'))]))
      : {},
    folds: all
      .filter((entry) => /^fold-\d+\.result\.json$/.test(entry))
      .sort()
      .map((entry) => [entry, readJson(path.join(runDirectory, entry))]),
    summary,
    summaryMarkdown: existsSync(path.join(runDirectory, 'summary.md'))
      ? readFileSync(path.join(runDirectory, 'summary.md'), 'utf8')
      : undefined,
    checkpoints,
    confusion,
    tensorboard: process.env.FAULTS_IGNORE_TB ? {} : readEventFiles(path.join(runDirectory, 'tensorboard')),
    temporaries: all.filter((entry) => /\.tmp-|\.old-/.test(entry)),
  };
}
