/**
 * A streaming tar reader for image layers: ustar, GNU long names ('L', 'K'),
 * GNU base-256 numbers and PAX extended headers ('x', 'g') with path,
 * linkpath, size, uid, gid, mtime and SCHILY.xattr.*. It only parses; the
 * layer applier decides what is safe to write.
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  type: TarEntryType;
  /** The path as stored (not normalized). */
  path: string;
  /** Symlink target, or the hard link's target path. */
  linkpath: string;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  size: number;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
  /** The file's data; must be consumed before asking for the next entry or it is skipped. */
  body(): AsyncGenerator<Buffer>;
}

/** Malformed or unsupported archive. */
export class TarError extends Error {
  override name = 'TarError';
}

const BLOCK = 512;
/** Bound on the metadata entries ('x', 'g', 'L', 'K') a reader keeps in memory. */
const MAX_META_BYTES = 1 << 20;

/** Exact-size reads over an async stream of chunks. */
class ByteSource {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.buffered += r.value.length;
      }
    }
  }

  /** Up to `max` bytes (at least 1 unless at the end), as they come. */
  private async take(max: number): Promise<Buffer> {
    await this.fill(1);
    if (this.buffered === 0) return Buffer.alloc(0);
    const head = this.chunks[0];
    if (head.length <= max) {
      this.chunks.shift();
      this.buffered -= head.length;
      return head;
    }
    this.chunks[0] = head.subarray(max);
    this.buffered -= max;
    return head.subarray(0, max);
  }

  /** Exactly n bytes, or null at a clean end of stream; a partial read is a truncation. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.buffered === 0) return null;
    if (this.buffered < n) throw new TarError('unexpected end of archive');
    const parts: Buffer[] = [];
    for (let got = 0; got < n; ) {
      const b = await this.take(n - got);
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** n bytes as a sequence of chunks. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    for (let left = n; left > 0; ) {
      const b = await this.take(Math.min(left, 1 << 20));
      if (b.length === 0) throw new TarError('unexpected end of archive');
      left -= b.length;
      yield b;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n));
  }

  /** Reads and discards everything left (trailing blocks after the end marker). */
  async drain(): Promise<void> {
    while ((await this.take(1 << 20)).length > 0);
  }
}

function cstring(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

function text(b: Buffer): string {
  return cstring(b).toString('utf8');
}

/** An octal field, or GNU base-256 when the high bit is set. */
function numeric(b: Buffer, field: string): number {
  if (b[0] & 0x80) {
    if (b[0] & 0x40) throw new TarError(`negative ${field} in tar header`);
    let v = BigInt(b[0] & 0x3f);
    for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarError(`${field} too large in tar header`);
    return Number(v);
  }
  const s = cstring(b).toString('latin1').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`invalid ${field} ${JSON.stringify(s)} in tar header`);
  const v = parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw new TarError(`${field} too large in tar header`);
  return v;
}

