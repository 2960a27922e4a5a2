/**
 * Byte queues of a TCP connection, kept as lists of the buffers the
 * application wrote or the network delivered, never copied into one big
 * ring: a send is copied once, from the chunks into the frame; a read one copy.
 */
import { releaseRx, retainRx } from '../rxslabs';
import type { Payload, SeqRange } from '../wire/tcp';


const EMPTY = Buffer.alloc(0);

/** `length` bytes from chunk `first` at `start` on. */
class ChunksView implements Payload {
  constructor(
    private readonly chunks: readonly Buffer[],
    private readonly first: number,
    private readonly start: number,
    readonly length: number,
  ) {}

  copy(target: Buffer, at: number): number {
    let copied = 0;
    let i = this.first;
    let s = this.start;
    while (copied < this.length) {
      const c = this.chunks[i];
      copied += c.copy(target, at + copied, s, Math.min(c.length, s + this.length - copied));
      s = 0;
      i++;
    }
    return copied;
  }
}

/** Buffers in order, consumed from the front. */
class ChunkList {
  protected chunks: Buffer[] = [];
  protected head = 0; // index of the first live chunk
  protected bytes = 0;

  get length(): number {
    return this.bytes;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.bytes += data.length;
  }

  /** Drops the consumed chunks now and then, so the array does not grow without bound; returns how many. */
  protected compact(): number {
    const n = this.head;
    if (n <= 64 || n * 2 <= this.chunks.length) return 0;
    this.chunks = this.chunks.slice(n);
    this.head = 0;
    return n;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
  }
}

/** Unacknowledged and unsent data, indexed from SND.UNA. */
export class SendQueue extends ChunkList {
  // A cursor for the sequential reads of the output path: chunk index and the offset where that chunk starts.
  private curIdx = 0;
  private curOff = 0;

  /**
   * Up to `len` bytes starting `offset` bytes after the front: a slice of
   * one chunk, or a view over several that copies them into the frame
   * being built (no joined copy first). Valid until the queue changes.
   */
  read(offset: number, len: number): Payload {
    const n = Math.min(len, this.bytes - offset);
    if (n <= 0) return EMPTY;
    if (offset < this.curOff || this.curIdx < this.head) {
      this.curIdx = this.head;
      this.curOff = 0;
    }
    while (this.curOff + this.chunks[this.curIdx].length <= offset) {
      this.curOff += this.chunks[this.curIdx].length;
      this.curIdx++;
    }
    const first = this.chunks[this.curIdx];
    const start = offset - this.curOff;
    if (start + n <= first.length) return first.subarray(start, start + n);
    return new ChunksView(this.chunks, this.curIdx, start, n);
  }

  /** Drops `n` acknowledged bytes from the front. */
  consume(n: number): void {
    let left = Math.min(n, this.bytes);
    this.bytes -= left;
    while (left > 0) {
      const c = this.chunks[this.head];
      if (c.length <= left) {
        left -= c.length;
        this.head++;
        this.curOff -= c.length;
      } else {
        this.chunks[this.head] = c.subarray(left);
        this.curOff -= left;
        left = 0;
      }
    }
    if (this.curOff < 0 || this.curIdx < this.head) {
      this.curIdx = this.head;
      this.curOff = 0;
    }
    this.curIdx -= this.compact();
  }

  override clear(): void {
    super.clear();
    this.curIdx = 0;
    this.curOff = 0;
  }
}

/**
 * In-order received data waiting for the application. Its buffers may be
 * views of a link's receive slabs (net/rxslabs.ts): the queue counts each
 * it holds, so the slab is not received into again before it is read.
 */
export class RecvQueue extends ChunkList {
  override push(data: Buffer): void {
    if (data.length === 0) return;
    retainRx(data);
    super.push(data);
  }

  /**
   * Up to `max` bytes as views of the queued buffers, in order (no copy);
   * `peek` leaves them queued. Views of taken data are to be copied at
   * once: their slab may be received into again once the link next reads.
   */
  take(max: number, peek: boolean): Buffer[] {
    const n = Math.min(max, this.bytes);
    const parts: Buffer[] = [];
    let taken = 0;
    let i = this.head;
    while (taken < n) {
      const c = this.chunks[i];
      const len = Math.min(c.length, n - taken);
      parts.push(len === c.length ? c : c.subarray(0, len));
      taken += len;
      if (!peek) {
        if (len === c.length) {
          releaseRx(c);
          // Not kept until the next compaction: the slab behind it would stay held that long.
          this.chunks[this.head++] = EMPTY;
        } else this.chunks[i] = c.subarray(len);
      }
      i++;
    }
    if (!peek) {
      this.bytes -= n;
      this.compact();
    }
    return parts;
  }

