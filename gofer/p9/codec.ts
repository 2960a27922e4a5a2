/**
 * Serializer and incremental parser for 9P2000.L frames, driven by the
 * layouts in schema.ts. Both the Gofer (parses T, writes R) and the
 * Sentry's client (writes T, parses R) use this one codec.
 */
import { HEADER_SIZE, Qid } from './types';
import { Kind, KindValue, layoutOf, Message } from './schema';

/** A frame that cannot be encoded or decoded (bad size, truncated body, unknown type). */
export class P9FormatError extends Error {
  override name = 'P9FormatError';
}

const QID_SIZE = 13;

function strSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 0xffff) throw new P9FormatError(`string of ${n} bytes is too long`);
  return 2 + n;
}

function fieldSize(kind: Kind, v: unknown): number {
  switch (kind) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
      return 4;
    case 'u64':
      return 8;
    case 'qid':
      return QID_SIZE;
    case 'str':
      return strSize(v as string);
    case 'strs':
      return (v as string[]).reduce((n, s) => n + strSize(s), 2);
    case 'qids':
      return 2 + QID_SIZE * (v as Qid[]).length;
    case 'data':
      return 4 + (v as Buffer).length;
  }
}

/** Sequential little-endian writer over a preallocated buffer. */
export class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  u8(v: number): void {
    this.pos = this.buf.writeUInt8(v, this.pos);
  }
  u16(v: number): void {
    this.pos = this.buf.writeUInt16LE(v, this.pos);
  }
  u32(v: number): void {
    this.pos = this.buf.writeUInt32LE(v >>> 0, this.pos);
  }
  u64(v: bigint): void {
    this.pos = this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
  }
  str(s: string): void {
    const n = this.buf.write(s, this.pos + 2, 'utf8');
    this.u16(n);
    this.pos += n;
  }
  qid(q: Qid): void {
    this.u8(q.type);
    this.u32(q.version);
    this.u64(q.path);
  }
  field(kind: Kind, v: unknown): void {
    switch (kind) {
      case 'u8':
      case 'u16':
      case 'u32':
        this[kind](v as number);
        return;
      case 'u64':
        this.u64(v as bigint);
        return;
      case 'str':
        this.str(v as string);
        return;
      case 'qid':
        this.qid(v as Qid);
        return;
      case 'strs':
        this.u16((v as string[]).length);
        for (const s of v as string[]) this.str(s);
        return;
      case 'qids':
        this.u16((v as Qid[]).length);
        for (const q of v as Qid[]) this.qid(q);
        return;
      case 'data':
        this.u32((v as Buffer).length);
        this.pos += (v as Buffer).copy(this.buf, this.pos);
        return;
    }
  }
}

/** Sequential reader; every read is bounds-checked and throws P9FormatError when short. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new P9FormatError('truncated message');
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.buf.readUInt8(this.need(1));
  }
  u16(): number {
    return this.buf.readUInt16LE(this.need(2));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.need(8));
  }
  str(): string {
    const n = this.u16();
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }
  qid(): Qid {
    return { type: this.u8(), version: this.u32(), path: this.u64() };
  }
  /** Bytes without copying (a view into the frame). */
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  field(kind: Kind): KindValue<Kind> {
    switch (kind) {
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64':
      case 'str':
      case 'qid':
        return this[kind]();
      case 'strs':
        return Array.from({ length: this.u16() }, () => this.str());
      case 'qids':
        return Array.from({ length: this.u16() }, () => this.qid());
      case 'data':
        return this.bytes(this.u32());
    }
  }
}

/** Encodes one message as a complete frame (size[4] type[1] tag[2] body). */
export function encode(tag: number, msg: Message): Buffer {
  const layout = layoutOf(msg.type);
  if (!layout) throw new P9FormatError(`unknown message type ${msg.type}`);
  const fields = msg as unknown as Record<string, unknown>;
  let size = HEADER_SIZE;
  for (const [name, kind] of layout) size += fieldSize(kind, fields[name]);
  const w = new Writer(Buffer.allocUnsafe(size));
  w.u32(size);
  w.u8(msg.type);
  w.u16(tag);
  for (const [name, kind] of layout) w.field(kind, fields[name]);
  return w.buf;
}

/** A size-delimited frame whose body has not been decoded yet. */
export interface RawFrame {
  type: number;
  tag: number;
  body: Buffer;
}

/** Decodes a frame body; throws P9FormatError on unknown type, short or overlong body. */
export function decode(frame: RawFrame): Message {
  const layout = layoutOf(frame.type);
  if (!layout) throw new P9FormatError(`unknown message type ${frame.type}`);
  const r = new Reader(frame.body);
  const msg: Record<string, unknown> = { type: frame.type };
  for (const [name, kind] of layout) msg[name] = r.field(kind);
  if (r.remaining !== 0) throw new P9FormatError(`${r.remaining} trailing bytes`);
  return msg as unknown as Message;
}

/**
 * Splits a byte stream into frames. Keeps partial frames across push()
 * calls. A size below the header or above maxSize means the stream cannot
 * be resynchronised: push() throws P9FormatError and the caller must drop
 * the connection.
 */
export class FrameParser {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes needed before the next frame can complete (avoids re-concatenating big frames per chunk). */
  private need = 4;

  constructor(public maxSize: number) {}

  push(chunk: Buffer): RawFrame[] {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    if (this.pendingLen < this.need) return [];
    const buf = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingLen);
    const frames: RawFrame[] = [];
    let at = 0;
    this.need = 4;
    while (buf.length - at >= 4) {
      const size = buf.readUInt32LE(at);
      if (size < HEADER_SIZE || size > this.maxSize) {
        throw new P9FormatError(`bad frame size ${size}`);
      }
      if (buf.length - at < size) {
        this.need = size;
        break;
      }
      frames.push({ type: buf[at + 4], tag: buf.readUInt16LE(at + 5), body: buf.subarray(at + HEADER_SIZE, at + size) });
      at += size;
    }
    const rest = buf.subarray(at);
    this.pending = rest.length ? [rest] : [];
    this.pendingLen = rest.length;
    return frames;
  }
}
