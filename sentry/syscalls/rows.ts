import { Errno, ErrnoName } from '../abi/linux/errno';
import { SyscallName } from '../abi/linux/syscalls';
import { LinuxError } from '../errors/linuxerr';
import { SyscallHandler, SyscallRow } from './types';

/** A family's rows, keyed by syscall name; table.ts turns names into numbers. */
export type FamilyRows = Partial<Record<SyscallName, SyscallRow>>;

/** Implemented with Linux semantics. */
export function supported(handler: SyscallHandler): SyscallRow {
  return { handler, support: 'full' };
}

/** Implemented, with the unsupported parts named in `note` (they return the errno Linux would). */
export function partial(handler: SyscallHandler, note: string): SyscallRow {
  return { handler, support: 'partial', note };
}

/** Always fails with `errno` (e.g. EPERM for privileged operations the sandbox never allows). */
export function error(errno: ErrnoName, note: string): SyscallRow {
  const value = Errno[errno];
  return {
    support: 'error',
    note,
    handler: () => {
      throw new LinuxError(value, note);
    },
  };
}
