/**
 * The last `limit` bytes of a stream, kept as the chunks that arrived (no copying on append).
 * The oldest chunk is cut when the total goes over the limit.
 */
export class ByteRing {
  private chunks: Buffer[] = [];
  private total = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.total;
  }

  append(chunk: Buffer): void {
    if (this.limit <= 0 || chunk.length === 0) return;
    if (chunk.length >= this.limit) {
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.total = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.total += chunk.length;
    while (this.total > this.limit) {
      const first = this.chunks[0];
      if (!first) break;
      const excess = this.total - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.total -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.total -= excess;
      }
    }
  }

  /** Everything kept, as one buffer. */
  bytes(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Everything kept, as text; a character cut at the front by the limit is left out. */
  text(): string {
    return this.wholeCharacters().toString("utf8");
  }

  /** Everything kept from the first whole character on: the bytes behind `text()`. */
  wholeCharacters(): Buffer {
    const bytes = this.bytes();
    let start = 0;
    // UTF-8 continuation bytes (10xxxxxx) at the front belong to a character that was cut.
    while (start < bytes.length && start < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
    return bytes.subarray(start);
  }

  clear(): void {
    this.chunks = [];
    this.total = 0;
  }
}
