import { Task } from './task';
import { dispatch } from '../syscalls/dispatch';
import { deliverSignal } from './deliver';
import { killedStatus } from './signals';
import { isLinuxError } from '../errors/linuxerr';

/**
 * Runs one task until its process exits: each platform stop is either a
 * syscall (emulated by the dispatcher) or a signal the host was about to
 * deliver (a fault, or a signal sent to the stub from outside), which the
 * Sentry handles with the app's own dispositions. Returns the process's
 * wait status.
 */
export function runTask(t: Task): number {
  const p = t.process;
  while (p.exitStatus === undefined) {
    const ev = t.ctx.switchTo();
    switch (ev.kind) {
      case 'syscall':
        dispatch(t);
        break;
      case 'signal':
        try {
          deliverSignal(p, ev.signo);
        } catch (e) {
          if (!isLinuxError(e)) throw e;
          // A handled signal cannot run its handler yet: behave as if it were forced.
          t.kernel.debug(`signal ${ev.signo}: handler delivery not supported yet, terminating`);
          p.exit(killedStatus(ev.signo));
        }
        break;
      case 'gone':
        // Killed from outside the Sentry: report what the host said.
        p.exit(ev.status & 0x7f ? ev.status & 0xff : ev.status);
        break;
    }
  }
  return p.exitStatus;
}
