/**
 * Terminal job control (Linux's drivers/tty/tty_jobctrl.c): signalling a
 * process group, orphaned groups, and the background-access check that
 * sends SIGTTIN/SIGTTOU.
 */
import { SIG } from '../../abi/linux/signal';
import { fail } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import { syscallInterrupted } from '../../kernel/signal/deliver';
import { queueSignal, sigBit } from '../../kernel/signal/send';
import { SIG_IGN } from '../../kernel/signals';
import type { Process, Task } from '../../kernel/task';

/** Live processes of process group `pgid`. */
export function groupMembers(kernel: Kernel, pgid: number): Process[] {
  return [...kernel.processes.values()].filter((p) => p.pgid === pgid && p.exitStatus === undefined);
}

/** kill_pgrp: `signo` to every live member of `pgid`. */
export function signalGroup(kernel: Kernel, pgid: number, signo: number): void {
  for (const p of groupMembers(kernel, pgid)) queueSignal(p, signo);
}

/**
 * POSIX orphaned process group: no member has a parent in another group
 * of the same session. Stop signals from the terminal are not sent to one.
 */
export function isOrphaned(kernel: Kernel, pgid: number): boolean {
  return !groupMembers(kernel, pgid).some((p) => {
    const parent = p.parent;
    return parent !== undefined && parent.pgid !== pgid && parent.sid === p.sid;
  });
}

/** Whether `signo` is blocked by the task or ignored by its process. */
function ignoredOrBlocked(t: Task, signo: number): boolean {
  return (t.sigmask & sigBit(signo)) !== 0n || t.process.sigactions.get(signo).handler === SIG_IGN;
}

/**
 * __tty_check_change: a task of a background group touches its
 * controlling terminal (`foreground` is the terminal's group). SIGTTIN
 * ignored or blocked, or an orphaned group, fails with EIO; SIGTTOU
 * ignored or blocked lets the access through. Otherwise the whole group
 * gets the signal and the syscall restarts once it is continued (or after
 * a handler with SA_RESTART), Linux's ERESTARTSYS.
 */
export function checkBackground(t: Task, foreground: number | undefined, signo: typeof SIG.SIGTTIN | typeof SIG.SIGTTOU): void {
  const pgid = t.process.pgid;
  if (foreground === undefined || foreground === pgid) return;
  if (ignoredOrBlocked(t, signo)) {
    if (signo === SIG.SIGTTIN) fail('EIO', 'background read with SIGTTIN ignored');
    return;
  }
  if (isOrphaned(t.kernel, pgid)) fail('EIO', `background access from orphaned group ${pgid}`);
  signalGroup(t.kernel, pgid, signo);
  syscallInterrupted(t, 'restart');
  fail('EINTR', 'job control stop');
}
