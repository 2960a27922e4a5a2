/**
 * Moving file-syscall data between application memory and files: path
 * arguments, iovec arrays, and bounded-chunk copies so a huge count never
 * allocates a huge buffer.
 */
import { UIO_MAXIOV } from '../abi/linux/scm';
import { fail } from '../errors/linuxerr';
import { RLIMIT } from '../kernel/limits';
import type { Task } from '../kernel/task';
import { pageAlignedBuffer } from '../platform/host/aligned';
import type { MemoryIO } from '../platform/platform';
import { readCString } from '../kernel/usermem';
import type { FileDescription } from '../vfs/file';
import { InodeFile } from '../vfs/inodefile';
import { isRegular } from '../vfs/inode';

export const CHUNK = 1 << 20;
const scratch = pageAlignedBuffer(CHUNK);
/** MAX_RW_COUNT: Linux caps one transfer at 2 GiB minus a page. */
export const MAX_RW_COUNT = 0x7ffff000;

/** A path argument (empty strings are returned as-is; resolution rejects them with ENOENT). */
export function readPath(t: Task, addr: number): string {
  return readCString(t.mem, addr);
}

export interface Iovec {
  base: number;
  len: number;
}

/** struct iovec[cnt] at `addr`; EINVAL for a bad count or a total above SSIZE_MAX. */
export function readIovecs(mem: MemoryIO, addr: number, cnt: number): Iovec[] {
  if (cnt < 0 || cnt > UIO_MAXIOV) fail('EINVAL', `iovcnt ${cnt}`);
  if (cnt === 0) return [];
  const raw = mem.read(addr, cnt * 16);
  const out: Iovec[] = [];
  let total = 0n;
  for (let i = 0; i < cnt; i++) {
    const len = raw.readBigUInt64LE(i * 16 + 8);
    total += len;
    if (len > 0x7fffffffffffffffn || total > 0x7fffffffffffffffn) fail('EINVAL', 'iovec length');
    out.push({ base: Number(raw.readBigUInt64LE(i * 16)), len: Number(len) });
  }
  return out;
}

/** Whether repeated reads are safe (a short read only means EOF): regular files, and devices that fill every read (/dev/zero). */
function streamsFully(f: FileDescription): boolean {
  return f instanceof InodeFile && (isRegular(f.inode.mode) || f.inode.fillsReads);
}

/** Sum of the iovecs' lengths, cut to MAX_RW_COUNT as Linux cuts one transfer. */
export function iovTotal(iov: Iovec[]): number {
  let total = 0;
  for (const v of iov) total += v.len;
  return Math.min(total, MAX_RW_COUNT);
}

/** Copies `data` into the iovecs in order, starting `at` bytes into them. */
export function scatter(mem: MemoryIO, iov: Iovec[], data: Uint8Array, at = 0): void {
  let done = 0;
  let skip = at;
  for (const v of iov) {
    if (done >= data.length) break;
    if (skip >= v.len) {
      skip -= v.len;
      continue;
    }
    const n = Math.min(v.len - skip, data.length - done);
    mem.write(v.base + skip, data.subarray(done, done + n));
    done += n;
    skip = 0;
  }
}

/** Copies the bytes of `parts`, in order, into the iovecs: one writeParts per iovec. */
export function scatterParts(mem: MemoryIO, iov: Iovec[], parts: readonly Buffer[]): void {
  let pi = 0;
  let off = 0; // into parts[pi]
  for (const v of iov) {
    if (pi === parts.length) break;
    const slices: Buffer[] = [];
    let room = v.len;
    while (room > 0 && pi < parts.length) {
      const p = parts[pi];
      const n = Math.min(room, p.length - off);
      slices.push(off === 0 && n === p.length ? p : p.subarray(off, off + n));
      room -= n;
      off += n;
      if (off === p.length) {
        pi++;
        off = 0;
      }
    }
    mem.writeParts(v.base, slices);
  }
}

