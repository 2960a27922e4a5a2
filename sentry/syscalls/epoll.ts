/** epoll_create(2)/epoll_create1, epoll_ctl(2), epoll_wait(2)/epoll_pwait/epoll_pwait2. */
import {
  EP_MAX_EVENTS, EPOLL, EPOLL_CLOEXEC, EPOLL_CTL, EPOLL_EVENT_OFF, EPOLL_EVENT_SIZE, EPOLLEXCLUSIVE_OK_BITS,
} from '../abi/linux/epoll';
import { fail } from '../errors/linuxerr';
import { EpollFile } from '../fsimpl/epoll/epoll';
import { waitFor, withSigmask } from '../kernel/poll';
import type { Task } from '../kernel/task';
import type { FileDescription } from '../vfs/file';
import { InodeFile } from '../vfs/inodefile';
import { isDir, isRegular } from '../vfs/inode';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { readSigmask, readTimeout } from './poll';
import { FamilyRows, partial, supported } from './rows';

function create(t: Task, flags: number): number {
  if (flags & ~EPOLL_CLOEXEC) fail('EINVAL', `epoll_create1 flags ${flags}`);
  return installNew(t, new EpollFile(0), (flags & EPOLL_CLOEXEC) !== 0);
}

/** epoll_create(2): size is only checked to be positive. */
function epollCreate(t: Task, a: SyscallArgs): number {
  if (a.int(0) <= 0) fail('EINVAL', `epoll_create size ${a.int(0)}`);
  return create(t, 0);
}

/** epoll_create1(2): EPOLL_CLOEXEC only. */
function epollCreate1(t: Task, a: SyscallArgs): number {
  return create(t, a.int(0));
}

function epollOf(t: Task, fd: number): EpollFile {
  return t.process.fds.getKind(fd, EpollFile, 'EINVAL', 'an epoll fd');
}

/** Regular files and directories have no poll method in Linux: epoll refuses them. */
function pollable(f: FileDescription): boolean {
  return !(f instanceof InodeFile && (isRegular(f.inode.mode) || isDir(f.inode.mode)));
}

/**
 * epoll_ctl(2) with Linux's checks in Linux's order: EFAULT, EBADF, EPERM
 * (unpollable target), EINVAL (not an epoll fd, itself, EPOLLEXCLUSIVE
 * misuse), ELOOP, then EEXIST/ENOENT. EPOLLWAKEUP is ignored (no
 * CAP_BLOCK_SUSPEND), as Linux does for unprivileged callers.
 */
function epollCtl(t: Task, a: SyscallArgs): number {
  const op = a.int(1);
  const fd = a.int(2);
  const hasEvent = op === EPOLL_CTL.ADD || op === EPOLL_CTL.MOD;
  const raw = hasEvent ? t.mem.read(a.ptr(3), EPOLL_EVENT_SIZE) : undefined;
  const epf = t.process.fds.get(a.int(0));
  const target = t.process.fds.get(fd);
  if (!pollable(target)) fail('EPERM', `fd ${fd} does not support polling`);
  if (epf === target || !(epf instanceof EpollFile)) fail('EINVAL', 'epoll_ctl on a non-epoll fd or on itself');
  const events = raw ? raw.readUInt32LE(EPOLL_EVENT_OFF.events) & ~EPOLL.WAKEUP : 0;
  const data = raw ? raw.readBigUInt64LE(EPOLL_EVENT_OFF.data) : 0n;
  if (events & EPOLL.EXCLUSIVE) {
    if (op === EPOLL_CTL.MOD) fail('EINVAL', 'EPOLLEXCLUSIVE with EPOLL_CTL_MOD');
    if (target instanceof EpollFile || events & ~EPOLLEXCLUSIVE_OK_BITS) fail('EINVAL', 'EPOLLEXCLUSIVE with other flags');
  }
  switch (op) {
    case EPOLL_CTL.ADD:
      epf.add(fd, target, events, data);
      return 0;
    case EPOLL_CTL.MOD:
      epf.modify(fd, target, events, data);
      return 0;
    case EPOLL_CTL.DEL:
      epf.remove(fd, target);
      return 0;
    default:
      return fail('EINVAL', `epoll_ctl op ${op}`);
  }
}

/** The wait shared by epoll_wait/epoll_pwait/epoll_pwait2; returns the number of events written. */
function doWait(t: Task, epfd: number, addr: number, max: number, timeoutNs: bigint | undefined): number {
  if (max <= 0 || max > EP_MAX_EVENTS) fail('EINVAL', `maxevents ${max}`);
  const ep = epollOf(t, epfd);
  const scan = () => {
    const evs = ep.collect(max);
    return evs.length > 0 ? evs : undefined;
  };
  const evs = waitFor(t, [ep.waitQueue], timeoutNs, scan) ?? [];
  if (evs.length === 0) return 0;
  const out = Buffer.alloc(evs.length * EPOLL_EVENT_SIZE);
  evs.forEach((e, i) => {
    out.writeUInt32LE(e.events >>> 0, i * EPOLL_EVENT_SIZE + EPOLL_EVENT_OFF.events);
    out.writeBigUInt64LE(e.data, i * EPOLL_EVENT_SIZE + EPOLL_EVENT_OFF.data);
  });
  t.mem.write(addr, out);
  return evs.length;
}

function msTimeout(ms: number): bigint | undefined {
  return ms < 0 ? undefined : BigInt(ms) * 1_000_000n;
}

/** epoll_wait(2): timeout in ms, negative for none. */
function epollWait(t: Task, a: SyscallArgs): number {
  return doWait(t, a.int(0), a.ptr(1), a.int(2), msTimeout(a.int(3)));
}

/** epoll_pwait(2): epoll_wait with a temporary signal mask. */
function epollPwait(t: Task, a: SyscallArgs): number {
  const mask = readSigmask(t, a.ptr(4), a.size(5));
  return withSigmask(t, mask, () => doWait(t, a.int(0), a.ptr(1), a.int(2), msTimeout(a.int(3))));
}

/** epoll_pwait2(2): a timespec timeout (NULL: none). */
function epollPwait2(t: Task, a: SyscallArgs): number {
  const timeout = readTimeout(t, a.ptr(3));
  const mask = readSigmask(t, a.ptr(4), a.size(5));
  return withSigmask(t, mask, () => doWait(t, a.int(0), a.ptr(1), a.int(2), timeout));
}

export const epollRows: FamilyRows = {
  epoll_create: supported(epollCreate),
  epoll_create1: supported(epollCreate1),
  epoll_ctl: partial(epollCtl, 'EPOLLEXCLUSIVE accepted (wakes every waiter); EPOLLWAKEUP ignored'),
  epoll_wait: supported(epollWait),
  epoll_pwait: supported(epollPwait),
  epoll_pwait2: supported(epollPwait2),
};
