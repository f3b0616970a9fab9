/**
 * A TensorBoard event-file writer with no TensorFlow: TFRecord framing with masked
 * CRC-32C, hand-encoded protobuf `Event`s, the first record `brain.Event:2`, scalars as
 * rank-0 DT_FLOAT tensors (plugin `scalars`), images, text, histograms and the HParams
 * plugin's experiment / session summaries. Records are appended whole; a process killed
 * mid-write leaves a file whose complete records all read back. Usable on its own.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, StorageError } from '@polytask/core';
import { maskedCrc32c } from './internal/crc32c';
import { ProtoWriter } from './internal/protobuf';

const dataTypes = { float: 1, double: 2, string: 7 } as const;
const dataClasses = { scalar: 1, tensor: 2, blobSequence: 3 } as const;

/** A hyperparameter value shown in TensorBoard's HParams view. */
export type HparamValue = string | number | boolean;

/** Options of {@link createTensorBoardWriter}. */
export interface TensorBoardWriterOptions {
  /** The run directory (created if needed); TensorBoard's `--logdir` is usually its parent. */
  readonly directory: string;
  /** Write buffered records to disk after this many. @default 20 */
  readonly flushEveryRecords?: number;
  /** ...or when the oldest buffered record is this old. @default 2000 ms */
  readonly flushIntervalMs?: number;
  /** Clock in seconds (tests). @default Date.now() / 1000 */
  readonly now?: () => number;
  /**
   * Append to this existing event file instead of opening a new one in `directory` (no second
   * `brain.Event:2` record): continues a file after a resume truncated it to its last committed length.
   */
  readonly continueFile?: string;
}

/** Writes one event file. */
export interface TensorBoardWriter {
  /** Path of the event file. */
  readonly path: string;
  scalar(tag: string, value: number, step: number): void;
  /** A PNG image (`width` × `height`). */
  image(tag: string, png: Uint8Array, size: { width: number; height: number }, step: number): void;
  /** Markdown text. */
  text(tag: string, markdown: string, step: number): void;
  /** A histogram of `values` in `bins` equal-width buckets. @default bins 30 */
  histogram(tag: string, values: ArrayLike<number>, step: number, bins?: number): void;
  /** The HParams experiment: hyperparameter names (with their values' type) and metric tags. */
  hparamsExperiment(options: { hparams: Readonly<Record<string, HparamValue>>; metrics: readonly string[]; description?: string }): void;
  /** Starts a session (this run) with its hyperparameter values. */
  hparamsSessionStart(hparams: Readonly<Record<string, HparamValue>>, groupName?: string): void;
  /** Ends the session. */
  hparamsSessionEnd(status: 'success' | 'failure' | 'running'): void;
  flush(): void;
  close(): void;
}

let fileCounter = 0;

function frame(payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(16 + payload.length);
  const view = new DataView(record.buffer);
  view.setBigUint64(0, BigInt(payload.length), true);
  view.setUint32(8, maskedCrc32c(record.subarray(0, 8)), true);
  record.set(payload, 12);
  view.setUint32(12 + payload.length, maskedCrc32c(payload), true);
  return record;
}

function pluginMetadata(pluginName: string, dataClass: number, content?: Uint8Array): ProtoWriter {
  const pluginData = new ProtoWriter().string(1, pluginName);
  if (content) pluginData.bytes(2, content);
  return new ProtoWriter().message(1, pluginData).int(4, dataClass);
}

function shape(dimensions: readonly number[]): ProtoWriter {
  const writer = new ProtoWriter();
  for (const size of dimensions) writer.message(2, new ProtoWriter().int(1, size), true);
  return writer;
}

/** A `google.protobuf.Value` (a oneof, so zero and false are written explicitly). */
function protoValue(value: HparamValue): ProtoWriter {
  if (typeof value === 'number') return new ProtoWriter().double(2, value, true);
  if (typeof value === 'boolean') return new ProtoWriter().int(4, value ? 1 : 0, true);
  return new ProtoWriter().bytes(3, new TextEncoder().encode(value), true);
}

