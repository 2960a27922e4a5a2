/** A FIFO of bytes: appends whole buffers, takes from the front. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // bytes already taken from chunks[0]
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Copies up to dst.length bytes out; returns how many. */
  take(dst: Buffer): number {
    let n = 0;
    while (n < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = c.copy(dst, n, this.head, Math.min(c.length, this.head + dst.length - n));
      n += k;
      this.head += k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
    return n;
  }

  /** Removes and returns everything. */
  drain(): Buffer {
    const all = Buffer.alloc(this.length);
    this.take(all);
    return all;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }
}