/** Up to `max` bytes of the iovecs in order, starting `at` bytes into them. */
export function gather(mem: MemoryIO, iov: Iovec[], max: number, at = 0): Buffer {
  const parts: Buffer[] = [];
  let left = max;
  let skip = at;
  for (const v of iov) {
    if (left === 0) break;
    if (skip >= v.len) {
      skip -= v.len;
      continue;
    }
    const n = Math.min(v.len - skip, left);
    parts.push(mem.read(v.base + skip, n));
    left -= n;
    skip = 0;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Reads from `f` into the iovecs, `readAt(buf, done)` doing one read (at
 * the position or an explicit offset). Each read takes a chunk of the
 * whole array, as Linux reads all iovecs in one go: a pipe or socket gives
 * what it has in a single read and never waits to fill a later iovec.
 * Only regular files and fillsReads devices are read again, up to the
 * total or end of file. A read asks for no more than the app's memory can
 * take from where it is (mm.writableLength): nothing is taken from the file
 * that could not be stored, and memory that takes nothing is EFAULT.
 */
export function readToIovecs(t: Task, f: FileDescription, iov: Iovec[], readAt: (b: Buffer, done: number) => number): number {
  const limit = iovTotal(iov);
  let done = 0;
  do {
    const room = writableIovecs(t, iov, done, Math.min(CHUNK, limit - done));
    if (room === 0) {
      if (done === 0 && limit > 0) fail('EFAULT', 'read into memory the app cannot write');
      break;
    }
    // One scratch buffer for all reads: the kernel loop is single-threaded and
    // only the bytes a read reports are copied out.
    const buf = scratch.subarray(0, room);
    const n = readAt(buf, done);
    if (n > 0) scatter(t.mem, iov, buf.subarray(0, n), done);
    done += n;
    if (n < buf.length) break;
  } while (done < limit && streamsFully(f));
  return done;
}

/** How many of the `max` bytes of the iovecs from `at` on the app's memory can take, in order. */
function writableIovecs(t: Task, iov: Iovec[], at: number, max: number): number {
  let skip = at;
  let got = 0;
  for (const v of iov) {
    if (got === max) break;
    if (skip >= v.len) {
      skip -= v.len;
      continue;
    }
    const want = Math.min(v.len - skip, max - got);
    const n = t.process.mm.writableLength(v.base + skip, want);
    got += n;
    if (n < want) break;
    skip = 0;
  }
  return got;
}

/**
 * How many bytes a stream socket's receive may take into the iovecs: what
 * the app's memory can store from their start (EFAULT when it can store
 * none), so that data it could not store stays queued, as on Linux.
 */
export function streamRecvRoom(t: Task, iov: Iovec[]): number {
  const total = iovTotal(iov);
  const room = writableIovecs(t, iov, 0, total);
  if (room === 0 && total > 0) fail('EFAULT', 'receive into memory the app cannot write');
  return room;
}

/** readToIovecs into `count` bytes of app memory at `addr`. */
export function readToUser(t: Task, f: FileDescription, addr: number, count: number, readAt: (b: Buffer, done: number) => number): number {
  return readToIovecs(t, f, [{ base: addr, len: count }], readAt);
}

/**
 * Writes the iovecs to a file with `writeAt(buf, done)`, one chunk of the
 * whole array per write (so a pipe takes a small writev whole or not at
 * all, as Linux); stops at a short write.
 */
export function writeFromIovecs(mem: MemoryIO, iov: Iovec[], writeAt: (b: Buffer, done: number) => number): number {
  const limit = iovTotal(iov);
  let done = 0;
  do {
    const buf = gather(mem, iov, Math.min(CHUNK, limit - done), done);
    const n = writeAt(buf, done);
    done += n;
    if (n < buf.length) break;
  } while (done < limit);
  return done;
}

/** writeFromIovecs from `count` bytes of app memory at `addr`. */
export function writeFromUser(mem: MemoryIO, addr: number, count: number, writeAt: (b: Buffer, done: number) => number): number {
  return writeFromIovecs(mem, [{ base: addr, len: count }], writeAt);
}

/** RLIMIT_NOFILE of the calling process, as a number of fds. */
export function nofile(t: Task): number {
  const cur = t.process.limits[RLIMIT.NOFILE].cur;
  return cur > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cur);
}
