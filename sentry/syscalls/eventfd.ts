/** eventfd(2)/eventfd2(2). */
import { EFD } from '../abi/linux/eventfd';
import { newEventFd } from '../fsimpl/eventfd/eventfd';
import type { Task } from '../kernel/task';
import type { FileDescription } from '../vfs/file';
import type { SyscallArgs } from './args';
import { nofile } from './fs-mem';
import { FamilyRows, supported } from './rows';

/** Installs a new description at the lowest free fd, dropping it if that fails. */
export function installNew(t: Task, f: FileDescription, cloexec: boolean): number {
  try {
    return t.process.fds.install(f, { cloexec, limit: nofile(t) });
  } catch (e) {
    f.decRef();
    throw e;
  }
}

function create(t: Task, initval: number, flags: number): number {
  return installNew(t, newEventFd(initval, flags), (flags & EFD.CLOEXEC) !== 0);
}

/** eventfd2(2): EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC; other flags EINVAL. */
function eventfd2(t: Task, a: SyscallArgs): number {
  return create(t, a.uint(0), a.int(1));
}

/** eventfd(2): eventfd2 without flags. */
function eventfd(t: Task, a: SyscallArgs): number {
  return create(t, a.uint(0), 0);
}

export const eventfdRows: FamilyRows = {
  eventfd: supported(eventfd),
  eventfd2: supported(eventfd2),
};
