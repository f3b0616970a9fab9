/** A least-recently-used cache bounded by total size (bytes), not entry count. */
export class LruCache<Value> {
  private readonly entries = new Map<number, { value: Value; size: number }>();
  private total = 0;

  constructor(private readonly capacity: number) {}

  get(key: number): Value | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: number, value: Value, size: number): void {
    if (size > this.capacity) return;
    const existing = this.entries.get(key);
    if (existing) {
      this.total -= existing.size;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.capacity) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }

  /** Bytes held. */
  get size(): number {
    return this.total;
  }
}
