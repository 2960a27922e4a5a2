import { SIG, NSIG, CORE_SIGNALS, SIGRTMIN } from '../abi/linux/signal';

/** A signal set as a 64-bit mask: bit (signo-1). */
export type SignalMask = bigint;

export const sigBit = (signo: number): SignalMask => 1n << BigInt(signo - 1);

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

/** struct k_sigaction as rt_sigaction(2) passes it on x86_64: handler, flags, restorer, mask. */
export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: SignalMask;
}

export const SIGACTION_SIZE = 32;

export function decodeSigAction(b: Buffer): SigAction {
  return {
    handler: b.readBigUInt64LE(0),
    flags: b.readBigUInt64LE(8),
    restorer: b.readBigUInt64LE(16),
    mask: b.readBigUInt64LE(24),
  };
}

export function encodeSigAction(a: SigAction): Buffer {
  const b = Buffer.alloc(SIGACTION_SIZE);
  b.writeBigUInt64LE(a.handler, 0);
  b.writeBigUInt64LE(a.flags, 8);
  b.writeBigUInt64LE(a.restorer, 16);
  b.writeBigUInt64LE(a.mask, 24);
  return b;
}

/** Signals whose default action is to do nothing (signal(7)). */
const IGNORED_BY_DEFAULT: ReadonlySet<number> = new Set([SIG.SIGCHLD, SIG.SIGURG, SIG.SIGWINCH, SIG.SIGCONT]);
const STOP_SIGNALS: ReadonlySet<number> = new Set([SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);

export type DefaultAction = 'ignore' | 'stop' | 'terminate' | 'core';

export function defaultAction(signo: number): DefaultAction {
  if (IGNORED_BY_DEFAULT.has(signo)) return 'ignore';
  if (STOP_SIGNALS.has(signo)) return 'stop';
  return CORE_SIGNALS.has(signo) ? 'core' : 'terminate';
}

/** Wait status of a process killed by `signo` (with the core-dump bit where Linux sets it). */
export function killedStatus(signo: number): number {
  return signo | (CORE_SIGNALS.has(signo) ? 0x80 : 0);
}

export function validSignal(signo: number): boolean {
  return signo >= 1 && signo <= NSIG;
}

/** A process's signal dispositions (shared by its threads). */
export class SignalActions {
  private readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({
    handler: SIG_DFL,
    flags: 0n,
    restorer: 0n,
    mask: 0n,
  }));

  get(signo: number): SigAction {
    return this.actions[signo];
  }

  set(signo: number, a: SigAction): void {
    this.actions[signo] = a;
  }

  /** fork(2): the child starts with a copy of the parent's dispositions. */
  copyFrom(other: SignalActions): void {
    other.actions.forEach((a, i) => (this.actions[i] = { ...a }));
  }

  /** execve(2): handled signals revert to SIG_DFL, ignored ones stay ignored. */
  resetForExec(): void {
    for (const a of this.actions) {
      if (a.handler !== SIG_IGN) {
        a.handler = SIG_DFL;
        a.flags = 0n;
        a.restorer = 0n;
        a.mask = 0n;
      }
    }
  }
}

/** siginfo_t is 128 bytes on x86_64. */
export const SIGINFO_SIZE = 128;

/** A queued signal: its siginfo, and what gives back its RLIMIT_SIGPENDING charge when it leaves the queue. */
interface Queued {
  info: Buffer;
  uncharge?: () => void;
}

/**
 * Pending signals of a task (thread-directed) or a process (shared):
 * standard signals coalesce, real-time ones (>= 32) queue, each with its
 * siginfo. Kept per signal number, with the mask of those pending, so
 * taking the next one does not scan every queued signal.
 */
export class SignalQueue {
  private readonly bySignal = new Map<number, Queued[]>();
  private pending: SignalMask = 0n;

  get mask(): SignalMask {
    return this.pending;
  }

  /** Queues `signo`; a standard signal already pending is not queued twice. Returns whether it was added. */
  enqueue(signo: number, info: Buffer, uncharge?: () => void): boolean {
    const bit = sigBit(signo);
    if (signo < SIGRTMIN && this.pending & bit) return false;
    const q = this.bySignal.get(signo);
    if (q) q.push({ info, uncharge });
    else this.bySignal.set(signo, [{ info, uncharge }]);
    this.pending |= bit;
    return true;
  }

  /** Takes the lowest-numbered pending signal not in `blocked` (Linux delivers low numbers first), oldest first. */
  dequeue(blocked: SignalMask): { signo: number; info: Buffer } | undefined {
    // Asked before every return to the app: nothing pending must cost no BigInt arithmetic.
    if (this.pending === 0n) return undefined;
    const ready = this.pending & ~blocked;
    if (ready === 0n) return undefined;
    let signo = 1;
    while (!(ready & sigBit(signo))) signo++;
    const q = this.bySignal.get(signo) as Queued[];
    const first = q.shift() as Queued;
    if (q.length === 0) this.discard(signo);
    first.uncharge?.();
    return { signo, info: first.info };
  }

  /** Drops everything pending (the thread or process ended), giving back its charges. */
  clear(): void {
    for (const signo of [...this.bySignal.keys()]) this.discard(signo);
  }

  /** Drops every pending instance of `signo` (e.g. SIGCONT discards stop signals). */
  discard(signo: number): void {
    for (const q of this.bySignal.get(signo) ?? []) q.uncharge?.();
    this.bySignal.delete(signo);
    this.pending &= ~sigBit(signo);
  }
}
