/**
 * One AudioSet segment as the embedding release stores it: a `tf.SequenceExample` with context
 * features `video_id` (bytes), `start_time_seconds` and `end_time_seconds` (floats) and `labels`
 * (int64 class indices), and the feature list `audio_embedding`: one bytes feature of 128 uint8
 * per second, the PCA-whitened VGGish embedding quantised over [-2, 2].
 */
import type { FeatureMatrix } from '@polytask/core';
import { ProtoWriter } from '@polytask/results';
import { readBytes, readFields, readFloats, readInt64s, type WireField } from './internal/protobuf';

/** A decoded AudioSet segment. */
export interface AudiosetSegment {
  /** YouTube video id. */
  readonly videoId: string;
  /** Segment start in the video, in seconds. */
  readonly startTimeSeconds: number;
  /** Segment end in the video, in seconds (usually start + 10). */
  readonly endTimeSeconds: number;
  /** Positive class indices (rows of `class_labels_indices.csv`). */
  readonly labels: readonly number[];
  /** Quantised embeddings, one 128-byte vector per second. */
  readonly embeddings: readonly Uint8Array[];
}

/** Bytes per quantised VGGish embedding. */
export const audiosetEmbeddingSize = 128;

// SequenceExample { Features context = 1; FeatureLists feature_lists = 2; }
// Features { map<string, Feature> feature = 1; }      FeatureLists { map<string, FeatureList> feature_list = 1; }
// Feature { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } (each list: repeated value = 1)
// FeatureList { repeated Feature feature = 1; }         map entries: key = 1, value = 2

function mapEntries(fields: readonly WireField[]): Map<string, WireField[]> {
  const entries = new Map<string, WireField[]>();
  const decoder = new TextDecoder();
  for (const entry of readBytes(fields, 1)) {
    const inner = readFields(entry);
    const key = readBytes(inner, 1)[0];
    const value = readBytes(inner, 2)[0];
    if (key) entries.set(decoder.decode(key), value ? readFields(value) : []);
  }
  return entries;
}

function featureKind(feature: readonly WireField[] | undefined, kind: 1 | 2 | 3): WireField[] {
  const list = feature ? readBytes(feature, kind)[0] : undefined;
  return list ? readFields(list) : [];
}

/**
 * Decodes one serialised `tf.SequenceExample` of the release.
 * @throws PolytaskError (named `ProtobufError`, with the byte position) when the bytes are not a valid message.
 */
export function decodeAudiosetSegment(bytes: Uint8Array): AudiosetSegment {
  const message = readFields(bytes);
  const context = mapEntries(readFields(readBytes(message, 1)[0] ?? new Uint8Array()));
  const featureLists = mapEntries(readFields(readBytes(message, 2)[0] ?? new Uint8Array()));
  const videoId = readBytes(featureKind(context.get('video_id'), 1), 1)[0];
  const embeddingList = featureLists.get('audio_embedding') ?? [];
  return {
    videoId: videoId ? new TextDecoder().decode(videoId) : '',
    startTimeSeconds: readFloats(featureKind(context.get('start_time_seconds'), 2), 1)[0] ?? 0,
    endTimeSeconds: readFloats(featureKind(context.get('end_time_seconds'), 2), 1)[0] ?? 0,
    labels: readInt64s(featureKind(context.get('labels'), 3), 1),
    embeddings: readBytes(embeddingList, 1).map((feature) => readBytes(featureKind(readFields(feature), 1), 1)[0] ?? new Uint8Array()),
  };
}

function feature(kind: 'bytes' | 'float' | 'int64', values: readonly (Uint8Array | string | number)[]): Uint8Array {
  const list = new ProtoWriter();
  for (const value of kind === 'bytes' ? values : [])
    if (typeof value === 'string') list.string(1, value, true);
    else list.bytes(1, value as Uint8Array, true);
  if (kind === 'float') list.packedFloats(1, values as number[], true);
  if (kind === 'int64') list.packedInt64s(1, values as number[], true);
  return new ProtoWriter().bytes(kind === 'bytes' ? 1 : kind === 'float' ? 2 : 3, list.finish(), true).finish();
}

function mapEntry(key: string, value: Uint8Array): Uint8Array {
  return new ProtoWriter().string(1, key, true).bytes(2, value, true).finish();
}

/** Encodes a segment as the release's `tf.SequenceExample` bytes (for fixtures and tests). */
export function encodeAudiosetSegment(segment: AudiosetSegment): Uint8Array {
  const context = new ProtoWriter()
    .bytes(1, mapEntry('video_id', feature('bytes', [segment.videoId])), true)
    .bytes(1, mapEntry('start_time_seconds', feature('float', [segment.startTimeSeconds])), true)
    .bytes(1, mapEntry('end_time_seconds', feature('float', [segment.endTimeSeconds])), true)
    .bytes(1, mapEntry('labels', feature('int64', segment.labels)), true)
    .finish();
  const embeddingList = new ProtoWriter();
  for (const embedding of segment.embeddings) embeddingList.bytes(1, feature('bytes', [embedding]), true);
  const featureLists = new ProtoWriter().bytes(1, mapEntry('audio_embedding', embeddingList.finish()), true).finish();
  return new ProtoWriter().bytes(1, context, true).bytes(2, featureLists, true).finish();
}

/**
 * Dequantises the release's embeddings to `[seconds, 128]` floats: the release clipped each
 * PCA-whitened value to [-2, 2] and mapped it linearly onto 0-255, so `value * 4 / 255 - 2`.
 */
export function dequantizeEmbeddings(embeddings: readonly Uint8Array[]): FeatureMatrix {
  const size = embeddings[0]?.length ?? audiosetEmbeddingSize;
  const data = new Float32Array(embeddings.length * size);
  embeddings.forEach((embedding, second) => {
    for (let index = 0; index < size; index++) data[second * size + index] = ((embedding[index] as number) * 4) / 255 - 2;
  });
  return { data, shape: [embeddings.length, size] };
}

/** Quantises float embeddings as the release did (clip to [-2, 2], scale to 0-255, truncate): the inverse of {@link dequantizeEmbeddings} up to rounding. */
export function quantizeEmbedding(values: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: values.length }, (_, index) => {
    const clipped = Math.min(2, Math.max(-2, values[index] as number));
    return Math.floor((clipped + 2) * (255 / 4));
  });
}
