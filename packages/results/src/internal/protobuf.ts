/** A minimal protobuf encoder: what TensorBoard's Event messages and tf.SequenceExample fixtures need. */
const encoder = new TextEncoder();

/** Builds one message; nested messages are built separately and added as bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private varint(value: bigint | number): this {
    let remaining = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (remaining > 0n);
    return this.push(Uint8Array.from(bytes));
  }

  private key(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  /** int32/int64/enum/bool; zero is omitted (proto3 default) unless `keepZero` (a oneof member). */
  int(field: number, value: number | bigint, keepZero = false): this {
    if ((value === 0 || value === 0n) && !keepZero) return this;
    return this.key(field, 0).varint(value);
  }

  double(field: number, value: number, keepZero = false): this {
    if (value === 0 && !keepZero) return this;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.key(field, 1).push(bytes);
  }

  /** Length-delimited bytes (also strings and sub-messages); empty values are omitted unless `keepEmpty`. */
  bytes(field: number, value: Uint8Array, keepEmpty = false): this {
    if (value.length === 0 && !keepEmpty) return this;
    return this.key(field, 2).varint(value.length).push(value);
  }

  string(field: number, value: string, keepEmpty = false): this {
    return this.bytes(field, encoder.encode(value), keepEmpty);
  }

  message(field: number, message: ProtoWriter, keepEmpty = false): this {
    return this.bytes(field, message.finish(), keepEmpty);
  }

  /** Packed repeated float. */
  packedFloats(field: number, values: ArrayLike<number>, keepEmpty = false): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let index = 0; index < values.length; index++) view.setFloat32(index * 4, values[index] as number, true);
    return this.bytes(field, bytes, keepEmpty);
  }

  /** Packed repeated int64 (varints). */
  packedInt64s(field: number, values: ArrayLike<number | bigint>, keepEmpty = false): this {
    const inner = new ProtoWriter();
    for (let index = 0; index < values.length; index++) inner.varint(values[index] as number | bigint);
    return this.bytes(field, inner.finish(), keepEmpty);
  }

  finish(): Uint8Array {
    const result = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      result.set(chunk, offset);
      offset += chunk.length;
    }
    return result;
  }
}
