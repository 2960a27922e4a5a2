// SPDY/3.1 frame layout (SPDY Protocol draft 3 section 2.2 and 2.6, plus the
// 3.1 session window): a parser that keeps partial frames between chunks, and
// one encoder per frame type. Header blocks stay compressed here; headers.ts
// owns the connection's zlib contexts.

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const MAX_FRAME_LENGTH = 0xffffff;
const HEADER_LENGTH = 8;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export const enum RstStatus {
  ProtocolError = 1,
  InvalidStream = 2,
  RefusedStream = 3,
  UnsupportedVersion = 4,
  Cancel = 5,
  InternalError = 6,
  FlowControlError = 7,
  StreamInUse = 8,
  StreamAlreadyClosed = 9,
  FrameTooLarge = 11,
}

export const enum GoAwayStatus {
  Ok = 0,
  ProtocolError = 1,
  InternalError = 2,
}

export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export interface SettingsEntry { flags: number; id: number; value: number }

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'synStream'; flags: number; streamId: number; associatedId: number; priority: number; slot: number; headerBlock: Buffer }
  | { kind: 'synReply'; flags: number; streamId: number; headerBlock: Buffer }
  | { kind: 'headers'; flags: number; streamId: number; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'settings'; flags: number; entries: SettingsEntry[] }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastGoodStreamId: number; status: number }
  | { kind: 'windowUpdate'; streamId: number; delta: number }
  | { kind: 'unknown'; type: number };

/** A frame the peer sent that cannot be read: the session must end with GOAWAY. */
export class SpdyProtocolError extends Error {}

const STREAM_ID_MASK = 0x7fffffff;

/**
 * Incremental frame reader: push() takes any slice of the byte stream and
 * returns the frames completed so far; a partial frame is kept for the next
 * chunk.
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_LENGTH) {
      const length = this.buf.readUIntBE(off + 5, 3);
      if (this.buf.length - off < HEADER_LENGTH + length) break;
      frames.push(parseFrame(this.buf.subarray(off, off + HEADER_LENGTH + length)));
      off += HEADER_LENGTH + length;
    }
    // Copy the remainder so a large consumed buffer is not kept alive by a small tail.
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  /** Bytes of an unfinished frame held back (a clean end of stream has none). */
  get pending(): number {
    return this.buf.length;
  }
}

function parseFrame(f: Buffer): Frame {
  const flags = f[4];
  const body = f.subarray(HEADER_LENGTH);
  if ((f[0] & 0x80) === 0) {
    return { kind: 'data', streamId: f.readUInt32BE(0) & STREAM_ID_MASK, flags, data: body };
  }
  const version = f.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = f.readUInt16BE(2);
  const need = (n: number): void => {
    if (body.length < n) throw new SpdyProtocolError(`control frame type ${type} too short (${body.length} bytes)`);
  };
  switch (type) {
    case ControlType.SynStream:
      need(10);
      return {
        kind: 'synStream', flags,
        streamId: body.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: body.readUInt32BE(4) & STREAM_ID_MASK,
        priority: body[8] >> 5,
        slot: body[9],
        headerBlock: body.subarray(10),
      };
    case ControlType.SynReply:
      need(4);
      return { kind: 'synReply', flags, streamId: body.readUInt32BE(0) & STREAM_ID_MASK, headerBlock: body.subarray(4) };
    case ControlType.Headers:
      need(4);
      return { kind: 'headers', flags, streamId: body.readUInt32BE(0) & STREAM_ID_MASK, headerBlock: body.subarray(4) };
    case ControlType.RstStream:
      need(8);
      return { kind: 'rstStream', streamId: body.readUInt32BE(0) & STREAM_ID_MASK, status: body.readUInt32BE(4) };
    case ControlType.Settings: {
      need(4);
      const count = body.readUInt32BE(0);
      if (body.length !== 4 + count * 8) throw new SpdyProtocolError(`SETTINGS with ${count} entries has ${body.length} bytes`);
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const o = 4 + i * 8;
        entries.push({ flags: body[o], id: body.readUIntBE(o + 1, 3), value: body.readUInt32BE(o + 4) });
      }
      return { kind: 'settings', flags, entries };
    }
    case ControlType.Ping:
      need(4);
      return { kind: 'ping', id: body.readUInt32BE(0) };
    case ControlType.GoAway:
      need(8);
      return { kind: 'goAway', lastGoodStreamId: body.readUInt32BE(0) & STREAM_ID_MASK, status: body.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      need(8);
      return { kind: 'windowUpdate', streamId: body.readUInt32BE(0) & STREAM_ID_MASK, delta: body.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      // Draft 3 section 2.2.1: unknown control frame types are ignored.
      return { kind: 'unknown', type };
  }
}

function control(type: ControlType, flags: number, body: Buffer): Buffer {
  if (body.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY control frame body of ${body.length} bytes`);
  const h = Buffer.alloc(HEADER_LENGTH);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([h, body]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY data frame of ${data.length} bytes`);
  const h = Buffer.alloc(HEADER_LENGTH);
  h.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  h[4] = fin ? FLAG_FIN : 0;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, flags = 0, priority = 0, associatedId = 0): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  fixed.writeUInt32BE(associatedId & STREAM_ID_MASK, 4);
  fixed[8] = (priority & 7) << 5;
  return control(ControlType.SynStream, flags, Buffer.concat([fixed, headerBlock]));
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin: boolean): Buffer {
  return control(ControlType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([u32s(streamId & STREAM_ID_MASK), headerBlock]));
}

export function encodeHeaders(streamId: number, headerBlock: Buffer, fin: boolean): Buffer {
  return control(ControlType.Headers, fin ? FLAG_FIN : 0, Buffer.concat([u32s(streamId & STREAM_ID_MASK), headerBlock]));
}

export function encodeRstStream(streamId: number, status: RstStatus): Buffer {
  return control(ControlType.RstStream, 0, u32s(streamId & STREAM_ID_MASK, status));
}

export function encodeSettings(entries: SettingsEntry[], flags = 0): Buffer {
  const body = Buffer.alloc(4 + entries.length * 8);
  body.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    body[4 + i * 8] = e.flags;
    body.writeUIntBE(e.id, 5 + i * 8, 3);
    body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return control(ControlType.Settings, flags, body);
}

export function encodePing(id: number): Buffer {
  return control(ControlType.Ping, 0, u32s(id));
}

export function encodeGoAway(lastGoodStreamId: number, status: GoAwayStatus): Buffer {
  return control(ControlType.GoAway, 0, u32s(lastGoodStreamId & STREAM_ID_MASK, status));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return control(ControlType.WindowUpdate, 0, u32s(streamId & STREAM_ID_MASK, delta & STREAM_ID_MASK));
}
