/**
 * What the socket syscalls of every family share: copying socket
 * addresses, iovecs and option values between the app and the Sentry,
 * and installing new socket descriptions as fds.
 */
import { MSG } from '../abi/linux/scm';
import { SOCK_BUF_MAX, TIMEVAL_SIZE } from '../abi/linux/socket';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { Waiting } from '../fsimpl/socket/waiting';
import type { FileDescription } from '../vfs/file';
import { nofile } from './fs-mem';

/** sizeof(struct sockaddr_storage): the most bind/connect/sendto copy in. */
export const SOCKADDR_STORAGE = 128;
/** A stream send reads at most this much app memory per call (a short count beyond). */
export const STREAM_SEND_MAX = 4 << 20;

/** Installs a new socket as an fd; the description is dropped if that fails. */
export function install(t: Task, f: FileDescription, cloexec: boolean): number {
  try {
    return t.process.fds.install(f, { cloexec, limit: nofile(t) });
  } catch (e) {
    f.decRef();
    throw e;
  }
}

/** move_addr_to_kernel: EINVAL for a length outside [0, sizeof(sockaddr_storage)]. */
export function readSockaddr(t: Task, addr: number, len: number): Buffer {
  if (len < 0 || len > SOCKADDR_STORAGE) fail('EINVAL', `addrlen ${len}`);
  return len === 0 ? Buffer.alloc(0) : t.mem.read(addr, len);
}

/**
 * move_addr_to_user: copies as much of `addr` as the caller's length
 * allows and stores the full length (EINVAL for a negative length).
 */
export function writeSockaddr(t: Task, addr: number, lenPtr: number, value: Buffer): void {
  if (addr === 0) return;
  const len = t.mem.read(lenPtr, 4).readInt32LE(0);
  if (len < 0) fail('EINVAL', `addrlen ${len}`);
  if (len > 0) t.mem.write(addr, value.subarray(0, Math.min(len, value.length)));
  const out = Buffer.alloc(4);
  out.writeInt32LE(value.length);
  t.mem.write(lenPtr, out);
}

export function intValue(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

export function timevalValue(ns: bigint): Buffer {
  const b = Buffer.alloc(TIMEVAL_SIZE);
  if (ns > 0n) {
    b.writeBigInt64LE(ns / 1_000_000_000n, 0);
    b.writeBigInt64LE((ns % 1_000_000_000n) / 1000n, 8);
  }
  return b;
}

/** SO_RCVTIMEO/SO_SNDTIMEO: 0 waits forever; a negative time means do not wait (-1n). */
export function readTimeout(t: Task, addr: number, len: number): bigint {
  if (len < TIMEVAL_SIZE) fail('EINVAL', `timeval length ${len}`);
  const b = t.mem.read(addr, TIMEVAL_SIZE);
  const sec = b.readBigInt64LE(0);
  const usec = b.readBigInt64LE(8);
  if (usec < 0n || usec >= 1_000_000n) fail('EDOM', `tv_usec ${usec}`);
  if (sec < 0n) return -1n;
  return sec * 1_000_000_000n + usec * 1000n;
}

/** Waiting rules of one call: O_NONBLOCK or MSG_DONTWAIT, and SO_RCVTIMEO/SO_SNDTIMEO. */
export function waiting(t: Task, s: { readonly nonblocking: boolean }, flags: number, timeoNs: bigint): Waiting {
  const nonblock = s.nonblocking || (flags & MSG.DONTWAIT) !== 0 || timeoNs < 0n;
  return { nonblock, deadline: timeoNs > 0n ? t.deadline(timeoNs) : undefined };
}

/** SO_SNDBUF/SO_RCVBUF: capped to the sysctl maximum, doubled for overhead, floored at Linux's minimum. */
export function bufferSize(v: number, min: number): number {
  const capped = v < 0 ? SOCK_BUF_MAX : Math.min(v, SOCK_BUF_MAX);
  return Math.max(capped * 2, min);
}
