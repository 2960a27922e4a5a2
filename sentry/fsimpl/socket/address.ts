/**
 * struct sockaddr_un as bind(2), connect(2) and sendto(2) take it, and the
 * stored form getsockname(2) returns: the bytes after sun_family, so the
 * returned addrlen is always 2 + name.length.
 */
import { AF, SOCKADDR_UN } from '../../abi/linux/socket';
import { fail } from '../../errors/linuxerr';

export type UnixAddr =
  /** A filesystem name; `name` is the path bytes plus the NUL Linux counts in addrlen. */
  | { kind: 'path'; path: string; name: Buffer }
  /** The abstract namespace: `name` starts with NUL and is exactly addrlen - 2 bytes. */
  | { kind: 'abstract'; name: Buffer };

/** Rejects what unix_validate_addr rejects: a length outside (2, 110] or another family. */
export function decodeUnixAddr(b: Buffer): UnixAddr {
  if (b.length <= SOCKADDR_UN.PATH || b.length > SOCKADDR_UN.SIZE) fail('EINVAL', `sockaddr_un length ${b.length}`);
  if (b.readUInt16LE(0) !== AF.UNIX) fail('EINVAL', `sun_family ${b.readUInt16LE(0)}`);
  const raw = b.subarray(SOCKADDR_UN.PATH);
  if (raw[0] !== 0) {
    // The path ends at the first NUL or at addrlen, like Linux's unix_mkname_bsd.
    const end = raw.indexOf(0);
    const path = raw.subarray(0, end < 0 ? raw.length : end);
    return { kind: 'path', path: path.toString('utf8'), name: Buffer.concat([path, Buffer.alloc(1)]) };
  }
  return { kind: 'abstract', name: Buffer.from(raw) };
}

/** The sockaddr_un bytes for a stored name (undefined: an unbound socket, just the family). */
export function encodeUnixAddr(name: Buffer | undefined): Buffer {
  const family = Buffer.alloc(SOCKADDR_UN.PATH);
  family.writeUInt16LE(AF.UNIX, 0);
  return name ? Buffer.concat([family, name]) : family;
}

/** Linux's autobind name: NUL then five hex digits. */
export function autobindName(n: number): Buffer {
  return Buffer.concat([Buffer.alloc(1), Buffer.from((n & 0xfffff).toString(16).padStart(5, '0'))]);
}
