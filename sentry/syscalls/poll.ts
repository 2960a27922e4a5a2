/**
 * poll(2), ppoll(2), select(2), pselect6(2): readiness of a set of fds,
 * waiting through kernel/poll.ts (interrupted waits fail with EINTR).
 */
import {
  fdSetBytes, KERNEL_SIGSET_SIZE, POLL, POLLEX_SET, POLLFD_OFF, POLLFD_SIZE, POLLIN_SET, POLLOUT_SET,
} from '../abi/linux/poll';
import { decodeTimespec, encodeTimespec, encodeTimeval, NSEC_PER_SEC, TIMESPEC_SIZE } from '../abi/linux/time';
import { fail, isLinuxError } from '../errors/linuxerr';
import { readinessOf, remainingNs, waitFor, withSigmask } from '../kernel/poll';
import type { SignalMask } from '../kernel/signals';
import type { Task } from '../kernel/task';
import type { WaitQueue } from '../kernel/wait';
import type { FileDescription } from '../vfs/file';
import type { SyscallArgs } from './args';
import { nofile } from './fs-mem';
import { FamilyRows, partial } from './rows';

/** The description at `fd`, or undefined if it is not open. */
function lookup(t: Task, fd: number): FileDescription | undefined {
  try {
    return t.process.fds.get(fd);
  } catch (e) {
    if (isLinuxError(e, 'EBADF')) return undefined;
    throw e;
  }
}

/** The distinct wait queues of `files`. */
function queuesOf(files: Iterable<FileDescription | undefined>): WaitQueue[] {
  const qs = new Set<WaitQueue>();
  for (const f of files) if (f?.waitQueue) qs.add(f.waitQueue);
  return [...qs];
}

/** A user sigset argument (NULL: none); `size` must be the kernel's sigset_t size. */
export function readSigmask(t: Task, addr: number, size: number): SignalMask | undefined {
  if (addr === 0) return undefined;
  if (size !== KERNEL_SIGSET_SIZE) fail('EINVAL', `sigsetsize ${size}`);
  return t.mem.read(addr, 8).readBigUInt64LE(0);
}

