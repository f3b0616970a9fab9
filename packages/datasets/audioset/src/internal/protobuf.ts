/**
 * A minimal protobuf wire-format reader and writer: just what tf.SequenceExample needs
 * (varints, length-delimited fields, fixed32 floats, packed and unpacked repeated fields).
 */
import { PolytaskError } from '@polytask/core';

/** One field of a message as read from the wire: varints as bigint, everything else as bytes. */
export interface WireField {
  readonly field: number;
  readonly wireType: 0 | 1 | 2 | 5;
  readonly value: bigint | Uint8Array;
}

/** The wire bytes are not a valid message; `position` is the byte offset within the message. */
export class ProtobufError extends PolytaskError {
  /** Byte offset of the problem within the message. */
  readonly position: number;

  constructor(problem: string, position: number) {
    super({ message: `${problem} at byte ${position} of the message`, context: { position } });
    this.name = 'ProtobufError';
    this.position = position;
  }

  static override isInstance(error: unknown): error is ProtobufError {
    return PolytaskError.isInstance(error) && error.name === 'ProtobufError';
  }
}

function readVarint(bytes: Uint8Array, start: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let position = start;
  for (;;) {
    if (position >= bytes.length) throw new ProtobufError('truncated varint', start);
    const byte = bytes[position++] as number;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: position };
    shift += 7n;
    if (shift > 63n) throw new ProtobufError('varint longer than 10 bytes', start);
  }
}

/** The fields of one message, in wire order. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let position = 0;
  while (position < bytes.length) {
    const key = readVarint(bytes, position);
    const field = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    position = key.next;
    if (wireType === 0) {
      const varint = readVarint(bytes, position);
      fields.push({ field, wireType, value: varint.value });
      position = varint.next;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (position + size > bytes.length) throw new ProtobufError(`truncated fixed${size * 8} field ${field}`, position);
      fields.push({ field, wireType, value: bytes.subarray(position, position + size) });
      position += size;
    } else if (wireType === 2) {
      const length = readVarint(bytes, position);
      const end = length.next + Number(length.value);
      if (end > bytes.length) throw new ProtobufError(`length-delimited field ${field} runs past the end`, position);
      fields.push({ field, wireType, value: bytes.subarray(length.next, end) });
      position = end;
    } else throw new ProtobufError(`unsupported wire type ${wireType} (field ${field})`, position);
  }
  return fields;
}

/** Repeated float32 values of `field`, packed or not. */
export function readFloats(fields: readonly WireField[], field: number): number[] {
  const values: number[] = [];
  for (const entry of fields) {
    if (entry.field !== field || typeof entry.value === 'bigint') continue;
    const view = new DataView(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength);
    if (entry.wireType === 5) values.push(view.getFloat32(0, true));
    else for (let offset = 0; offset + 4 <= entry.value.byteLength; offset += 4) values.push(view.getFloat32(offset, true));
  }
  return values;
}

/** Repeated int64 values of `field`, packed or not (as numbers; AudioSet's fit easily). */
export function readInt64s(fields: readonly WireField[], field: number): number[] {
  const values: number[] = [];
  for (const entry of fields) {
    if (entry.field !== field) continue;
    if (typeof entry.value === 'bigint') values.push(Number(BigInt.asIntN(64, entry.value)));
    else if (entry.wireType === 2) {
      let position = 0;
      while (position < entry.value.length) {
        const varint = readVarint(entry.value, position);
        values.push(Number(BigInt.asIntN(64, varint.value)));
        position = varint.next;
      }
    }
  }
  return values;
}

/** Length-delimited values (bytes, strings, sub-messages) of `field`. */
export function readBytes(fields: readonly WireField[], field: number): Uint8Array[] {
  return fields.filter((entry) => entry.field === field && entry.wireType === 2).map((entry) => entry.value as Uint8Array);
}
