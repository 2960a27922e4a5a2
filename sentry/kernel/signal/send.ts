/**
 * Sending signals inside the sandbox (signal(7)): there are no permission
 * checks between sandbox processes. Follows Linux's send-time rules:
 * ignored signals vanish unless blocked, SIGKILL and unblocked fatal
 * signals end the whole process at once, stop signals stop it and SIGCONT
 * continues it; everything else is queued and the task that can take it
 * is interrupted.
 */
import { SIG, SIGRTMIN } from '../../abi/linux/signal';
import { CLD, SA, SI, SIGINFO } from '../../abi/linux/sigframe';
import { fail } from '../../errors/linuxerr';
import { RLIMIT } from '../limits';
import { SIG_DFL, SIG_IGN, SignalMask, defaultAction, killedStatus, sigBit } from '../signals';
import { Process, Task } from '../task';
import { kernelInfo } from './siginfo';
import { jobControl, signalArrivals } from './state';

export { sigBit };

/** SIGKILL and SIGSTOP can be neither blocked nor caught. */
export const UNBLOCKABLE = sigBit(SIG.SIGKILL) | sigBit(SIG.SIGSTOP);

const STOP_MASK = sigBit(SIG.SIGSTOP) | sigBit(SIG.SIGTSTP) | sigBit(SIG.SIGTTIN) | sigBit(SIG.SIGTTOU);

/** Whether `signo` would be dropped on arrival: SIG_IGN, or SIG_DFL with an "ignore" default. */
export function isIgnored(p: Process, signo: number): boolean {
  const h = p.sigactions.get(signo).handler;
  return h === SIG_IGN || (h === SIG_DFL && defaultAction(signo) === 'ignore');
}

/** Pending signals of a task: its own and its process's. */
export function pendingMask(t: Task): SignalMask {
  return t.sigPending.mask | t.process.sigPending.mask;
}

/** Drops every pending instance of the signals in `mask` from the process and its threads. */
export function discardPending(p: Process, mask: SignalMask): void {
  for (let s = 1; s <= 64; s++) {
    if (!(mask & sigBit(s))) continue;
    p.sigPending.discard(s);
    for (const t of p.tasks) t.sigPending.discard(s);
  }
}

/**
 * Sends `signo` to a thread (thread-directed) or a process. `info` is the
 * 128-byte siginfo (default: SI_KERNEL). Returns whether the signal took
 * effect (was queued, or acted on at once).
 */
export function queueSignal(target: Task | Process, signo: number, info: Buffer = kernelInfo(signo), fromProcess = false): boolean {
  const p = target instanceof Task ? target.process : target;
  if (p.exitStatus !== undefined) return false;
  if (p.takeSignal) return p.takeSignal(signo);
  if (signo === SIG.SIGKILL) {
    p.exit(killedStatus(signo));
    return true;
  }
  if (signo === SIG.SIGCONT) continueProcess(p);
  else if (STOP_MASK & sigBit(signo)) discardPending(p, sigBit(SIG.SIGCONT));

  const candidates = target instanceof Task ? [target] : [...p.tasks];
  const taker = candidates.find((t) => !(t.sigmask & sigBit(signo)));
  if (!taker && candidates.length > 0) return enqueue(target, p, signo, info, undefined, fromProcess);
  if (isIgnored(p, signo)) return false;
  if (p.sigactions.get(signo).handler === SIG_DFL) {
    const action = defaultAction(signo);
    if (action === 'stop') {
      stopProcess(p, signo);
      return true;
    }
    if (action !== 'ignore') {
      p.exit(killedStatus(signo));
      return true;
    }
  }
  return enqueue(target, p, signo, info, taker, fromProcess);
}

function enqueue(target: Task | Process, p: Process, signo: number, info: Buffer, taker: Task | undefined, fromProcess: boolean): boolean {
  let uncharge: (() => void) | undefined;
  if (fromProcess && signo >= SIGRTMIN) {
    uncharge = chargeSigpending(p, info);
    // Over the limit, kill(2)'s signal is only marked pending, as one already queued.
    if (!uncharge && target.sigPending.mask & sigBit(signo)) return true;
  }
  if (!target.sigPending.enqueue(signo, info, uncharge)) return false;
  signalArrivals(p).notify();
  if (taker) p.kernel.sched.interrupt(taker);
  return true;
}

/**
 * RLIMIT_SIGPENDING: a real-time signal a process sends (kill, tgkill,
 * sigqueue) is charged to the real uid of the receiving process while it
 * is queued; the returned function gives the charge back. At the limit
 * Linux fails the send with EAGAIN, except kill(2)'s (SI_USER), which
 * loses its siginfo but still makes the signal pending: undefined then.
 * What the kernel itself sends (timers, child exits) is not limited; each
 * such source has at most one signal queued at a time.
 */
