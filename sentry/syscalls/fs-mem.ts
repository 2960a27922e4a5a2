/**
 * Moving file-syscall data between application memory and files: path
 * arguments, iovec arrays, and bounded-chunk copies so a huge count never
 * allocates a huge buffer.
 */
import { fail } from '../errors/linuxerr';
import { RLIMIT } from '../kernel/limits';
import type { Task } from '../kernel/task';
import type { MemoryIO } from '../platform/platform';
import { readCString } from '../kernel/usermem';
import type { FileDescription } from '../vfs/file';
import { InodeFile } from '../vfs/inodefile';
import { isRegular } from '../vfs/inode';

export const CHUNK = 1 << 20;
const scratch = Buffer.allocUnsafe(CHUNK);
/** UIO_MAXIOV (also the most messages one sendmmsg/recvmmsg takes). */
export const IOV_MAX = 1024;
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
  if (cnt < 0 || cnt > IOV_MAX) fail('EINVAL', `iovcnt ${cnt}`);
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

/**
 * Reads up to `count` bytes from `f` into app memory at `addr`, with
 * `readAt(buf)` doing one read (at the position or an explicit offset).
 * Non-regular files get a single read so a pipe never blocks for more.
 */
export function readToUser(mem: MemoryIO, f: FileDescription, addr: number, count: number, readAt: (b: Buffer, done: number) => number): number {
  let done = 0;
  const limit = Math.min(count, MAX_RW_COUNT);
  do {
    // One scratch buffer for all reads: the kernel loop is single-threaded and
    // only the bytes a read reports are copied out.
    const buf = scratch.subarray(0, Math.min(CHUNK, limit - done));
    const n = readAt(buf, done);
    if (n > 0) mem.write(addr + done, buf.subarray(0, n));
    done += n;
    if (n < buf.length) break;
  } while (done < limit && streamsFully(f));
  return done;
}

/** Writes `count` bytes from app memory at `addr` to `f` via `writeAt`, chunk by chunk; stops at a short write. */
export function writeFromUser(mem: MemoryIO, addr: number, count: number, writeAt: (b: Buffer, done: number) => number): number {
  let done = 0;
  const limit = Math.min(count, MAX_RW_COUNT);
  do {
    const buf = mem.read(addr + done, Math.min(CHUNK, limit - done));
    const n = writeAt(buf, done);
    done += n;
    if (n < buf.length) break;
  } while (done < limit);
  return done;
}

/** RLIMIT_NOFILE of the calling process, as a number of fds. */
export function nofile(t: Task): number {
  const cur = t.process.limits[RLIMIT.NOFILE].cur;
  return cur > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cur);
}
