/**
 * Delivering pending signals when a task is about to return to user mode
 * (Linux's get_signal + handle_signal): default actions, handler frames,
 * the handler's mask, SA_RESETHAND, and restarting the syscall a signal
 * interrupted.
 */
import { Errno } from '../../abi/linux/errno';
import { REG } from '../../abi/linux/ptrace';
import { SA, SIGINFO, SS } from '../../abi/linux/sigframe';
import { SIG } from '../../abi/linux/signal';
import { Context } from '../../platform/platform';
import { SIG_DFL, SIG_IGN, SigAction, SignalMask, defaultAction, killedStatus } from '../signals';
import { Task } from '../task';
import { DISABLED_ALT_STACK, pushFrame } from './frame';
import { UNBLOCKABLE, forceSignal, sigBit, stopProcess } from './send';
import { infoCode } from './siginfo';
import { isStopped, onDequeue, savedMasks } from './state';

/**
 * How a parked syscall reacts to a signal (Block.interrupt): 'eintr' fails
 * with EINTR; 'restart' runs again after a handler with SA_RESTART, or
 * transparently when no handler runs (Linux's ERESTARTSYS).
 */
export type Interruption = 'eintr' | 'restart';

const interrupted = new WeakMap<Task, Interruption>();

/**
 * Scheduler hook: `t`'s parked syscall was abandoned because a signal
 * arrived. Its result becomes -EINTR now; deliverPending turns it into a
 * restart where Linux would.
 */
export function syscallInterrupted(t: Task, how: Interruption): void {
  t.regs.set(REG.rax, BigInt(-Errno.EINTR));
  t.syscallDone();
  interrupted.set(t, how);
}

/** Re-executes the interrupted `syscall` instruction (2 bytes) with its original number. */
function resolveInterruption(t: Task, act: SigAction | undefined): void {
  const how = interrupted.get(t);
  if (!how) return;
  interrupted.delete(t);
  if (how === 'restart' && (act === undefined || act.flags & BigInt(SA.RESTART))) {
    t.regs.set(REG.rip, t.regs.get(REG.rip) - 2n);
    t.regs.set(REG.rax, t.regs.get(REG.orig_rax));
  }
}

/** rt_sigsuspend: run with `mask` until a handler returns, then restore the current mask. */
export function suspendMask(t: Task, mask: SignalMask): void {
  savedMasks.set(t, t.sigmask);
  t.sigmask = mask & ~UNBLOCKABLE;
}

/** Takes the first pending signal not in `blocked`: the thread's queue, then the process's. */
export function dequeueSignal(t: Task, blocked: SignalMask): { signo: number; info: Buffer } | undefined {
  const sig = t.sigPending.dequeue(blocked) ?? t.process.sigPending.dequeue(blocked);
  if (sig) {
    onDequeue.get(sig.info)?.();
    onDequeue.delete(sig.info);
  }
  return sig;
}

/**
 * Optional platform capability: the FXSAVE image of the task's FPU state
 * (PTRACE_GETFPREGS/SETFPREGS). Without it the handler frame carries a
 * reset image and sigreturn leaves the FPU as the handler left it.
 */
export interface FpRegisters {
  getFpRegs(): Buffer;
  setFpRegs(fxsave: Buffer): void;
}

export function fpRegsOf(ctx: Context): FpRegisters | undefined {
  const c = ctx as Context & Partial<FpRegisters>;
  return c.getFpRegs && c.setFpRegs ? (c as Context & FpRegisters) : undefined;
}

const FAULT_SIGNALS: ReadonlySet<number> = new Set([SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGFPE, SIG.SIGTRAP]);

/**
 * Scheduler hook, called before `t` resumes in user mode (after every
 * syscall and stop): acts on every deliverable pending signal, building
 * nested handler frames. Returns false when the process died of a signal.
 * A stopped process delivers nothing until SIGCONT (check isStopped).
 */
export function deliverPending(t: Task): boolean {
  const p = t.process;
  for (;;) {
    if (p.exitStatus !== undefined) return false;
    if (isStopped(p)) break;
    const sig = dequeueSignal(t, t.sigmask);
    if (!sig) break;
    const act = p.sigactions.get(sig.signo);
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      const action = defaultAction(sig.signo);
      if (action === 'stop') stopProcess(p, sig.signo);
      else if (action !== 'ignore') p.exit(killedStatus(sig.signo));
      continue;
    }
    runHandler(t, sig.signo, sig.info, act);
  }
  resolveInterruption(t, undefined);
  const saved = savedMasks.get(t);
  if (saved !== undefined) {
    savedMasks.delete(t);
    t.sigmask = saved;
  }
  return p.exitStatus === undefined;
}

/** Sets up the handler frame; if it cannot be written, Linux's force_sigsegv. */
function runHandler(t: Task, signo: number, info: Buffer, act: SigAction): void {
  resolveInterruption(t, act);
  const savedMask = savedMasks.get(t) ?? t.sigmask;
  savedMasks.delete(t);
  const fp = fpRegsOf(t.ctx);
  const fault = FAULT_SIGNALS.has(signo) && infoCode(info) > 0;
  const ok = pushFrame(t.mem, t.regs, {
    signo, info, handler: act.handler, restorer: act.restorer, flags: act.flags, savedMask,
    altStack: t.altStack, fpstate: fp?.getFpRegs(), cr2: fault ? info.readBigUInt64LE(SIGINFO.ADDR) : 0n,
  });
  if (!ok) {
    t.sigmask = savedMask;
    if (signo === SIG.SIGSEGV) t.process.sigactions.set(signo, { ...act, handler: SIG_DFL });
    forceSignal(t, SIG.SIGSEGV);
    return;
  }
  t.sigmask = (t.sigmask | act.mask | (act.flags & BigInt(SA.NODEFER) ? 0n : sigBit(signo))) & ~UNBLOCKABLE;
  if (t.altStack.flags & SS.AUTODISARM) t.altStack = DISABLED_ALT_STACK;
  if (act.flags & BigInt(SA.RESETHAND)) t.process.sigactions.set(signo, { ...act, handler: SIG_DFL });
}