/** A struct timespec timeout (NULL: wait forever); EINVAL when malformed. */
export function readTimeout(t: Task, addr: number): bigint | undefined {
  if (addr === 0) return undefined;
  return decodeTimespec(t.mem.read(addr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'timeout');
}

/**
 * Linux rewrites a non-zero timeout with the time left (select, pselect6,
 * ppoll); `ready` 0 means the wait timed out, so nothing is left.
 */
function rewriteTimeout(t: Task, addr: number, timeoutNs: bigint | undefined, ready: number, encode: (ns: bigint) => Buffer): void {
  if (addr === 0 || timeoutNs === undefined || timeoutNs === 0n) return;
  t.mem.write(addr, encode(ready === 0 ? 0n : remainingNs(t, timeoutNs)));
}

/**
 * The core of poll/ppoll: revents = readiness & (events | POLLERR | POLLHUP),
 * POLLNVAL for closed fds, negative fds ignored; on timeout every revents is 0.
 */
function doPoll(t: Task, addr: number, nfds: number, timeoutNs: bigint | undefined): number {
  if (nfds > nofile(t)) fail('EINVAL', `nfds ${nfds}`);
  const raw = nfds === 0 ? Buffer.alloc(0) : t.mem.read(addr, nfds * POLLFD_SIZE);
  const entries = Array.from({ length: nfds }, (_, i) => {
    const fd = raw.readInt32LE(i * POLLFD_SIZE + POLLFD_OFF.fd);
    return { fd, events: raw.readUInt16LE(i * POLLFD_SIZE + POLLFD_OFF.events), file: fd < 0 ? undefined : lookup(t, fd) };
  });
  const scan = (): number[] | undefined => {
    const revents = entries.map((e) => {
      if (e.fd < 0) return 0;
      if (!e.file) return POLL.NVAL;
      return readinessOf(e.file) & (e.events | POLL.ERR | POLL.HUP);
    });
    return revents.some((r) => r !== 0) ? revents : undefined;
  };
  const revents = waitFor(t, queuesOf(entries.map((e) => e.file)), timeoutNs, scan) ?? entries.map(() => 0);
  revents.forEach((r, i) => raw.writeUInt16LE(r, i * POLLFD_SIZE + POLLFD_OFF.revents));
  if (nfds > 0) t.mem.write(addr, raw);
  return revents.filter((r) => r !== 0).length;
}

/** poll(2): timeout in ms, negative for none. */
function poll(t: Task, a: SyscallArgs): number {
  const ms = a.int(2);
  return doPoll(t, a.ptr(0), a.uint(1), ms < 0 ? undefined : BigInt(ms) * 1_000_000n);
}

/** ppoll(2): timespec timeout (rewritten with the time left) and a temporary signal mask. */
function ppoll(t: Task, a: SyscallArgs): number {
  const timeout = readTimeout(t, a.ptr(2));
  const mask = readSigmask(t, a.ptr(3), a.size(4));
  const n = withSigmask(t, mask, () => doPoll(t, a.ptr(0), a.uint(1), timeout));
  rewriteTimeout(t, a.ptr(2), timeout, n, encodeTimespec);
  return n;
}

/** Reads fd_set bits for fds below `n` (NULL: an empty set that is not written back). */
function readFdSet(t: Task, addr: number, n: number): Buffer | undefined {
  return addr === 0 || n === 0 ? undefined : t.mem.read(addr, fdSetBytes(n));
}

function hasBit(set: Buffer | undefined, fd: number): boolean {
  return set !== undefined && (set[fd >> 3] & (1 << (fd & 7))) !== 0;
}

/**
 * The core of select/pselect6: EBADF if any requested fd is closed; the
 * sets are rewritten with the ready fds (cleared on timeout) and the
 * number of set bits is returned. fds at or above RLIMIT_NOFILE are ignored.
 */
function doSelect(t: Task, nfds: number, ptrs: readonly number[], timeoutNs: bigint | undefined): number {
  if (nfds < 0) fail('EINVAL', `nfds ${nfds}`);
  const n = Math.min(nfds, nofile(t));
  const sets = ptrs.map((p) => readFdSet(t, p, n));
  const classes = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
  const watched: { fd: number; file: FileDescription }[] = [];
  for (let fd = 0; fd < n; fd++) {
    if (!sets.some((s) => hasBit(s, fd))) continue;
    watched.push({ fd, file: lookup(t, fd) ?? fail('EBADF', `select fd ${fd}`) });
  }
  const scan = (): Buffer[] | undefined => {
    const out = sets.map(() => Buffer.alloc(fdSetBytes(n)));
    let count = 0;
    for (const { fd, file } of watched) {
      const r = readinessOf(file);
      sets.forEach((s, i) => {
        if (hasBit(s, fd) && r & classes[i]) {
          out[i][fd >> 3] |= 1 << (fd & 7);
          count++;
        }
      });
    }
    return count > 0 ? out : undefined;
  };
  const out = waitFor(t, queuesOf(watched.map((w) => w.file)), timeoutNs, scan) ?? sets.map(() => Buffer.alloc(fdSetBytes(n)));
  let count = 0;
  sets.forEach((s, i) => {
    if (s === undefined) return;
    t.mem.write(ptrs[i], out[i]);
    for (let fd = 0; fd < n; fd++) if (hasBit(out[i], fd)) count++;
  });
  return count;
}

/** select(2): timeval timeout, rewritten with the time left. */
function select(t: Task, a: SyscallArgs): number {
  const tvAddr = a.ptr(4);
  let timeout: bigint | undefined;
  if (tvAddr !== 0) {
    const tv = t.mem.read(tvAddr, TIMESPEC_SIZE);
    const sec = tv.readBigInt64LE(0);
    const usec = tv.readBigInt64LE(8);
    if (sec < 0n || usec < 0n) fail('EINVAL', 'select timeout');
    timeout = sec * NSEC_PER_SEC + usec * 1000n;
  }
  const n = doSelect(t, a.int(0), [a.ptr(1), a.ptr(2), a.ptr(3)], timeout);
  rewriteTimeout(t, tvAddr, timeout, n, encodeTimeval);
  return n;
}

/** pselect6(2): timespec timeout and a { sigset *ss; size_t ss_len } signal mask argument. */
function pselect6(t: Task, a: SyscallArgs): number {
  const timeout = readTimeout(t, a.ptr(4));
  let mask: SignalMask | undefined;
  if (a.ptr(5) !== 0) {
    const arg = t.mem.read(a.ptr(5), 16);
    mask = readSigmask(t, Number(arg.readBigUInt64LE(0)), Number(arg.readBigUInt64LE(8)));
  }
  const n = withSigmask(t, mask, () => doSelect(t, a.int(0), [a.ptr(1), a.ptr(2), a.ptr(3)], timeout));
  rewriteTimeout(t, a.ptr(4), timeout, n, encodeTimespec);
  return n;
}

const EINTR_NOTE = 'an interrupted wait does not rewrite the timeout with the time left';

export const pollRows: FamilyRows = {
  poll: partial(poll, 'readiness from each file; files without it are always ready'),
  ppoll: partial(ppoll, EINTR_NOTE),
  select: partial(select, `fds at or above RLIMIT_NOFILE are ignored; ${EINTR_NOTE}`),
  pselect6: partial(pselect6, `fds at or above RLIMIT_NOFILE are ignored; ${EINTR_NOTE}`),
};
