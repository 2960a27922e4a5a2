// SPDY/3 name/value header blocks (draft 3 section 2.6.10) and the zlib
// contexts that compress them. Each direction of a session has one zlib
// stream, primed with the SPDY/3 dictionary and sync-flushed after every
// block, so blocks must be compressed and decompressed in frame order.
import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary';
import { SpdyProtocolError } from './frames';

/** Header names are lower case in SPDY/3; a name may carry several values. */
export type HeaderMap = Map<string, string[]>;

/** A decompressed header block larger than this ends the session. */
export const MAX_HEADER_BLOCK = 256 * 1024;

export function encodeHeaderBlock(headers: HeaderMap): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const headers: HeaderMap = new Map();
  let off = 0;
  const take = (what: string): Buffer => {
    if (off + 4 > block.length) throw new SpdyProtocolError(`header block truncated before ${what} length`);
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new SpdyProtocolError(`header block truncated in ${what}`);
    const b = block.subarray(off, off + len);
    off += len;
    return b;
  };
  if (block.length < 4) throw new SpdyProtocolError('header block has no pair count');
  const count = block.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    const name = take('name').toString('utf8');
    const value = take('value').toString('utf8');
    if (name.length === 0) throw new SpdyProtocolError('empty header name');
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`header name ${JSON.stringify(name)} is not lower case`);
    if (headers.has(name)) throw new SpdyProtocolError(`duplicate header ${JSON.stringify(name)}`);
    headers.set(name, value.split('\0'));
  }
  if (off !== block.length) throw new SpdyProtocolError(`${block.length - off} bytes after the last header`);
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** One direction's zlib context; run() calls are serialized in call order. */
class ZlibContext {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly z: zlib.Inflate | zlib.Deflate, private readonly limit: number) {
    // Errors are reported through run(); this keeps a late one from being unhandled.
    z.on('error', () => undefined);
  }

  run(input: Buffer): Promise<Buffer> {
    const result = this.tail.then(() => this.flushThrough(input));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private flushThrough(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let failed = false;
      const onData = (c: Buffer): void => {
        total += c.length;
        if (total > this.limit && !failed) {
          failed = true;
          cleanup();
          reject(new SpdyProtocolError(`header block inflates past ${this.limit} bytes`));
        }
        chunks.push(c);
      };
      const onError = (err: Error): void => {
        if (failed) return;
        failed = true;
        cleanup();
        reject(new SpdyProtocolError(`header block compression: ${err.message}`));
      };
      const cleanup = (): void => {
        this.z.off('data', onData);
        this.z.off('error', onError);
      };
      this.z.on('data', onData);
      this.z.on('error', onError);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (failed) return;
        cleanup();
        resolve(Buffer.concat(chunks));
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}

export class HeaderCompressor {
  private readonly ctx = new ZlibContext(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION }), Infinity);

  compress(headers: HeaderMap): Promise<Buffer> {
    return this.ctx.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.ctx.close();
  }
}

export class HeaderDecompressor {
  private readonly ctx = new ZlibContext(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK);

  async decompress(block: Buffer): Promise<HeaderMap> {
    return decodeHeaderBlock(await this.ctx.run(block));
  }

  close(): void {
    this.ctx.close();
  }
}

/** The first value of a header, or undefined. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  return headers.get(name)?.[0];
}
