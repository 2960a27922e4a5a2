/** Opening, closing and duplicating descriptors; fcntl and ioctl. */
import {
  AT_FDCWD, CLOSE_RANGE, F, FD_CLOEXEC, FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, O, O_SETFL_MASK, S_IFIFO, S_IFMT, S_IFSOCK,
} from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { SyscallArgs } from './args';
import { lockFcntl } from './locks';
import { isNetdevIoctl, netdevIoctl } from '../fsimpl/socket/ifaces';
import { pipeFcntl } from './pipe';
import { sealFcntl } from './memfd';
import { resumeFifoOpen } from '../fsimpl/pipe/fifo';
import { nofile, readPath } from './fs-mem';
import { error, FamilyRows, partial, supported } from './rows';

/** Opens and installs at the lowest free fd (O_CLOEXEC sets FD_CLOEXEC); a re-run after a FIFO's wait takes the end it waited with. */
function openInstall(t: Task, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  const f = resumeFifoOpen(t) ?? t.process.mounts.openAt(t, dirfd, readPath(t, pathAddr), flags, mode);
  try {
    return t.process.fds.install(f, { cloexec: (flags & O.CLOEXEC) !== 0, limit: nofile(t) });
  } catch (e) {
    f.decRef();
    throw e;
  }
}

/** open(2); O_TMPFILE where the directory's filesystem has it (vfs.ts openTmpfile). */
function open(t: Task, a: SyscallArgs): number {
  return openInstall(t, AT_FDCWD, a.ptr(0), a.int(1), a.uint(2));
}

/** openat(2). */
function openat(t: Task, a: SyscallArgs): number {
  return openInstall(t, a.int(0), a.ptr(1), a.int(2), a.uint(3));
}

/** creat(2) = open(O_CREAT|O_WRONLY|O_TRUNC). */
function creat(t: Task, a: SyscallArgs): number {
  return openInstall(t, AT_FDCWD, a.ptr(0), O.CREAT | O.WRONLY | O.TRUNC, a.uint(1));
}

/** close(2). */
function close(t: Task, a: SyscallArgs): number {
  t.process.fds.close(a.int(0));
  return 0;
}

/** close_range(2): CLOSE_RANGE_CLOEXEC marks instead of closing; CLOSE_RANGE_UNSHARE is a no-op (tables are never shared). */
function closeRange(t: Task, a: SyscallArgs): number {
  const first = a.uint(0);
  const last = a.uint(1);
  const flags = a.uint(2);
  if (flags & ~(CLOSE_RANGE.UNSHARE | CLOSE_RANGE.CLOEXEC) || first > last) fail('EINVAL', 'close_range');
  t.process.fds.closeRange(first, last, (flags & CLOSE_RANGE.CLOEXEC) !== 0);
  return 0;
}

/** dup(2): lowest free fd, FD_CLOEXEC clear. */
function dup(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  f.incRef();
  try {
    return t.process.fds.install(f, { limit: nofile(t) });
  } catch (e) {
    f.decRef();
    throw e;
  }
}

function dupTo(t: Task, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = t.process.fds.get(oldfd);
  f.incRef();
  try {
    t.process.fds.installAt(newfd, f, cloexec, nofile(t));
  } catch (e) {
    f.decRef();
    throw e;
  }
  return newfd;
}

/** dup2(2): oldfd == newfd returns newfd if valid. */
function dup2(t: Task, a: SyscallArgs): number {
  const oldfd = a.int(0);
  const newfd = a.int(1);
  if (oldfd === newfd) {
    t.process.fds.get(oldfd);
    return newfd;
  }
  return dupTo(t, oldfd, newfd, false);
}

/** dup3(2): EINVAL for oldfd == newfd or flags other than O_CLOEXEC. */
function dup3(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if (flags & ~O.CLOEXEC || a.int(0) === a.int(1)) fail('EINVAL', 'dup3');
  return dupTo(t, a.int(0), a.int(1), (flags & O.CLOEXEC) !== 0);
}

/**
 * fcntl(2): F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL. Record
 * locks (POSIX F_GETLK/F_SETLK/F_SETLKW and the OFD ones) come from
 * syscalls/locks.ts: advisory, inside the sandbox only. F_GETOWN is 0 and
 * F_SETOWN accepted without SIGIO delivery. Pipe sizes come from the pipe
 * family, seals from syscalls/memfd.ts; leases (F_SETLEASE…) are EINVAL.
 */
