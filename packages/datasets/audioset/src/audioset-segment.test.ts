import { ProtoWriter } from '@polytask/results';
import { describe, expect, it } from 'vitest';
import { decodeAudiosetSegment, dequantizeEmbeddings, encodeAudiosetSegment, quantizeEmbedding } from './audioset-segment';

describe('AudioSet SequenceExample', () => {
  it('round-trips a segment through our encoder and decoder', () => {
    const segment = {
      videoId: '-0RWZT-miFs',
      startTimeSeconds: 420,
      endTimeSeconds: 430,
      labels: [0, 137, 526],
      embeddings: [Uint8Array.from({ length: 128 }, (_, index) => index), Uint8Array.from({ length: 128 }, (_, index) => 255 - index)],
    };
    const decoded = decodeAudiosetSegment(encodeAudiosetSegment(segment));
    expect(decoded.videoId).toBe(segment.videoId);
    expect([decoded.startTimeSeconds, decoded.endTimeSeconds]).toEqual([420, 430]);
    expect(decoded.labels).toEqual([0, 137, 526]);
    expect(decoded.embeddings.map((embedding) => Array.from(embedding))).toEqual(
      segment.embeddings.map((embedding) => Array.from(embedding)),
    );
  });

  it('reads unpacked int64 and float lists too, as other writers may emit them', () => {
    // Feature { float_list { value: 10 } } with the value as an unpacked fixed32
    const floatFeature = new Uint8Array([0x12, 0x05, 0x0d, 0x00, 0x00, 0x20, 0x41]);
    // Feature { int64_list { value: 5 value: 137 } } unpacked (two varint fields)
    const labelsFeature = new ProtoWriter().bytes(3, new Uint8Array([0x08, 0x05, 0x08, 0x89, 0x01])).finish();
    const entry = (key: string, value: Uint8Array) => new ProtoWriter().string(1, key, true).bytes(2, value, true).finish();
    const context = new ProtoWriter().bytes(1, entry('labels', labelsFeature)).bytes(1, entry('start_time_seconds', floatFeature)).finish();
    const decoded = decodeAudiosetSegment(new ProtoWriter().bytes(1, context).finish());
    expect(decoded.labels).toEqual([5, 137]);
    expect(decoded.startTimeSeconds).toBe(10);
    expect(decoded.embeddings).toEqual([]);
  });

  it('dequantises as value * 4 / 255 - 2, the inverse of the release quantisation up to one step', () => {
    const values = [-3, -2, -0.5, 0, 0.77, 1.99, 2, 5];
    const bytes = quantizeEmbedding(values);
    expect(Array.from(bytes)).toEqual([0, 0, 95, 127, 176, 254, 255, 255]);
    const restored = dequantizeEmbeddings([bytes]);
    expect(restored.shape).toEqual([1, 8]);
    for (const [index, value] of values.entries())
      expect(Math.abs((restored.data[index] as number) - Math.min(2, Math.max(-2, value)))).toBeLessThanOrEqual(4 / 255 + 1e-6);
  });
});
