// RFC 6455 section 5 frames: an incremental parser for what clients send
// (always masked) and an encoder for what the server sends (never masked;
// tests pass a mask key to play the client).

export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** Close codes of RFC 6455 section 7.4.1 used here. */
export const enum CloseCode {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  UnsupportedData = 1003,
  NoStatus = 1005,
  InvalidPayload = 1007,
  PolicyViolation = 1008,
  TooBig = 1009,
  InternalError = 1011,
}

export interface WsFrame { fin: boolean; opcode: number; payload: Buffer }

/** A frame that breaks RFC 6455: the connection fails with `code`. */
export class WsProtocolError extends Error {
  constructor(readonly code: CloseCode, message: string) {
    super(message);
  }
}

export class WsFrameParser {
  private buf: Buffer = Buffer.alloc(0);

  /** `requireMask`: section 5.1, a server must fail unmasked client frames. */
  constructor(private readonly maxPayload: number, private readonly requireMask = true) {}

  push(chunk: Buffer): WsFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: WsFrame[] = [];
    let off = 0;
    for (;;) {
      const f = this.parseAt(off);
      if (!f) break;
      frames.push(f.frame);
      off = f.end;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  private parseAt(off: number): { frame: WsFrame; end: number } | undefined {
    const b = this.buf;
    if (b.length - off < 2) return undefined;
    const fin = (b[off] & 0x80) !== 0;
    if (b[off] & 0x70) throw new WsProtocolError(CloseCode.ProtocolError, 'reserved bits set without a negotiated extension');
    const opcode = b[off] & 0x0f;
    const masked = (b[off + 1] & 0x80) !== 0;
    let len = b[off + 1] & 0x7f;
    let pos = off + 2;
    if (len === 126) {
      if (b.length - pos < 2) return undefined;
      len = b.readUInt16BE(pos);
      pos += 2;
    } else if (len === 127) {
      if (b.length - pos < 8) return undefined;
      const big = b.readBigUInt64BE(pos);
      if (big > BigInt(this.maxPayload)) throw new WsProtocolError(CloseCode.TooBig, `frame of ${big} bytes`);
      len = Number(big);
      pos += 8;
    }
    if (opcode > Opcode.Pong || (opcode > Opcode.Binary && opcode < Opcode.Close)) {
      throw new WsProtocolError(CloseCode.ProtocolError, `unknown opcode ${opcode}`);
    }
    if (opcode >= Opcode.Close) {
      if (!fin) throw new WsProtocolError(CloseCode.ProtocolError, 'fragmented control frame');
      if (len > 125) throw new WsProtocolError(CloseCode.ProtocolError, 'control frame payload over 125 bytes');
    }
    if (len > this.maxPayload) throw new WsProtocolError(CloseCode.TooBig, `frame of ${len} bytes`);
    if (this.requireMask && !masked) throw new WsProtocolError(CloseCode.ProtocolError, 'client frame not masked');
    const keyLen = masked ? 4 : 0;
    if (b.length - pos < keyLen + len) return undefined;
    const payload = Buffer.from(b.subarray(pos + keyLen, pos + keyLen + len));
    if (masked) unmask(payload, b.subarray(pos, pos + 4));
    return { frame: { fin, opcode, payload }, end: pos + keyLen + len };
  }
}

function unmask(data: Buffer, key: Buffer): void {
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
}

export function encodeFrame(opcode: Opcode, payload: Buffer, opts: { fin?: boolean; maskKey?: Buffer } = {}): Buffer {
  const fin = opts.fin ?? true;
  const len = payload.length;
  const extra = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const keyLen = opts.maskKey ? 4 : 0;
  const h = Buffer.alloc(2 + extra + keyLen);
  h[0] = (fin ? 0x80 : 0) | opcode;
  h[1] = (opts.maskKey ? 0x80 : 0) | (extra === 0 ? len : extra === 2 ? 126 : 127);
  if (extra === 2) h.writeUInt16BE(len, 2);
  else if (extra === 8) h.writeBigUInt64BE(BigInt(len), 2);
  if (!opts.maskKey) return Buffer.concat([h, payload]);
  opts.maskKey.copy(h, 2 + extra);
  const body = Buffer.from(payload);
  unmask(body, opts.maskKey);
  return Buffer.concat([h, body]);
}

export function encodeClose(code: CloseCode, reason = '', maskKey?: Buffer): Buffer {
  const r = Buffer.from(reason, 'utf8').subarray(0, 123);
  const p = Buffer.alloc(2 + r.length);
  p.writeUInt16BE(code, 0);
  r.copy(p, 2);
  return encodeFrame(Opcode.Close, p, { maskKey });
}