function checkChecksum(h: Buffer): void {
  const want = numeric(h.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  // Some old writers summed signed chars; both are accepted, like GNU tar.
  if (want !== unsigned && want !== signed) throw new TarError('tar header checksum mismatch (not a tar archive, or corrupt)');
}

/** PAX records: "<len> <key>=<value>\n", values kept as bytes (xattrs are binary). */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break; // padding some writers leave
    const sp = buf.indexOf(0x20, pos);
    const lenStr = sp < 0 ? '' : buf.subarray(pos, sp).toString('latin1');
    const len = /^[0-9]{1,8}$/.test(lenStr) ? parseInt(lenStr, 10) : NaN;
    if (!(len > sp - pos + 1) || pos + len > buf.length || buf[pos + len - 1] !== 0x0a) throw new TarError('malformed PAX record');
    const rec = buf.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarError('malformed PAX record');
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function paxNumber(v: Buffer, key: string, float: boolean): number {
  const s = v.toString('latin1');
  const ok = float ? /^-?[0-9]+(\.[0-9]*)?$/.test(s) : /^[0-9]+$/.test(s);
  const n = Number(s);
  if (!ok || !Number.isFinite(n) || (!float && !Number.isSafeInteger(n))) throw new TarError(`invalid PAX ${key} ${JSON.stringify(s)}`);
  return n;
}

/**
 * The entries of a tar stream, in order. Each entry's body must be consumed
 * (or is skipped) before the next is produced. Everything after the end
 * marker is read too, so a digest computed over the stream covers all of it.
 */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(input[Symbol.asyncIterator]());
  const globals = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;

  const readMeta = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_META_BYTES) throw new TarError(`${what} of ${size} bytes is too large`);
    const b = size === 0 ? Buffer.alloc(0) : await src.read(size);
    if (b === null) throw new TarError('unexpected end of archive');
    await src.skip(pad(size));
    return b;
  };

  for (;;) {
    const h = await src.read(BLOCK);
    if (h === null) return; // no end marker: accepted, like Go's archive/tar
    if (h.every((c) => c === 0)) {
      await src.drain();
      return;
    }
    checkChecksum(h);
    const flag = String.fromCharCode(h[156]);
    const size = numeric(h.subarray(124, 136), 'size');
    switch (flag) {
      case 'x':
        pax = parsePax(await readMeta(size, 'PAX header'));
        continue;
      case 'g':
        for (const [k, v] of parsePax(await readMeta(size, 'PAX global header'))) globals.set(k, v);
        continue;
      case 'L':
        longName = text(await readMeta(size, 'GNU long name'));
        continue;
      case 'K':
        longLink = text(await readMeta(size, 'GNU long link name'));
        continue;
    }
    let type = TYPES[flag];
    if (type === undefined) throw new TarError(`unsupported tar entry type ${JSON.stringify(flag)}`);

    const attrs = new Map([...globals, ...pax]);
    for (const k of attrs.keys()) {
      if (k.startsWith('GNU.sparse.')) throw new TarError('sparse files in tar archives are not supported');
    }
    const magic = h.subarray(257, 263).toString('latin1');
    let name = text(h.subarray(0, 100));
    const prefix = magic === 'ustar\0' ? text(h.subarray(345, 500)) : '';
    if (prefix !== '') name = `${prefix}/${name}`;
    const path = attrs.get('path')?.toString('utf8') ?? longName ?? name;
    if (type === 'file' && path.endsWith('/')) type = 'dir'; // pre-POSIX directories

    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of attrs) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    const num = (key: string, field: number[], float = false): number => {
      const v = attrs.get(key);
      return v !== undefined ? paxNumber(v, key, float) : numeric(h.subarray(field[0], field[1]), key);
    };
    // Link, device, directory and fifo entries carry no data whatever the header says.
    const bodySize = type === 'file' ? (attrs.has('size') ? paxNumber(attrs.get('size')!, 'size', false) : size) : 0;
    let unread = bodySize;
    const entry: TarEntry = {
      type,
      path,
      linkpath: attrs.get('linkpath')?.toString('utf8') ?? longLink ?? text(h.subarray(157, 257)),
      mode: numeric(h.subarray(100, 108), 'mode') & 0o7777,
      uid: num('uid', [108, 116]),
      gid: num('gid', [116, 124]),
      mtime: num('mtime', [136, 148], true),
      size: bodySize,
      devmajor: type === 'char' || type === 'block' ? numeric(h.subarray(329, 337), 'devmajor') : 0,
      devminor: type === 'char' || type === 'block' ? numeric(h.subarray(337, 345), 'devminor') : 0,
      xattrs,
      body: async function* () {
        if (unread !== bodySize) throw new TarError('tar entry body read twice');
        for await (const chunk of src.stream(bodySize)) {
          unread -= chunk.length;
          yield chunk;
        }
      },
    };
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    yield entry;
    await src.skip(unread + pad(bodySize));
    unread = 0;
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