/**
 * Opens a new event file in `directory` (or continues `continueFile`).
 * @example const writer = createTensorBoardWriter({ directory: 'runs/exp/tensorboard/train' }); writer.scalar('loss', 0.7, 1);
 */
export function createTensorBoardWriter(options: TensorBoardWriterOptions): TensorBoardWriter {
  const now = options.now ?? (() => Date.now() / 1000);
  const flushEvery = options.flushEveryRecords ?? 20;
  const flushInterval = options.flushIntervalMs ?? 2000;
  const seconds = Math.floor(now());
  const file =
    options.continueFile ??
    path.join(
      options.directory,
      `events.out.tfevents.${String(seconds).padStart(10, '0')}.${os.hostname()}.${process.pid}.${fileCounter++}`,
    );
  let descriptor: number | undefined;
  try {
    mkdirSync(options.directory, { recursive: true });
    descriptor = openSync(file, 'a');
  } catch (error) {
    throw StorageError.from(error, { path: file, what: 'the TensorBoard log', fix: 'then continue with polytask resume <run folder>' });
  }
  const pending: Uint8Array[] = [];
  let oldest = 0;
  const lastStep = new Map<string, number>();
  const described = new Set<string>();

  const flush = () => {
    if (descriptor === undefined || pending.length === 0) return;
    const total = pending.reduce((sum, record) => sum + record.length, 0);
    const buffer = new Uint8Array(total);
    let offset = 0;
    for (const record of pending) {
      buffer.set(record, offset);
      offset += record.length;
    }
    let written = 0;
    try {
      while (written < buffer.length) written += writeSync(descriptor, buffer, written, buffer.length - written);
    } catch (error) {
      // a torn record at the end is skipped by readers, and cut off by a resume (the commit holds the file's length)
      throw StorageError.from(error, { path: file, what: 'the TensorBoard log', fix: 'then continue with polytask resume <run folder>' });
    }
    pending.length = 0;
  };
  const append = (event: ProtoWriter) => {
    if (descriptor === undefined)
      throw new InvalidArgumentError({ argument: 'writer', value: file, message: `The TensorBoard writer of ${file} is closed.` });
    if (pending.length === 0) oldest = Date.now();
    pending.push(frame(event.finish()));
    if (pending.length >= flushEvery || Date.now() - oldest >= flushInterval) flush();
  };
  const checkStep = (tag: string, step: number) => {
    if (!Number.isSafeInteger(step) || step < 0)
      throw new InvalidArgumentError({
        argument: 'step',
        value: step,
        message: `Step of "${tag}" must be a non-negative integer, got ${step}.`,
      });
    const previous = lastStep.get(tag);
    if (previous !== undefined && step <= previous) {
      throw new InvalidArgumentError({
        argument: 'step',
        value: step,
        message: `Steps of "${tag}" must strictly increase (TensorBoard drops earlier points otherwise): got ${step} after ${previous}.`,
      });
    }
    lastStep.set(tag, step);
  };
  const summaryEvent = (tag: string, step: number, tensor: ProtoWriter, metadata: () => ProtoWriter) => {
    checkStep(tag, step);
    const value = new ProtoWriter().string(1, tag);
    if (!described.has(tag)) {
      value.message(9, metadata());
      described.add(tag);
    }
    value.message(8, tensor, true);
    append(new ProtoWriter().double(1, now()).int(2, step).message(5, new ProtoWriter().message(1, value)));
  };
  const hparamsEvent = (tag: string, data: ProtoWriter) => {
    const value = new ProtoWriter()
      .string(1, tag)
      .message(9, pluginMetadata('hparams', dataClasses.tensor, data.finish()))
      .message(8, new ProtoWriter().int(1, dataTypes.float).message(2, shape([0]), true), true);
    append(new ProtoWriter().double(1, now()).message(5, new ProtoWriter().message(1, value)));
  };

  if (options.continueFile === undefined) {
    append(new ProtoWriter().double(1, now()).string(3, 'brain.Event:2').message(10, new ProtoWriter().string(1, 'polytask')));
    flush();
  }

  return {
    path: file,
    scalar(tag, value, step) {
      if (!Number.isFinite(value))
        throw new InvalidArgumentError({
          argument: 'value',
          value,
          message: `Scalar "${tag}" at step ${step} is ${value}; only finite values are written.`,
        });
      summaryEvent(tag, step, new ProtoWriter().int(1, dataTypes.float).message(2, shape([]), true).packedFloats(5, [value]), () =>
        pluginMetadata('scalars', dataClasses.scalar),
      );
    },
    image(tag, png, size, step) {
      const tensor = new ProtoWriter()
        .int(1, dataTypes.string)
        .message(2, shape([3]), true)
        .string(8, String(size.width))
        .string(8, String(size.height))
        .bytes(8, png, true);
      summaryEvent(tag, step, tensor, () => pluginMetadata('images', dataClasses.blobSequence));
    },
    text(tag, markdown, step) {
      summaryEvent(
        tag,
        step,
        new ProtoWriter().int(1, dataTypes.string).message(2, shape([]), true).bytes(8, new TextEncoder().encode(markdown), true),
        () => pluginMetadata('text', dataClasses.tensor),
      );
    },
    histogram(tag, values, step, bins = 30) {
      let minimum = Number.POSITIVE_INFINITY;
      let maximum = Number.NEGATIVE_INFINITY;
      for (let index = 0; index < values.length; index++) {
        const value = values[index] as number;
        if (!Number.isFinite(value)) continue;
        minimum = Math.min(minimum, value);
        maximum = Math.max(maximum, value);
      }
      const rows = values.length === 0 || minimum === Number.POSITIVE_INFINITY ? 0 : minimum === maximum ? 1 : bins;
      const content = new Float64Array(rows * 3);
      if (rows === 1) content.set([minimum - 0.5, maximum + 0.5, values.length]);
      else if (rows > 1) {
        const width = (maximum - minimum) / bins;
        for (let bucket = 0; bucket < bins; bucket++)
          content.set([minimum + bucket * width, bucket === bins - 1 ? maximum : minimum + (bucket + 1) * width, 0], bucket * 3);
        for (let index = 0; index < values.length; index++) {
          const value = values[index] as number;
          if (!Number.isFinite(value)) continue;
          const bucket = Math.min(bins - 1, Math.floor((value - minimum) / width));
          content[bucket * 3 + 2] = (content[bucket * 3 + 2] as number) + 1;
        }
      }
      const tensor = new ProtoWriter()
        .int(1, dataTypes.double)
        .message(2, shape([rows, 3]), true)
        .bytes(4, new Uint8Array(content.buffer));
      summaryEvent(tag, step, tensor, () => pluginMetadata('histograms', dataClasses.tensor));
    },
    hparamsExperiment({ hparams, metrics, description }) {
      const experiment = new ProtoWriter();
      if (description) experiment.string(1, description);
      for (const [name, value] of Object.entries(hparams)) {
        experiment.message(4, new ProtoWriter().string(1, name).int(4, typeof value === 'string' ? 1 : typeof value === 'boolean' ? 2 : 3));
      }
      for (const metric of metrics) experiment.message(5, new ProtoWriter().message(1, new ProtoWriter().string(2, metric)));
      hparamsEvent('_hparams_/experiment', new ProtoWriter().message(2, experiment, true));
    },
    hparamsSessionStart(hparams, groupName = '') {
      const start = new ProtoWriter();
      for (const [name, value] of Object.entries(hparams))
        start.message(1, new ProtoWriter().string(1, name).message(2, protoValue(value), true));
      start.string(4, groupName).double(5, now());
      hparamsEvent('_hparams_/session_start_info', new ProtoWriter().message(3, start, true));
    },
    hparamsSessionEnd(status) {
      const end = new ProtoWriter().int(1, { success: 1, failure: 2, running: 3 }[status]).double(2, now());
      hparamsEvent('_hparams_/session_end_info', new ProtoWriter().message(4, end, true));
    },
    flush,
    close() {
      flush();
      if (descriptor !== undefined) closeSync(descriptor);
      descriptor = undefined;
    },
  };
}