function chargeSigpending(p: Process, info: Buffer): (() => void) | undefined {
  const counts = p.kernel.rtSignalsQueued;
  const uid = p.creds.uid;
  const queued = counts.get(uid) ?? 0;
  if (BigInt(queued) >= p.limits[RLIMIT.SIGPENDING].cur) {
    if (info.readInt32LE(SIGINFO.CODE) !== SI.USER) fail('EAGAIN', 'RLIMIT_SIGPENDING reached');
    return undefined;
  }
  counts.set(uid, queued + 1);
  return () => {
    const left = (counts.get(uid) ?? 1) - 1;
    if (left > 0) counts.set(uid, left);
    else counts.delete(uid);
  };
}

/** sendSignal(target, signo, info?): queueSignal for callers that do not need the outcome. */
export function sendSignal(target: Task | Process, signo: number, info?: Buffer): void {
  queueSignal(target, signo, info);
}

/**
 * A synchronous signal the task cannot refuse (faults, a bad sigreturn
 * frame): if blocked or ignored, Linux resets it to SIG_DFL and unblocks
 * it, so the process dies. Returns whether the process is still alive.
 */
export function forceSignal(t: Task, signo: number, info: Buffer = kernelInfo(signo)): boolean {
  const act = t.process.sigactions.get(signo);
  const blocked = (t.sigmask & sigBit(signo)) !== 0n;
  if (blocked || act.handler === SIG_IGN) {
    t.process.sigactions.set(signo, { ...act, handler: SIG_DFL });
    t.sigmask &= ~sigBit(signo);
  }
  queueSignal(t, signo, info);
  return t.process.exitStatus === undefined;
}

/** faultSignal(t, signo, siginfo): a synchronous fault; see forceSignal. */
export const faultSignal = forceSignal;

const FAULTS: ReadonlySet<number> = new Set([SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGFPE, SIG.SIGILL, SIG.SIGTRAP]);

/**
 * A platform signal stop: a fault the CPU raised (a fault signal with a
 * kernel si_code > 0) is forced on the task; anything else was sent to the
 * stub from outside the sandbox and is an ordinary process-directed signal.
 * Returns whether the process is still alive.
 */
export function platformSignal(t: Task, signo: number, info: Buffer): boolean {
  if (FAULTS.has(signo) && info.readInt32LE(SIGINFO.CODE) > 0) return forceSignal(t, signo, info);
  queueSignal(t.process, signo, info);
  return t.process.exitStatus === undefined;
}

/** Stops the process (default action of SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU) and tells its parent. */
export function stopProcess(p: Process, signo: number): void {
  const j = jobControl(p);
  if (j.stopped) return;
  j.stopped = true;
  j.event = { kind: 'stopped', signo };
  tellParent(p, CLD.STOPPED, signo);
}

/** SIGCONT: pending stop signals are discarded and a stopped process resumes. */
function continueProcess(p: Process): void {
  discardPending(p, STOP_MASK);
  const j = jobControl(p);
  if (!j.stopped) return;
  j.stopped = false;
  j.event = { kind: 'continued' };
  j.continued.notify();
  tellParent(p, CLD.CONTINUED, SIG.SIGCONT);
}

/** Wakes the parent's wait4 and sends it SIGCHLD, unless it asked for none on stop/continue (SA_NOCLDSTOP). */
function tellParent(p: Process, code: number, status: number): void {
  const parent = p.parent;
  if (!parent) return;
  parent.childEvents.notify();
  if (parent.sigactions.get(SIG.SIGCHLD).flags & BigInt(SA.NOCLDSTOP)) return;
  queueSignal(parent, SIG.SIGCHLD, childInfo(p, code, status));
}

function childInfo(p: Process, code: number, status: number): Buffer {
  const b = kernelInfo(SIG.SIGCHLD, code);
  b.writeInt32LE(p.pid, SIGINFO.PID);
  b.writeUInt32LE(p.creds.uid, SIGINFO.UID);
  b.writeInt32LE(status, SIGINFO.STATUS);
  return b;
}

/**
 * Kernel.onChildExit: the exit signal (SIGCHLD unless clone() chose
 * another; none if 0) with CLD_EXITED, CLD_KILLED or CLD_DUMPED.
 */
export function childExited(p: Process): void {
  const status = p.exitStatus;
  if (!p.parent || p.exitSignal === 0 || status === undefined) return;
  const sig = status & 0x7f;
  const code = sig === 0 ? CLD.EXITED : status & 0x80 ? CLD.DUMPED : CLD.KILLED;
  queueSignal(p.parent, p.exitSignal, childInfo(p, code, sig === 0 ? (status >> 8) & 0xff : sig));
}

/**
 * wait4's view of job control: the wait status of an unreported stop
 * ((signo << 8) | 0x7f, with WUNTRACED) or continue (0xffff, with
 * WCONTINUED), consumed unless `peek` (WNOWAIT).
 */
export function takeJobStatus(p: Process, untraced: boolean, continued: boolean, peek = false): number | undefined {
  const ev = jobControl(p).event;
  if (!ev) return undefined;
  let status: number;
  if (ev.kind === 'stopped' && untraced) status = (ev.signo << 8) | 0x7f;
  else if (ev.kind === 'continued' && continued) status = 0xffff;
  else return undefined;
  if (!peek) jobControl(p).event = undefined;
  return status;
}
