/**
 * Thread-local state and exit: arch_prctl (TLS), set_tid_address,
 * robust futex lists, rseq, exit and exit_group.
 */
import { REG } from '../abi/linux/ptrace';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { writeU64 } from '../kernel/usermem';
import { SyscallControl } from './types';
import { FamilyRows, supported, partial, error } from './rows';

const ARCH = { SET_GS: 0x1001, SET_FS: 0x1002, GET_FS: 0x1003, GET_GS: 0x1004, GET_CPUID: 0x1011, SET_CPUID: 0x1012 };
/** Linux refuses fs/gs bases at or beyond TASK_SIZE (EPERM). */
const TASK_SIZE = 0x7fff_ffff_f000;

/** arch_prctl(2): FS/GS base for TLS; CPUID faulting is reported as enabled-without-faulting. */
function archPrctl(t: Task, a: SyscallArgs): number {
  switch (a.int(0)) {
    case ARCH.SET_FS:
    case ARCH.SET_GS:
      if (a.ptr(1) >= TASK_SIZE) fail('EPERM');
      t.regs.set(a.int(0) === ARCH.SET_FS ? REG.fs_base : REG.gs_base, a.u64(1));
      return 0;
    case ARCH.GET_FS:
      writeU64(t.mem, a.ptr(1), t.regs.get(REG.fs_base));
      return 0;
    case ARCH.GET_GS:
      writeU64(t.mem, a.ptr(1), t.regs.get(REG.gs_base));
      return 0;
    case ARCH.GET_CPUID:
      return 1;
    case ARCH.SET_CPUID:
      return fail('ENODEV', 'CPUID faulting is not available');
    default:
      return fail('EINVAL');
  }
}

/** set_tid_address(2): remembers clear_child_tid; returns the caller's tid. */
function setTidAddress(t: Task, a: SyscallArgs): number {
  t.clearChildTid = a.ptr(0);
  return t.tid;
}

const ROBUST_LIST_HEAD_SIZE = 24;

/**
 * set_robust_list(2): records the head (EINVAL unless len is
 * sizeof(struct robust_list_head)). The list is walked when the thread
 * exits, is killed with its process, or execs (kernel/robust.ts): locks it
 * still holds get FUTEX_OWNER_DIED and one waiter is woken. PI futexes are
 * marked but, being unsupported, have no waiters to hand over to.
 */
function setRobustList(t: Task, a: SyscallArgs): number {
  if (a.size(1) !== ROBUST_LIST_HEAD_SIZE) fail('EINVAL');
  t.robustList = a.ptr(0);
  return 0;
}

/** get_robust_list(2) for the caller (pid 0 or its own tid). */
function getRobustList(t: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  const target = tid === 0 ? t : (t.kernel.tasks.get(tid) ?? fail('ESRCH'));
  writeU64(t.mem, a.ptr(1), BigInt(target.robustList));
  writeU64(t.mem, a.ptr(2), BigInt(ROBUST_LIST_HEAD_SIZE));
  return 0;
}

/** exit_group(2): ends every thread of the process with status (code & 0xff) << 8. */
function exitGroup(t: Task, a: SyscallArgs): SyscallControl {
  t.process.exit((a.int(0) & 0xff) << 8);
  return SyscallControl.TASK_EXITED;
}

/** exit(2): ends the calling thread; the last thread's exit ends the process. */
function exit(t: Task, a: SyscallArgs): SyscallControl {
  t.exitThread((a.int(0) & 0xff) << 8);
  return SyscallControl.TASK_EXITED;
}

export const threadSyscalls: FamilyRows = {
  arch_prctl: supported(archPrctl),
  set_tid_address: supported(setTidAddress),
  set_robust_list: supported(setRobustList),
  get_robust_list: partial(getRobustList, 'only for tasks of this sandbox'),
  rseq: error('ENOSYS', 'restartable sequences are not supported; glibc falls back'),
  exit: supported(exit),
  exit_group: supported(exitGroup),
};
