/** Data transfer syscalls: read/write and their positioned, vectored and in-kernel-copy forms. */
import { O, SEEK } from '../abi/linux/fs';
import { fail, isLinuxError } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { pageAlignedBuffer } from '../platform/host/aligned';
import type { FileDescription } from '../vfs/file';
import { InodeFile } from '../vfs/inodefile';
import { isRegular } from '../vfs/inode';
import { accessed, modified } from '../vfs/fsnotify';
import type { SyscallArgs } from './args';
import { CHUNK, Iovec, iovTotal, MAX_RW_COUNT, readIovecs, readToIovecs, readToUser, writeFromIovecs, writeFromUser } from './fs-mem';
import { FamilyRows, partial, supported } from './rows';

/** preadv2/pwritev2 flags accepted as no-ops: RWF_HIPRI, RWF_DSYNC, RWF_SYNC (we are always synchronous). */
const RWF_NOOP = 0x7;

function file(t: Task, fd: number): FileDescription {
  return t.process.fds.get(fd);
}

/**
 * vfs_read's and vfs_write's first check, before the buffer or the iovec
 * array is touched: a description not open for that direction (or O_PATH)
 * is EBADF, whatever the pointers.
 */
function openFor(t: Task, fd: number, dir: 'read' | 'write'): FileDescription {
  const f = file(t, fd);
  const mode = f.flags & O.ACCMODE;
  if ((f.flags & O.PATH) !== 0 || mode === (dir === 'read' ? O.WRONLY : O.RDONLY)) fail('EBADF', `fd ${fd} is not open for ${dir}ing`);
  return f;
}

const NOTHING = Buffer.alloc(0);

/** Whether writes to `f` are answered unread (Inode.discardsWrites: /dev/null, /dev/zero, /dev/full). */
function discards(f: FileDescription): boolean {
  return f instanceof InodeFile && f.inode.discardsWrites;
}

/** A write that `discards`: the description's and the inode's own checks (EBADF, /dev/full's ENOSPC) run on no bytes, then the whole count is taken. */
function discarded(count: number, checks: (nothing: Buffer, done: number) => number): number {
  checks(NOTHING, 0);
  return Math.min(count, MAX_RW_COUNT);
}

function checkOffset(off: number): number {
  if (off < 0) fail('EINVAL', 'negative offset');
  return off;
}

/** read(2): up to count bytes at the file position. */
function read(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'read');
  return accessed(f, readToUser(t, f, a.ptr(1), a.size(2), (b) => f.read(b, t)));
}

/** write(2): count bytes at the file position (at the end with O_APPEND). */
function write(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'write');
  if (discards(f)) return modified(f, discarded(a.size(2), (b) => f.write(b, t)));
  return modified(f, writeFromUser(t.mem, a.ptr(1), a.size(2), (b) => f.write(b, t)));
}

/** pread64(2): reads at an offset without moving the position; ESPIPE for pipes. */
function pread64(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'read');
  const off = checkOffset(a.long(3));
  return accessed(f, readToUser(t, f, a.ptr(1), a.size(2), (b, done) => f.pread(b, off + done)));
}

/** pwrite64(2). */
function pwrite64(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'write');
  const off = checkOffset(a.long(3));
  if (discards(f)) return modified(f, discarded(a.size(2), (b) => f.pwrite(b, off)));
  return modified(f, writeFromUser(t.mem, a.ptr(1), a.size(2), (b, done) => f.pwrite(b, off + done)));
}

/** readv/preadv: one read of the whole array per chunk (fs-mem's readToIovecs). `off` undefined: at the position. */
function readv(t: Task, f: FileDescription, iov: Iovec[], off: number | undefined): number {
  return accessed(f, readToIovecs(t, f, iov, (b, done) => (off === undefined ? f.read(b, t) : f.pread(b, off + done))));
}

/** writev/pwritev: one write of the whole array per chunk, so a pipe takes a small one whole or not at all. */
function writev(t: Task, f: FileDescription, iov: Iovec[], off: number | undefined): number {
  const at = (b: Buffer, done: number): number => (off === undefined ? f.write(b, t) : f.pwrite(b, off + done));
  return modified(f, discards(f) ? discarded(iovTotal(iov), at) : writeFromIovecs(t.mem, iov, at));
}

/** readv(2). */
function readvSys(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'read');
  return readv(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), undefined);
}

/** writev(2). */
function writevSys(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'write');
  return writev(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), undefined);
}

/** preadv(2): offset in the 4th argument (x86_64 passes it whole in pos_l). */
function preadv(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'read');
  return readv(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), checkOffset(a.long(3)));
}

function pwritev(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'write');
  return writev(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), checkOffset(a.long(3)));
}

/** The offset of preadv2/pwritev2: -1 means the file position. */
function v2Offset(a: SyscallArgs): number | undefined {
  if (a.int(5) & ~RWF_NOOP) fail('EOPNOTSUPP', `RWF flags ${a.int(5)}`);
  const off = a.long(3);
  return off === -1 ? undefined : checkOffset(off);
}

/** preadv2(2): flags RWF_HIPRI/DSYNC/SYNC are no-ops; RWF_NOWAIT and RWF_APPEND are EOPNOTSUPP. */
function preadv2(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'read');
  return readv(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), v2Offset(a));
}

