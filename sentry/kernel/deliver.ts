import { fail } from '../errors/linuxerr';
import { SIG_DFL, SIG_IGN, defaultAction, killedStatus } from './signals';
import { Process } from './task';

export type DeliveryOutcome = 'ignored' | 'terminated';

/**
 * Delivers `signo` to a process by its disposition. Default "terminate" and
 * "core" actions end the process with Linux's wait status; ignored and
 * default-ignored signals vanish. Running app handlers needs signal frames
 * (the process-model work), so a handled signal is ENOSYS for now.
 */
export function deliverSignal(p: Process, signo: number): DeliveryOutcome {
  const act = p.sigactions.get(signo);
  if (act.handler === SIG_IGN) return 'ignored';
  if (act.handler !== SIG_DFL) return fail('ENOSYS', `handler for signal ${signo} (signal frames not implemented yet)`);
  switch (defaultAction(signo)) {
    case 'ignore':
    case 'stop':
      return 'ignored';
    default:
      p.exit(killedStatus(signo));
      return 'terminated';
  }
}
