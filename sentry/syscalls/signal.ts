/**
 * Signal syscalls: dispositions, masks, alternate stacks, sending signals
 * to any sandbox process, thread or process group, waiting for signals
 * (rt_sigsuspend, pause, rt_sigtimedwait, signalfd) and rt_sigreturn.
 * Delivery itself (handler frames, default actions) is in kernel/signal/.
 */
import { CAP } from '../abi/linux/capability';
import { Errno } from '../abi/linux/errno';
import { REG } from '../abi/linux/ptrace';
import { SI, SIGINFO, SFD, SS } from '../abi/linux/sigframe';
import { SIG } from '../abi/linux/signal';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/linux/time';
import { fail, LinuxError } from '../errors/linuxerr';
import { Process, Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { decodeSigAction, encodeSigAction, SIGACTION_SIZE, SIGINFO_SIZE, validSignal } from '../kernel/signals';
import { AltStack, DISABLED_ALT_STACK, onAltStack, popFrame } from '../kernel/signal/frame';
import { dequeueSignal, fpRegsOf, suspendMask } from '../kernel/signal/deliver';
import { UNBLOCKABLE, discardPending, forceSignal, isIgnored, pendingMask, queueSignal, sigBit } from '../kernel/signal/send';
import { senderInfo } from '../kernel/signal/siginfo';
import { SignalFd } from '../kernel/signal/signalfd';
import { signalArrivals } from '../kernel/signal/state';
import { writeOptional } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { pidfdAt } from './pidfd';
import { SyscallControl, SyscallResult } from './types';
import { FamilyRows, supported, partial } from './rows';

const SIGSET_SIZE = 8;

function readSigset(t: Task, addr: number): bigint {
  return t.mem.read(addr, SIGSET_SIZE).readBigUInt64LE(0);
}

function writeSigset(t: Task, addr: number, set: bigint, len = SIGSET_SIZE): void {
  const b = Buffer.alloc(SIGSET_SIZE);
  b.writeBigUInt64LE(set);
  t.mem.write(addr, b.subarray(0, len));
}

/**
 * rt_sigaction(2): SIGKILL/SIGSTOP cannot be changed (EINVAL); sigsetsize
 * must be 8. An action that ignores the signal discards its pending
 * instances (POSIX 3.3.1.3).
 */
function rtSigaction(t: Task, a: SyscallArgs): number {
  const signo = a.int(0);
  if (!validSignal(signo) || a.size(3) !== SIGSET_SIZE) fail('EINVAL');
  const p = t.process;
  const old = p.sigactions.get(signo);
  if (a.ptr(1) !== 0) {
    if (signo === SIG.SIGKILL || signo === SIG.SIGSTOP) fail('EINVAL');
    const next = decodeSigAction(t.mem.read(a.ptr(1), SIGACTION_SIZE));
    next.mask &= ~UNBLOCKABLE;
    writeOptional(t.mem, a.ptr(2), encodeSigAction(old));
    p.sigactions.set(signo, next);
    if (isIgnored(p, signo)) discardPending(p, sigBit(signo));
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
    const set = readSigset(t, a.ptr(1));
    if (how === SIG_BLOCK) t.sigmask = old | set;
    else if (how === SIG_UNBLOCK) t.sigmask = old & ~set;
    else if (how === SIG_SETMASK) t.sigmask = set;
    else fail('EINVAL');
    t.sigmask &= ~UNBLOCKABLE;
  }
  if (a.ptr(2) !== 0) writeSigset(t, a.ptr(2), old);
  return 0;
}

/** rt_sigpending(2): pending signals that are blocked; sigsetsize up to 8 bytes are written. */
function rtSigpending(t: Task, a: SyscallArgs): number {
  if (a.size(1) > SIGSET_SIZE) fail('EINVAL');
  writeSigset(t, a.ptr(0), pendingMask(t) & t.sigmask, a.size(1));
  return 0;
}

const MINSIGSTKSZ = 2048;

/**
 * Installs a stack_t as sigaltstack(2) validates it: EPERM while on the
 * current alternate stack; the mode must be 0, SS_ONSTACK or SS_DISABLE
 * (SS_AUTODISARM may be added); ENOMEM below MINSIGSTKSZ.
 */
function setAltStack(t: Task, next: AltStack): void {
  if (onAltStack(t.altStack, t.regs.get(REG.rsp))) fail('EPERM', 'on the alternate stack');
  const mode = next.flags & ~SS.AUTODISARM;
  if (mode !== 0 && mode !== SS.DISABLE && mode !== SS.ONSTACK) fail('EINVAL');
  if (mode === SS.DISABLE) {
    t.altStack = DISABLED_ALT_STACK;
    return;
  }
  if (next.size < MINSIGSTKSZ) fail('ENOMEM');
  t.altStack = next;
}

function decodeStack(b: Buffer): AltStack {
  return { sp: Number(b.readBigUInt64LE(0)), flags: b.readInt32LE(8), size: Number(b.readBigUInt64LE(16)) };
}

/** The old stack_t: SS_DISABLE, SS_ONSTACK (running on it) or 0, plus SS_AUTODISARM if set. */
function encodeStack(t: Task): Buffer {
  const s = t.altStack;
  const state = s.size === 0 ? SS.DISABLE : onAltStack(s, t.regs.get(REG.rsp)) ? SS.ONSTACK : 0;
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(BigInt(s.sp), 0);
  b.writeInt32LE(state | (s.flags & SS.AUTODISARM), 8);
  b.writeBigUInt64LE(BigInt(s.size), 16);
  return b;
}

/** sigaltstack(2): stack_t is { ss_sp, ss_flags (int, padded), ss_size }. */
function sigaltstack(t: Task, a: SyscallArgs): number {
  const old = encodeStack(t);
  if (a.ptr(0) !== 0) setAltStack(t, decodeStack(t.mem.read(a.ptr(0), 24)));
  writeOptional(t.mem, a.ptr(1), old);
  return 0;
}

/** The result of a syscall that signalled: TASK_EXITED if that ended the caller's own process. */
function afterSend(t: Task): SyscallResult {
  return t.process.exitStatus !== undefined ? SyscallControl.TASK_EXITED : 0;
}

function checkSignal(signo: number): void {
  if (signo !== 0 && !validSignal(signo)) fail('EINVAL', `signal ${signo}`);
}

/**
 * Whether `t` may signal `p` (Linux's check_kill_permission): within its
 * own process, when its real or effective uid is the target's real or
 * saved uid, with CAP_KILL, or for SIGCONT within its session.
 */
function mayKill(t: Task, p: Process, signo: number): boolean {
  if (p === t.process) return true;
  const c = t.process.creds;
  const o = p.creds;
  if ([c.uid, c.euid].some((id) => id === o.uid || id === o.suid) || c.hasCap(CAP.KILL)) return true;
  return signo === SIG.SIGCONT && p.sid === t.process.sid;
}

/** EPERM unless `t` may signal `p` (for the syscalls with one target). */
function checkKill(t: Task, p: Process, signo: number): void {
  if (!mayKill(t, p, signo)) fail('EPERM', `no permission to signal pid ${p.pid}`);
}

/** Live-or-zombie processes kill(2)'s pid argument names (ESRCH when none). */
function killTargets(t: Task, pid: number): Process[] {
  const all = [...t.kernel.processes.values()];
  let found: Process[];
  if (pid > 0) found = all.filter((p) => p.pid === pid);
  else if (pid === -1) found = all.filter((p) => p.pid > 1 && p !== t.process);
  else if (pid === -0x80000000) found = [];
  else {
    const pgid = pid === 0 ? t.process.pgid : -pid;
    found = all.filter((p) => p.pgid === pgid);
  }
  if (found.length === 0) fail('ESRCH', `pid ${pid}`);
  return found;
}

/**
 * kill(2): pid > 0 a process, 0 the caller's group, -1 every process but
 * init and the caller, < -1 the group -pid. Signal 0 checks existence.
 * No permission checks inside the sandbox; init is not protected from its
 * own signals (Linux ignores SIG_DFL signals sent to a PID-namespace init).
 */
function kill(t: Task, a: SyscallArgs): SyscallResult {
  const signo = a.int(1);
  checkSignal(signo);
  // Only the targets the caller may signal get it. A process or group none of which it may signal
  // is EPERM; -1 skips them quietly (Linux's kill_something_info counts only other errors).
  const pid = a.int(0);
  const targets = killTargets(t, pid).filter((p) => mayKill(t, p, signo));
  if (targets.length === 0 && pid !== -1) fail('EPERM', `no permission to signal pid ${pid}`);
  if (signo === 0) return 0;
  const info = senderInfo(signo, SI.USER, t);
  for (const p of targets) queueSignal(p, signo, Buffer.from(info), true);
  return afterSend(t);
}

/** The live thread `tid` (of thread group `tgid` if given); ESRCH otherwise. */
function findThread(t: Task, tid: number, tgid?: number): Task {
  const target = t.kernel.tasks.get(tid);
  if (!target || (tgid !== undefined && target.process.pid !== tgid)) fail('ESRCH', `tid ${tid}`);
  return target;
}

/** tgkill(2): a thread of thread group tgid (SI_TKILL). */
function tgkill(t: Task, a: SyscallArgs): SyscallResult {
  if (a.int(0) <= 0 || a.int(1) <= 0) fail('EINVAL');
  checkSignal(a.int(2));
  const target = findThread(t, a.int(1), a.int(0));
  checkKill(t, target.process, a.int(2));
  return a.int(2) === 0 ? 0 : threadSend(t, target, a.int(2));
}

/** tkill(2): any thread by tid (SI_TKILL). */
function tkill(t: Task, a: SyscallArgs): SyscallResult {
  if (a.int(0) <= 0) fail('EINVAL');
  checkSignal(a.int(1));
  const target = findThread(t, a.int(0));
  checkKill(t, target.process, a.int(1));
  return a.int(1) === 0 ? 0 : threadSend(t, target, a.int(1));
}

function threadSend(t: Task, target: Task, signo: number): SyscallResult {
  queueSignal(target, signo, senderInfo(signo, SI.TKILL, t), true);
  return afterSend(t);
}

/**
 * The caller's siginfo for rt_sigqueueinfo/rt_tgsigqueueinfo: codes >= 0
 * and SI_TKILL are the kernel's and may only be sent to oneself (EPERM).
 */
function userInfo(t: Task, addr: number, signo: number, tgid: number): Buffer {
  const info = t.mem.read(addr, SIGINFO_SIZE);
  checkUserCode(info, tgid === t.process.pid);
  info.writeInt32LE(signo, SIGINFO.SIGNO);
  return info;
}

function checkUserCode(info: Buffer, toSelf: boolean): void {
  const code = info.readInt32LE(SIGINFO.CODE);
  if ((code >= 0 || code === SI.TKILL) && !toSelf) fail('EPERM', `si_code ${code}`);
}

/**
 * pidfd_send_signal(2): kill(2) (SI_USER) or, with a siginfo whose
 * si_signo is `sig` (else EINVAL), rt_sigqueueinfo(2) to the process a
 * pidfd names. ESRCH once it was reaped; a zombie takes the signal and
 * nothing happens. flags must be 0: PIDFD_SIGNAL_THREAD and the process
 * group scopes (Linux 6.9) are EINVAL.
 */
function pidfdSendSignal(t: Task, a: SyscallArgs): SyscallResult {
  if (a.uint(3) !== 0) fail('EINVAL', 'pidfd_send_signal flags');
  const p = pidfdAt(t, a.int(0)).target;
  const signo = a.int(1);
  let info: Buffer;
  if (a.ptr(2) !== 0) {
    info = t.mem.read(a.ptr(2), SIGINFO_SIZE);
    if (info.readInt32LE(SIGINFO.SIGNO) !== signo) fail('EINVAL', 'si_signo is not sig');
    checkUserCode(info, p === t.process);
  } else {
    info = senderInfo(signo, SI.USER, t);
  }
  if (p.reaped) fail('ESRCH', `pid ${p.pid} was reaped`);
  checkSignal(signo);
  checkKill(t, p, signo);
  if (signo === 0 || p.exitStatus !== undefined) return 0;
  queueSignal(p, signo, info, true);
  return afterSend(t);
}

/** rt_sigqueueinfo(2): a signal with caller-supplied siginfo to process tgid. */
function rtSigqueueinfo(t: Task, a: SyscallArgs): SyscallResult {
  const [tgid, signo] = [a.int(0), a.int(1)];
  checkSignal(signo);
  const info = userInfo(t, a.ptr(2), signo, tgid);
  const p = t.kernel.processes.get(tgid) ?? fail('ESRCH', `pid ${tgid}`);
  checkKill(t, p, signo);
  if (signo === 0) return 0;
  queueSignal(p, signo, info, true);
  return afterSend(t);
}

/** rt_tgsigqueueinfo(2): the same, to thread tid of thread group tgid. */
function rtTgsigqueueinfo(t: Task, a: SyscallArgs): SyscallResult {
  const [tgid, tid, signo] = [a.int(0), a.int(1), a.int(2)];
  if (tgid <= 0 || tid <= 0) fail('EINVAL');
  checkSignal(signo);
  const info = userInfo(t, a.ptr(3), signo, tgid);
  const target = findThread(t, tid, tgid);
  checkKill(t, target.process, signo);
  if (signo === 0) return 0;
  queueSignal(target, signo, info, true);
  return afterSend(t);
}

/**
 * Waits for any signal to be queued to the caller's process or threads,
 * then the syscall re-checks. Handled signals do not interrupt the wait:
 * the re-run decides between EINTR and taking the signal.
 */
function waitForSignal(t: Task, deadline?: bigint): never {
  throw new Block([signalArrivals(t.process)], deadline, { errno: Errno.EAGAIN }, 'never');
}

/**
 * rt_sigsuspend(2): waits with a temporary mask until a signal that mask
 * lets through is pending, then fails with EINTR; the handler runs under
 * the temporary mask and its frame restores the original one.
 */
function rtSigsuspend(t: Task, a: SyscallArgs): number {
  if (a.size(1) !== SIGSET_SIZE) fail('EINVAL');
  const mask = readSigset(t, a.ptr(0)) & ~UNBLOCKABLE;
  if (!(pendingMask(t) & ~mask)) waitForSignal(t);
  suspendMask(t, mask);
  return fail('EINTR', 'rt_sigsuspend');
}

/** pause(2): waits until a signal is delivered, then fails with EINTR. */
function pause(t: Task): number {
  if (!(pendingMask(t) & ~t.sigmask)) waitForSignal(t);
  return fail('EINTR', 'pause');
}

/**
 * rt_sigtimedwait(2): takes a pending signal of `set` (blocked or not) and
 * returns its number, filling siginfo. EINTR when an unblocked signal
 * outside the set arrives (its handler runs), EAGAIN at the timeout.
 */
function rtSigtimedwait(t: Task, a: SyscallArgs): number {
  if (a.size(3) !== SIGSET_SIZE) fail('EINVAL');
  const set = readSigset(t, a.ptr(0)) & ~UNBLOCKABLE;
  let timeout: bigint | undefined;
  if (a.ptr(2) !== 0) timeout = decodeTimespec(t.mem.read(a.ptr(2), TIMESPEC_SIZE)) ?? fail('EINVAL', 'timespec');
  const sig = dequeueSignal(t, BigInt.asUintN(64, ~set));
  if (sig) {
    writeOptional(t.mem, a.ptr(1), sig.info);
    return sig.signo;
  }
  if (pendingMask(t) & ~t.sigmask) fail('EINTR', 'rt_sigtimedwait');
  if (timeout === 0n) fail('EAGAIN', 'rt_sigtimedwait: nothing pending');
  return waitForSignal(t, timeout === undefined ? undefined : t.deadline(timeout));
}

/**
 * rt_sigreturn(2): restores the registers, mask and alternate stack saved
 * by the handler frame; a frame Linux would refuse forces SIGSEGV.
 */
function rtSigreturn(t: Task): SyscallResult {
  const r = popFrame(t.mem, t.regs);
  if (!r) return forceSignal(t, SIG.SIGSEGV) ? SyscallControl.REGS_SET : SyscallControl.TASK_EXITED;
  t.sigmask = r.mask & ~UNBLOCKABLE;
  // Like Linux's restore_altstack, an invalid saved stack_t is ignored.
  try {
    setAltStack(t, r.altStack);
  } catch (e) {
    if (!(e instanceof LinuxError)) throw e;
  }
  const fp = fpRegsOf(t.ctx);
  if (fp && r.fpstate) fp.setFpRegs(r.fpstate);
  return SyscallControl.REGS_SET;
}

/**
 * signalfd4(2): fd -1 creates a signalfd for the signals in mask; an
 * existing signalfd gets the new mask (EINVAL for other files).
 */
function newSignalfd(t: Task, fd: number, maskAddr: number, sizemask: number, flags: number): number {
  if (sizemask !== SIGSET_SIZE || flags & ~(SFD.CLOEXEC | SFD.NONBLOCK)) fail('EINVAL');
  const mask = readSigset(t, maskAddr) & ~UNBLOCKABLE;
  if (fd !== -1) {
    const f = t.process.fds.getKind(fd, SignalFd, 'EINVAL', 'a signalfd');
    f.mask = mask;
    f.waitQueue.notify();
    return fd;
  }
  return installNew(t, new SignalFd(t, mask, flags & SFD.NONBLOCK), (flags & SFD.CLOEXEC) !== 0);
}

function signalfd4(t: Task, a: SyscallArgs): number {
  return newSignalfd(t, a.int(0), a.ptr(1), a.size(2), a.int(3));
}

/** signalfd(2): signalfd4 without flags. */
function signalfd(t: Task, a: SyscallArgs): number {
  return newSignalfd(t, a.int(0), a.ptr(1), a.size(2), 0);
}

const SIGNALFD_NOTE = 'reads the queues of the thread that created the fd, not of the reading thread';

export const signalSyscalls: FamilyRows = {
  rt_sigaction: supported(rtSigaction),
  rt_sigprocmask: supported(rtSigprocmask),
  rt_sigpending: supported(rtSigpending),
  sigaltstack: supported(sigaltstack),
  kill: partial(kill, 'init is not protected from SIG_DFL signals'),
  tgkill: supported(tgkill),
  tkill: supported(tkill),
  rt_sigqueueinfo: supported(rtSigqueueinfo),
  rt_tgsigqueueinfo: supported(rtTgsigqueueinfo),
  pidfd_send_signal: partial(pidfdSendSignal, 'flags must be 0 (no PIDFD_SIGNAL_* scopes); /proc/[pid] fds are not pidfds'),
  rt_sigsuspend: supported(rtSigsuspend),
  pause: supported(pause),
  rt_sigtimedwait: supported(rtSigtimedwait),
  rt_sigreturn: partial(rtSigreturn, 'FPU state is restored only on platforms that expose FP registers'),
  signalfd: partial(signalfd, SIGNALFD_NOTE),
  signalfd4: partial(signalfd4, SIGNALFD_NOTE),
};