/** pwritev2(2): as preadv2. */
function pwritev2(t: Task, a: SyscallArgs): number {
  const f = openFor(t, a.int(0), 'write');
  return writev(t, f, readIovecs(t.mem, a.ptr(1), a.int(2)), v2Offset(a));
}

/** lseek(2): SEEK_SET/CUR/END/DATA/HOLE; ESPIPE on pipes and sockets. */
function lseek(t: Task, a: SyscallArgs): number {
  const whence = a.int(2);
  if (whence < SEEK.SET || whence > SEEK.HOLE) fail('EINVAL', `whence ${whence}`);
  return file(t, a.int(0)).seek(a.long(1), whence);
}

/**
 * Copies up to `count` bytes from `src` at `srcOff` to `dst` through a
 * bounded buffer. Reads are positioned, so bytes the output does not take
 * (a short write, or a full socket that blocks) stay in `src` for the
 * caller's retry; once some were copied, blocking ends the copy with that
 * count. `dstOff` undefined: the output's position.
 */
function copyBetween(src: FileDescription, srcOff: number, dst: FileDescription, dstOff: number | undefined, count: number): number {
  let done = 0;
  while (done < count) {
    const buf = pageAlignedBuffer(Math.min(CHUNK, count - done));
    const n = src.pread(buf, srcOff + done);
    if (n === 0) break;
    const data = buf.subarray(0, n);
    let w: number;
    try {
      w = dstOff === undefined ? dst.write(data) : dst.pwrite(data, dstOff + done);
    } catch (e) {
      if (done > 0 && (e instanceof Block || isLinuxError(e, 'EAGAIN'))) break;
      throw e;
    }
    done += w;
    if (w < n || n < buf.length) break;
  }
  return modified(dst, accessed(src, done));
}

/**
 * The input's position for a copy without an offset pointer. A
 * non-seekable input (pipe, socket, terminal) is EINVAL for sendfile, as
 * in Linux's splice_direct_to_actor, which refuses rather than drop what
 * the output does not take; unlike Linux (5.12+), also when the output is
 * a pipe.
 */
function inputPosition(input: FileDescription): number {
  try {
    return input.seek(0, SEEK.CUR);
  } catch (e) {
    if (isLinuxError(e, 'ESPIPE')) fail('EINVAL', 'sendfile from a non-seekable file');
    throw e;
  }
}

/** The loff_t an offset pointer holds (EFAULT; EINVAL when negative), or undefined for NULL (sendfile, copy_file_range, splice). */
export function readOffsetPtr(t: Task, addr: number): number | undefined {
  return addr === 0 ? undefined : checkOffset(Number(t.mem.read(addr, 8).readBigInt64LE(0)));
}

export function writeOffsetPtr(t: Task, addr: number, value: number): void {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(value));
  t.mem.write(addr, b);
}

/**
 * sendfile(2): in_fd must be readable and seekable (EINVAL), out_fd must
 * not be O_APPEND (EINVAL). Without an offset pointer, in_fd's position
 * advances by what was written, not by what was read.
 */
function sendfile(t: Task, a: SyscallArgs): number {
  const out = file(t, a.int(0));
  const input = file(t, a.int(1));
  if (out.flags & O.APPEND) fail('EINVAL', 'sendfile to O_APPEND');
  const offPtr = a.ptr(2);
  const pos = inputPosition(input);
  const off = readOffsetPtr(t, offPtr);
  const n = copyBetween(input, off ?? pos, out, undefined, a.size(3));
  if (off !== undefined) writeOffsetPtr(t, offPtr, off + n);
  else input.seek(pos + n, SEEK.SET);
  return n;
}

/** copy_file_range(2) between regular files; flags must be 0. */
function copyFileRange(t: Task, a: SyscallArgs): number {
  if (a.uint(5) !== 0) fail('EINVAL', 'copy_file_range flags');
  const input = file(t, a.int(0));
  const out = file(t, a.int(2));
  for (const f of [input, out]) {
    if (!(f instanceof InodeFile) || !isRegular(f.inode.mode)) fail('EINVAL', 'not a regular file');
  }
  if (out.flags & O.APPEND) fail('EBADF', 'copy_file_range to O_APPEND');
  const inPtr = a.ptr(1);
  const outPtr = a.ptr(3);
  const inOff = readOffsetPtr(t, inPtr);
  const outOff = readOffsetPtr(t, outPtr);
  const start = inOff ?? input.seek(0, SEEK.CUR);
  const n = copyBetween(input, start, out, outOff, a.size(4));
  if (inOff !== undefined) writeOffsetPtr(t, inPtr, inOff + n);
  else input.seek(start + n, SEEK.SET);
  if (outOff !== undefined) writeOffsetPtr(t, outPtr, outOff + n);
  return n;
}

export const fsIoRows: FamilyRows = {
  read: supported(read),
  write: supported(write),
  pread64: supported(pread64),
  pwrite64: supported(pwrite64),
  readv: supported(readvSys),
  writev: supported(writevSys),
  preadv: supported(preadv),
  pwritev: supported(pwritev),
  preadv2: partial(preadv2, 'RWF_NOWAIT and RWF_APPEND are EOPNOTSUPP'),
  pwritev2: partial(pwritev2, 'RWF_NOWAIT and RWF_APPEND are EOPNOTSUPP'),
  lseek: supported(lseek),
  sendfile: supported(sendfile),
  copy_file_range: partial(copyFileRange, 'regular files only (EINVAL otherwise)'),
};
