/**
 * pidfds (Linux 5.3+): pidfd_open(2) and pidfd_getfd(2); pidfd_send_signal
 * is in signal.ts, waitid's P_PIDFD and CLONE_PIDFD in process.ts. A pidfd
 * names a thread-group leader; pidfds of other threads (PIDFD_THREAD,
 * Linux 6.9) are not supported (EINVAL), nor are /proc/[pid] directory fds
 * used as pidfds (EBADF).
 */
import { CAP } from '../abi/linux/capability';
import { O } from '../abi/linux/fs';
import { PIDFD_NONBLOCK } from '../abi/linux/sched';
import { fail } from '../errors/linuxerr';
import { PidFd } from '../fsimpl/pidfd/pidfd';
import type { Process, Task } from '../kernel/task';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { writeI32 } from '../kernel/usermem';
import { FamilyRows, partial } from './rows';

/** The pidfd behind `fd`: EBADF when fd is not open or not a pidfd (Linux's pidfd_get_pid). */
export function pidfdAt(t: Task, fd: number): PidFd {
  return t.process.fds.getKind(fd, PidFd, 'EBADF', 'a pidfd');
}

/** A new pidfd for `p` (O_CLOEXEC, as Linux always makes them), at the lowest free fd. */
function installPidfd(t: Task, p: Process, flags: number): number {
  return installNew(t, new PidFd(p, flags & O.NONBLOCK), true);
}

/**
 * CLONE_PIDFD: the child's pidfd, installed and its number stored at
 * `addr` before the child is made (EMFILE or EFAULT fail the clone, as in
 * Linux's copy_process); `bind` names the child, `cancel` takes it back
 * when the clone fails after all.
 */
export function reservePidfd(t: Task, addr: number): { bind(p: Process): void; cancel(): void } {
  const f = new PidFd(undefined, 0);
  const fd = installNew(t, f, true);
  const cancel = () => t.process.fds.close(fd);
  try {
    writeI32(t.mem, addr, fd);
  } catch (e) {
    cancel();
    throw e;
  }
  return { bind: (p) => f.bind(p), cancel };
}

/**
 * pidfd_open(2): a pidfd for process `pid`, which may have exited but not
 * been reaped (ESRCH once it is, or when there is no such pid); EINVAL for
 * pid <= 0, for flags other than PIDFD_NONBLOCK and for a thread that does
 * not lead its group.
 */
function pidfdOpen(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const flags = a.uint(1);
  if (flags & ~PIDFD_NONBLOCK || pid <= 0) fail('EINVAL');
  const p = t.kernel.processes.get(pid);
  if (!p) {
    if (t.kernel.tasks.has(pid)) fail('EINVAL', `${pid} is not a thread-group leader`);
    fail('ESRCH', `pid ${pid}`);
  }
  return installPidfd(t, p, flags);
}

/**
 * Whether `t` may take descriptors from `p`: Linux's
 * ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS), that is the caller's
 * real uid and gid are the target's real, effective and saved ones and the
 * target is dumpable, or the caller has CAP_SYS_PTRACE.
 */
function mayAttach(t: Task, p: Process): boolean {
  if (p === t.process) return true;
  const c = t.process.creds;
  if (c.hasCap(CAP.SYS_PTRACE)) return true;
  const o = p.creds;
  const sameIds = [o.uid, o.euid, o.suid].every((id) => id === c.uid) && [o.gid, o.egid, o.sgid].every((id) => id === c.gid);
  // An exited process has no memory left to protect: Linux checks dumpable only while it has an mm.
  return sameIds && (p.dumpable !== 0 || p.exitStatus !== undefined);
}

/**
 * pidfd_getfd(2): a duplicate, at the caller's lowest free fd with
 * O_CLOEXEC, of descriptor `targetfd` of the process the pidfd names. The
 * description is shared, as with SCM_RIGHTS. EINVAL for flags, ESRCH once
 * the process exited, EPERM without ptrace access, EBADF for a closed
 * targetfd.
 */
function pidfdGetfd(t: Task, a: SyscallArgs): number {
  if (a.uint(2) !== 0) fail('EINVAL', 'pidfd_getfd flags');
  const target = pidfdAt(t, a.int(0)).target;
  if (target.reaped) fail('ESRCH', `pid ${target.pid} was reaped`);
  if (!mayAttach(t, target)) fail('EPERM', `no ptrace access to pid ${target.pid}`);
  // A zombie's descriptors are gone: Linux says ESRCH (the files of an exiting task), not EBADF.
  if (target.exitStatus !== undefined) fail('ESRCH', `pid ${target.pid} exited`);
  const f = target.fds.get(a.int(1));
  f.incRef();
  return installNew(t, f, true);
}

export const pidfdRows: FamilyRows = {
  pidfd_open: partial(pidfdOpen, 'no PIDFD_THREAD'),
  pidfd_getfd: partial(pidfdGetfd, 'no LSM hook; Yama ptrace_scope is 0 in the sandbox'),
};
