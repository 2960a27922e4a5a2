/**
 * splice(2), tee(2) and vmsplice(2): moving data into, out of and between
 * pipes without the application's buffers. The Sentry copies through its
 * own buffer (there are no page references to move), with Linux's rules:
 * one side of a splice is a pipe; a pipe end waits for data or room unless
 * it or the call is non-blocking (SPLICE_F_NONBLOCK covers the pipe only);
 * a pipe without writers is at EOF (0); one without readers is EPIPE with
 * SIGPIPE (the dispatcher raises it). Data taken from a pipe leaves it only
 * once the other side took it, so a call that must wait starts over clean.
 */
import { O, SPLICE_F, SPLICE_F_ALL } from '../abi/linux/fs';
import { fail, isLinuxError } from '../errors/linuxerr';
import { Pipe, PipeFile } from '../fsimpl/pipe/pipe';
import type { Task } from '../kernel/task';
import type { FileDescription } from '../vfs/file';
import { accessed, modified } from '../vfs/fsnotify';
import { isDir } from '../vfs/inode';
import { InodeFile } from '../vfs/inodefile';
import type { SyscallArgs } from './args';
import { CHUNK, gather, iovTotal, readIovecs, scatter } from './fs-mem';
import { readOffsetPtr, writeOffsetPtr } from './fs-io';
import { FamilyRows, partial } from './rows';

function pipeOf(f: FileDescription): Pipe | undefined {
  return f instanceof PipeFile ? f.pipe : undefined;
}

function readable(f: FileDescription): boolean {
  return (f.flags & O.PATH) === 0 && (f.flags & O.ACCMODE) !== O.WRONLY;
}

function writable(f: FileDescription): boolean {
  return (f.flags & O.PATH) === 0 && (f.flags & O.ACCMODE) !== O.RDONLY;
}

/** A positioned read or write of a stream (a socket): EINVAL, as for a file without FMODE_PREAD/PWRITE. */
function positioned(io: () => number): number {
  try {
    return io();
  } catch (e) {
    if (isLinuxError(e, 'ESPIPE')) fail('EINVAL', 'offset on a stream');
    throw e;
  }
}

/** Pipe to pipe: waits for data, then for room; moves what both allow. */
function pipeToPipe(from: Pipe, to: Pipe, len: number, nonblock: boolean, keep: boolean): number {
  const avail = from.awaitData(nonblock);
  const room = to.awaitRoom(1, nonblock);
  if (avail === 0) return 0;
  const buf = Buffer.alloc(Math.min(len, avail, room));
  from.peek(buf);
  to.write(buf, true);
  if (!keep) from.consume(buf.length);
  return buf.length;
}

/** Pipe to a file or socket: what the output takes leaves the pipe (a short write leaves the rest). */
function pipeToFile(t: Task, from: Pipe, out: FileDescription, offset: number | undefined, len: number, nonblock: boolean): number {
  const avail = from.awaitData(nonblock);
  if (avail === 0) return 0;
  const buf = Buffer.alloc(Math.min(len, avail, CHUNK));
  from.peek(buf);
  const n = offset === undefined ? out.write(buf, t) : positioned(() => out.pwrite(buf, offset));
  from.consume(n);
  return n;
}

/** A file or socket to a pipe: waits for room, then reads at most what fits. */
function fileToPipe(t: Task, input: FileDescription, to: Pipe, offset: number | undefined, len: number, nonblock: boolean): number {
  const room = to.awaitRoom(1, nonblock);
  const buf = Buffer.alloc(Math.min(len, room, CHUNK));
  const n = offset === undefined ? input.read(buf, t) : positioned(() => input.pread(buf, offset));
  if (n > 0) to.write(buf.subarray(0, n), true);
  return n;
}

function checkFlags(flags: number): void {
  if (flags & ~SPLICE_F_ALL) fail('EINVAL', `splice flags ${flags}`);
}

/**
 * splice(2): EBADF unless the input is readable and the output writable;
 * an offset pointer on a pipe is ESPIPE; a pipe on both sides must be two
 * pipes (EINVAL); no pipe at all, or an O_APPEND output, is EINVAL. With
 * an offset pointer the file's position stays and the pointer advances.
 */
