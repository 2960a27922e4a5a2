/**
 * A small tar writer for image layers: POSIX ustar headers, plus a PAX
 * extended header ('x') when a path or link target does not fit ustar's
 * 100-byte fields. Output depends only on the entries (fixed mtime, owner
 * names left empty), so layer digests are stable.
 */

/** Every entry's mtime unless it says otherwise: 2024-01-01T00:00:00Z. */
export const FIXED_MTIME = 1704067200;

interface EntryBase {
  /** Relative path without a leading "./" or "/"; directories without the trailing "/". */
  path: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

export type TarEntry =
  | (EntryBase & { type: 'file'; data: Buffer | string })
  | (EntryBase & { type: 'dir' })
  | (EntryBase & { type: 'symlink'; target: string })
  /** A hard link to `target`, an earlier entry's path in the same archive. */
  | (EntryBase & { type: 'hardlink'; target: string });

const BLOCK = 512;
const NAME_MAX = 100;
const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5', pax: 'x' } as const;

/** The whiteout entry that deletes `path` from the layers below (OCI image spec, "Whiteouts"). */
export function whiteout(path: string): TarEntry {
  const slash = path.lastIndexOf('/');
  return { type: 'file', path: `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, data: '', mode: 0o644 };
}

/** The opaque-whiteout entry that hides everything below `dir` in lower layers. */
export function opaqueWhiteout(dir: string): TarEntry {
  return { type: 'file', path: `${dir}/.wh..wh..opq`, data: '', mode: 0o644 };
}

/** Writes `entries` in order as one uncompressed tar archive. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    checkPath(e.path);
    if (seen.has(e.path)) throw new Error(`tar: duplicate entry ${e.path}`);
    if (e.type === 'hardlink' && !seen.has(e.target)) {
      throw new Error(`tar: hard link ${e.path} -> ${e.target}: target must come earlier in the archive`);
    }
    seen.add(e.path);
    const name = e.type === 'dir' ? `${e.path}/` : e.path;
    const link = e.type === 'symlink' || e.type === 'hardlink' ? e.target : '';
    const data = e.type === 'file' ? Buffer.from(e.data) : Buffer.alloc(0);
    const pax: Record<string, string> = {};
    if (!fitsUstar(name)) pax.path = name;
    if (!fitsUstar(link)) pax.linkpath = link;
    if (Object.keys(pax).length > 0) {
      const body = paxRecords(pax);
      out.push(header({ name: paxHeaderName(name), type: TYPEFLAG.pax, size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: e.mtime ?? FIXED_MTIME, link: '' }));
      out.push(padded(body));
    }
    out.push(
      header({
        name,
        type: TYPEFLAG[e.type],
        size: data.length,
        mode: e.mode ?? defaultMode(e.type),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        mtime: e.mtime ?? FIXED_MTIME,
        link,
      }),
    );
    if (data.length > 0) out.push(padded(data));
  }
  out.push(Buffer.alloc(2 * BLOCK)); // end-of-archive marker
  return Buffer.concat(out);
}

function checkPath(p: string): void {
  if (p === '' || p.startsWith('/') || p.startsWith('./') || p.endsWith('/') || p.split('/').some((c) => c === '' || c === '.' || c === '..')) {
    throw new Error(`tar: bad entry path ${JSON.stringify(p)} (want a clean relative path)`);
  }
}

function defaultMode(type: TarEntry['type']): number {
  return type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644;
}

function fitsUstar(s: string): boolean {
  // ASCII only: ustar fields carry bytes, PAX carries UTF-8 explicitly.
  return Buffer.byteLength(s) <= NAME_MAX && /^[\x20-\x7e]*$/.test(s);
}

/** Name of the PAX header entry itself (readers ignore it; kept short and stable). */
function paxHeaderName(name: string): string {
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  return `PaxHeaders/${base}`.slice(0, NAME_MAX);
}

/** PAX records "LEN key=value\n", where LEN counts the whole record including itself. */
function paxRecords(fields: Record<string, string>): Buffer {
  let text = '';
  for (const [key, value] of Object.entries(fields)) {
    const rest = ` ${key}=${value}\n`;
    const restLen = Buffer.byteLength(rest);
    let len = restLen + String(restLen).length;
    if (String(len).length !== String(restLen).length) len = restLen + String(len).length;
    text += `${len}${rest}`;
  }
  return Buffer.from(text);
}

interface Header {
  name: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  link: string;
}

function header(h: Header): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name.slice(0, NAME_MAX), 0, NAME_MAX, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.write(h.type, 156, 1, 'ascii');
  b.write(h.link.slice(0, NAME_MAX), 157, NAME_MAX, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  octal(b, 329, 8, 0); // devmajor
  octal(b, 337, 8, 0); // devminor
  // The checksum is computed with its own field read as eight spaces.
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

/** A NUL-terminated, zero-padded octal number filling `width` bytes. */
function octal(b: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit a ${width}-byte header field`);
  b.write(`${digits}\0`, offset, width, 'ascii');
}

function padded(data: Buffer): Buffer {
  const rem = data.length % BLOCK;
  return rem === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rem)]);
}