function fcntl(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const cmd = a.int(1);
  const fds = t.process.fds;
  const f = fds.get(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const min = a.int(2);
      if (min < 0 || min >= nofile(t)) fail('EINVAL', `F_DUPFD ${min}`);
      f.incRef();
      try {
        return fds.install(f, { min, cloexec: cmd === F.DUPFD_CLOEXEC, limit: nofile(t) });
      } catch (e) {
        f.decRef();
        throw e;
      }
    }
    case F.GETFD:
      return fds.getCloexec(fd) ? FD_CLOEXEC : 0;
    case F.SETFD:
      fds.setCloexec(fd, (a.int(2) & FD_CLOEXEC) !== 0);
      return 0;
    case F.GETFL:
      return f.flags & ~O.CLOEXEC;
    case F.SETFL:
      f.flags = (f.flags & ~O_SETFL_MASK) | (a.int(2) & O_SETFL_MASK);
      return 0;
    case F.GETOWN:
    case F.SETOWN:
      return 0;
    default:
      return lockFcntl(t, f, cmd, a.ptr(2)) ?? pipeFcntl(f, cmd, a.int(2)) ?? sealFcntl(f, cmd, a.int(2)) ?? fail('EINVAL', `fcntl cmd ${cmd}`);
  }
}

/**
 * ioctl(2): FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC here, the interface ioctls on
 * any socket (fsimpl/socket/ifaces.ts); the rest by the file (TCGETS,
 * TIOCGWINSZ, FIONREAD, …) or ENOTTY. FIOASYNC sets or clears O_ASYNC as
 * F_SETFL does, and like it delivers no SIGIO; Linux accepts it only on
 * files with a fasync operation, here sockets and pipes (terminals, which
 * have one in Linux, are ENOTTY), ENOTTY on others when the flag would change.
 */
function ioctl(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const cmd = a.uint(1);
  const arg = a.ptr(2);
  const f = t.process.fds.get(fd);
  switch (cmd) {
    case FIOCLEX:
    case FIONCLEX:
      t.process.fds.setCloexec(fd, cmd === FIOCLEX);
      return 0;
    case FIONBIO: {
      const on = t.mem.read(arg, 4).readInt32LE(0) !== 0;
      f.flags = on ? f.flags | O.NONBLOCK : f.flags & ~O.NONBLOCK;
      return 0;
    }
    case FIOASYNC: {
      const on = t.mem.read(arg, 4).readInt32LE(0) !== 0;
      if (on === ((f.flags & O.ASYNC) !== 0)) return 0;
      const type = f.stat().mode & S_IFMT;
      if (type !== S_IFSOCK && type !== S_IFIFO) fail('ENOTTY', 'FIOASYNC: no fasync on this file');
      f.flags = on ? f.flags | O.ASYNC : f.flags & ~O.ASYNC;
      return 0;
    }
    default:
      if (isNetdevIoctl(cmd) && (f.stat().mode & S_IFMT) === S_IFSOCK) return netdevIoctl(t.kernel, t.process.creds, t.mem, cmd, arg);
      return f.ioctl ? f.ioctl(t.mem, cmd, arg, t) : fail('ENOTTY', `ioctl ${cmd.toString(16)}`);
  }
}

export const fsOpenRows: FamilyRows = {
  open: partial(open, 'O_TMPFILE on tmpfs and the memory overlay; EOPNOTSUPP on a Gofer tree without it'),
  openat: partial(openat, 'O_TMPFILE on tmpfs and the memory overlay; EOPNOTSUPP on a Gofer tree without it'),
  openat2: error('ENOSYS', 'openat2 is not implemented; callers fall back to openat'),
  creat: supported(creat),
  close: supported(close),
  close_range: supported(closeRange),
  dup: supported(dup),
  dup2: supported(dup2),
  dup3: supported(dup3),
  fcntl: partial(fcntl, 'record locks (POSIX and OFD) are advisory and inside the sandbox only; no SIGIO owner; leases EINVAL'),
  ioctl: partial(ioctl, 'generic FIOCLEX/FIONCLEX/FIONBIO; FIOASYNC on sockets and pipes without SIGIO; SIOCGIF* interface queries on sockets; bridge devices without ports (fsimpl/socket/bridges.ts); per-file FIONREAD; ptys: termios, window size, job control, ptmx; ENOTTY otherwise'),
};