function splice(t: Task, a: SyscallArgs): number {
  const len = a.size(4);
  const flags = a.uint(5);
  if (len === 0) return 0;
  checkFlags(flags);
  const input = t.process.fds.get(a.int(0));
  const out = t.process.fds.get(a.int(2));
  if (!readable(input) || !writable(out)) fail('EBADF', 'splice access modes');
  const ip = pipeOf(input);
  const op = pipeOf(out);
  const offIn = a.ptr(1);
  const offOut = a.ptr(3);
  let nonblock = (flags & SPLICE_F.NONBLOCK) !== 0;
  if (ip && op) {
    if (offIn !== 0 || offOut !== 0) fail('ESPIPE', 'offset on a pipe');
    if (ip === op) fail('EINVAL', 'splice of a pipe to itself');
    return pipeToPipe(ip, op, len, nonblock || ((input.flags | out.flags) & O.NONBLOCK) !== 0, false);
  }
  if (ip) {
    if (offIn !== 0) fail('ESPIPE', 'offset on a pipe');
    const off = readOffsetPtr(t, offOut);
    if (out.flags & O.APPEND) fail('EINVAL', 'splice to an O_APPEND file');
    nonblock ||= (input.flags & O.NONBLOCK) !== 0;
    const n = modified(out, pipeToFile(t, ip, out, off, len, nonblock));
    if (off !== undefined) writeOffsetPtr(t, offOut, off + n);
    return n;
  }
  if (op) {
    if (offOut !== 0) fail('ESPIPE', 'offset on a pipe');
    // A directory has no splice_read (EINVAL, where read(2) would say EISDIR).
    if (input instanceof InodeFile && isDir(input.inode.mode)) fail('EINVAL', 'splice from a directory');
    const off = readOffsetPtr(t, offIn);
    nonblock ||= (out.flags & O.NONBLOCK) !== 0;
    const n = accessed(input, fileToPipe(t, input, op, off, len, nonblock));
    if (off !== undefined) writeOffsetPtr(t, offIn, off + n);
    return n;
  }
  return fail('EINVAL', 'splice without a pipe');
}

/** tee(2): copies up to len bytes from one pipe to another, leaving them in the first; EINVAL unless both are pipes, and different ones. */
function tee(t: Task, a: SyscallArgs): number {
  const flags = a.uint(3);
  checkFlags(flags);
  const len = a.size(2);
  if (len === 0) return 0;
  const input = t.process.fds.get(a.int(0));
  const out = t.process.fds.get(a.int(1));
  if (!readable(input) || !writable(out)) fail('EBADF', 'tee access modes');
  const ip = pipeOf(input);
  const op = pipeOf(out);
  if (!ip || !op || ip === op) return fail('EINVAL', 'tee needs two pipes');
  return pipeToPipe(ip, op, len, (flags & SPLICE_F.NONBLOCK) !== 0 || ((input.flags | out.flags) & O.NONBLOCK) !== 0, true);
}

/**
 * vmsplice(2): a pipe's write end takes the iovecs' bytes (as many as
 * fit once there is room), its read end fills them (as a readv); any other
 * file is EBADF.
 */
function vmsplice(t: Task, a: SyscallArgs): number {
  const flags = a.uint(3);
  checkFlags(flags);
  const f = t.process.fds.get(a.int(0));
  const write = writable(f);
  if (!write && !readable(f)) fail('EBADF', 'vmsplice access mode');
  const iov = readIovecs(t.mem, a.ptr(1), a.int(2));
  const total = iovTotal(iov);
  if (total === 0) return 0;
  const pipe = pipeOf(f) ?? fail('EBADF', 'vmsplice on a file that is not a pipe');
  const nonblock = (flags & SPLICE_F.NONBLOCK) !== 0 || (f.flags & O.NONBLOCK) !== 0;
  if (write) {
    const room = pipe.awaitRoom(1, nonblock);
    return pipe.write(gather(t.mem, iov, Math.min(total, room)), true);
  }
  if (pipe.awaitData(nonblock) === 0) return 0;
  const buf = Buffer.alloc(Math.min(total, pipe.available));
  pipe.peek(buf);
  scatter(t.mem, iov, buf); // first: a fault (EFAULT) leaves the data in the pipe
  pipe.consume(buf.length);
  return buf.length;
}

const COPIES = 'copies through the Sentry (no page moving; SPLICE_F_MOVE and SPLICE_F_GIFT have no effect)';

export const spliceRows: FamilyRows = {
  splice: partial(splice, COPIES),
  tee: partial(tee, COPIES),
  vmsplice: partial(vmsplice, COPIES),
};