  override clear(): void {
    for (let i = this.head; i < this.chunks.length; i++) releaseRx(this.chunks[i]);
    super.clear();
  }
}

/** `view`, counted as kept (see net/rxslabs.ts). */
function retained(view: Buffer): Buffer {
  retainRx(view);
  return view;
}

interface OooSegment {
  seq: number;
  data: Buffer;
}

/**
 * Segments that arrived ahead of RCV.NXT, kept non-overlapping and sorted
 * (relative to RCV.NXT, so wraparound does not matter): duplicates add
 * nothing, so the total is bounded by the receive window.
 */
export class OutOfOrderQueue {
  private segs: OooSegment[] = [];
  private bytes = 0;
  /** Sequence of a FIN seen beyond RCV.NXT. */
  fin?: number;

  get length(): number {
    return this.bytes;
  }

  get empty(): boolean {
    return this.segs.length === 0;
  }

  /**
   * Adds `data` at `seq` (which is after `rcvNxt`), keeping only bytes not
   * already held; returns the first run of bytes that were held already
   * (what a D-SACK reports), or undefined.
   */
  insert(rcvNxt: number, seq: number, data: Buffer): SeqRange | undefined {
    const rel = (s: number) => (s - rcvNxt) >>> 0;
    const first = rel(seq);
    let start = first;
    const end = start + data.length;
    const out: OooSegment[] = [];
    let inserted = false;
    let repeated: SeqRange | undefined;
    for (const s of this.segs) {
      const ss = rel(s.seq);
      const se = ss + s.data.length;
      const from = Math.max(first, ss);
      const to = Math.min(end, se);
      if (!repeated && from < to) repeated = { start: (rcvNxt + from) >>> 0, end: (rcvNxt + to) >>> 0 };
      if (!inserted && start < end && start < ss) {
        // The part of the new data before this segment.
        const piece = data.subarray(start - first, Math.min(end, ss) - first);
        out.push({ seq: (seq + (start - first)) >>> 0, data: retained(piece) });
        this.bytes += piece.length;
        start = Math.min(end, ss);
      }
      out.push(s);
      if (start < se) start = Math.max(start, se);
      if (start >= end) inserted = true;
    }
    if (!inserted && start < end) {
      const piece = data.subarray(start - first, end - first);
      out.push({ seq: (seq + (start - first)) >>> 0, data: retained(piece) });
      this.bytes += piece.length;
    }
    this.segs = out;
    return repeated;
  }

  /**
   * Removes and returns the data that now continues `rcvNxt` (trimming
   * anything already received) and drops segments that fell behind it.
   * The queue no longer holds what it returns: the caller queues it at once.
   */
  take(rcvNxt: number): Buffer[] {
    const got: Buffer[] = [];
    let next = rcvNxt;
    while (this.segs.length > 0) {
      const s = this.segs[0];
      const behind = (next - s.seq) | 0;
      if (behind < 0) break;
      this.segs.shift();
      releaseRx(s.data);
      this.bytes -= s.data.length;
      if (behind < s.data.length) {
        const d = s.data.subarray(behind);
        got.push(d);
        next = (next + d.length) >>> 0;
      }
    }
    return got;
  }

  /**
   * SACK blocks (RFC 2018 4): contiguous runs of held data, the one holding
   * `recent` (the latest arrival) first.
   */
  sackBlocks(recent: number, max: number): { start: number; end: number }[] {
    const runs: { start: number; end: number }[] = [];
    for (const s of this.segs) {
      const end = (s.seq + s.data.length) >>> 0;
      const last = runs[runs.length - 1];
      if (last && last.end === s.seq) last.end = end;
      else runs.push({ start: s.seq, end });
    }
    const i = runs.findIndex((r) => ((recent - r.start) | 0) >= 0 && ((recent - r.end) | 0) < 0);
    if (i > 0) runs.unshift(...runs.splice(i, 1));
    return runs.slice(0, max);
  }

  clear(): void {
    for (const s of this.segs) releaseRx(s.data);
    this.segs = [];
    this.bytes = 0;
    this.fin = undefined;
  }
}
