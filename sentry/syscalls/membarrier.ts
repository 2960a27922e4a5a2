/**
 * membarrier(2). Every thread of a sandbox runs on the one CPU the Sentry
 * is pinned to, one at a time, and each switch between them is a full
 * barrier: a barrier across the process's (or every process's) running
 * threads has nothing left to wait for, so the commands only keep Linux's
 * rules, registrations per address space (kept by fork, dropped by exec) and
 * errors. The RSEQ commands are EINVAL, as in a kernel without CONFIG_RSEQ
 * (rseq(2) is ENOSYS here).
 */
import { MEMBARRIER_CMD as CMD } from '../abi/linux/membarrier';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';

/** What MEMBARRIER_CMD_QUERY reports: every command but the RSEQ ones. */
const SUPPORTED =
  CMD.GLOBAL | CMD.GLOBAL_EXPEDITED | CMD.REGISTER_GLOBAL_EXPEDITED | CMD.PRIVATE_EXPEDITED | CMD.REGISTER_PRIVATE_EXPEDITED |
  CMD.PRIVATE_EXPEDITED_SYNC_CORE | CMD.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | CMD.GET_REGISTRATIONS;

/** The registration each private expedited command needs (EPERM without it). */
const NEEDS: ReadonlyMap<number, number> = new Map([
  [CMD.PRIVATE_EXPEDITED, CMD.REGISTER_PRIVATE_EXPEDITED],
  [CMD.PRIVATE_EXPEDITED_SYNC_CORE, CMD.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE],
]);

function membarrier(t: Task, a: SyscallArgs): number {
  const cmd = a.int(0);
  if (a.uint(1) !== 0) fail('EINVAL', 'membarrier flags');
  const mm = t.process.mm;
  switch (cmd) {
    case CMD.QUERY:
      return SUPPORTED;
    case CMD.GLOBAL:
    case CMD.GLOBAL_EXPEDITED:
      return 0;
    case CMD.REGISTER_GLOBAL_EXPEDITED:
    case CMD.REGISTER_PRIVATE_EXPEDITED:
    case CMD.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      mm.membarrierRegistrations |= cmd;
      return 0;
    case CMD.PRIVATE_EXPEDITED:
    case CMD.PRIVATE_EXPEDITED_SYNC_CORE:
      if (!(mm.membarrierRegistrations & (NEEDS.get(cmd) ?? 0))) fail('EPERM', 'membarrier: not registered');
      return 0;
    case CMD.GET_REGISTRATIONS:
      return mm.membarrierRegistrations;
  }
  return fail('EINVAL', `membarrier command ${cmd}`);
}

export const membarrierRows: FamilyRows = {
  membarrier: partial(membarrier, 'no RSEQ commands (EINVAL); barriers are implied by the one CPU the sandbox runs on'),
};
