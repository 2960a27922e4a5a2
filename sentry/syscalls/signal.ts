/**
 * Signal dispositions, masks, alternate stacks and sending signals within
 * the sandbox. Dispositions and masks are recorded with Linux's rules;
 * delivery to app handlers comes with the process-model work.
 */
import { SIG } from '../abi/linux/signal';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { decodeSigAction, encodeSigAction, SIGACTION_SIZE, validSignal } from '../kernel/signals';
import { deliverSignal } from '../kernel/deliver';
import { writeOptional } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { SyscallControl, SyscallResult } from './types';
import { FamilyRows, supported, partial } from './rows';

const SIGSET_SIZE = 8;
const UNBLOCKABLE = (1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1));

/** rt_sigaction(2): SIGKILL/SIGSTOP cannot be changed (EINVAL); sigsetsize must be 8. */
function rtSigaction(t: Task, a: SyscallArgs): number {
  const signo = a.int(0);
  if (!validSignal(signo) || a.size(3) !== SIGSET_SIZE) fail('EINVAL');
  const old = t.process.sigactions.get(signo);
  if (a.ptr(1) !== 0) {
    if (signo === SIG.SIGKILL || signo === SIG.SIGSTOP) fail('EINVAL');
    const next = decodeSigAction(t.mem.read(a.ptr(1), SIGACTION_SIZE));
    next.mask &= ~UNBLOCKABLE;
    writeOptional(t.mem, a.ptr(2), encodeSigAction(old));
    t.process.sigactions.set(signo, next);
  } else {
    writeOptional(t.mem, a.ptr(2), encodeSigAction(old));
  }
  return 0;
}

const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;

/** rt_sigprocmask(2): SIGKILL and SIGSTOP are silently left unblocked, as on Linux. */
function rtSigprocmask(t: Task, a: SyscallArgs): number {
  if (a.size(3) !== SIGSET_SIZE) fail('EINVAL');
  const how = a.int(0);
  const old = t.sigmask;
  if (a.ptr(1) !== 0) {
    const set = t.mem.read(a.ptr(1), 8).readBigUInt64LE(0);
    if (how === SIG_BLOCK) t.sigmask = old | set;
    else if (how === SIG_UNBLOCK) t.sigmask = old & ~set;
    else if (how === SIG_SETMASK) t.sigmask = set;
    else fail('EINVAL');
    t.sigmask &= ~UNBLOCKABLE;
  }
  if (a.ptr(2) !== 0) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(old);
    t.mem.write(a.ptr(2), b);
  }
  return 0;
}

const SS_ONSTACK = 1;
const SS_DISABLE = 2;
const MINSIGSTKSZ = 2048;

/** sigaltstack(2): stack_t is { ss_sp, ss_flags (int, padded), ss_size }. */
function sigaltstack(t: Task, a: SyscallArgs): number {
  const cur = t.altStack;
  if (a.ptr(0) !== 0) {
    const b = t.mem.read(a.ptr(0), 24);
    const flags = b.readInt32LE(8);
    if (flags & ~(SS_DISABLE | (1 << 31))) fail('EINVAL');
    const size = Number(b.readBigUInt64LE(16));
    if (!(flags & SS_DISABLE) && size < MINSIGSTKSZ) fail('ENOMEM');
    const next = { sp: Number(b.readBigUInt64LE(0)), flags: flags & SS_DISABLE, size };
    writeOptional(t.mem, a.ptr(1), encodeStack(cur));
    t.altStack = next;
  } else {
    writeOptional(t.mem, a.ptr(1), encodeStack(cur));
  }
  return 0;
}

function encodeStack(s: { sp: number; flags: number; size: number }): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(BigInt(s.sp), 0);
  b.writeInt32LE(s.flags & ~SS_ONSTACK, 8);
  b.writeBigUInt64LE(BigInt(s.size), 16);
  return b;
}

/** Sends `signo` to the caller's own process; signal 0 only checks existence. */
function signalSelf(t: Task, signo: number): SyscallResult {
  if (signo === 0) return 0;
  if (!validSignal(signo)) fail('EINVAL');
  return deliverSignal(t.process, signo) === 'terminated' ? SyscallControl.TASK_EXITED : 0;
}

/** kill(2): pid > 0 a process, 0 the caller's group, -1 every process it may signal, < -1 a group. */
function kill(t: Task, a: SyscallArgs): SyscallResult {
  const pid = a.int(0);
  const own = pid === t.process.pid || pid === 0 || pid === -1 || -pid === t.process.pgid;
  if (!own) fail('ESRCH', `pid ${pid}`);
  return signalSelf(t, a.int(1));
}

/** tgkill(2) for threads of the caller's process. */
function tgkill(t: Task, a: SyscallArgs): SyscallResult {
  if (a.int(0) <= 0 || a.int(1) <= 0) fail('EINVAL');
  if (a.int(0) !== t.process.pid || !t.kernel.tasks.has(a.int(1))) fail('ESRCH');
  return signalSelf(t, a.int(2));
}

/** tkill(2) for threads of the caller's process. */
function tkill(t: Task, a: SyscallArgs): SyscallResult {
  if (a.int(0) <= 0) fail('EINVAL');
  if (!t.kernel.tasks.has(a.int(0))) fail('ESRCH');
  return signalSelf(t, a.int(1));
}

const SIGNALS_TO_OTHERS = 'only the caller\'s own process until the process model lands; handled signals return ENOSYS';

export const signalSyscalls: FamilyRows = {
  rt_sigaction: supported(rtSigaction),
  rt_sigprocmask: supported(rtSigprocmask),
  sigaltstack: supported(sigaltstack),
  kill: partial(kill, SIGNALS_TO_OTHERS),
  tgkill: partial(tgkill, SIGNALS_TO_OTHERS),
  tkill: partial(tkill, SIGNALS_TO_OTHERS),
};
