import { fail } from '../errors/linuxerr';
import { FileDescription } from './file';

/**
 * A process's file descriptor table. (Owned by the vfs work: this is the
 * shape exec and mmap rely on.)
 */
export class FdTable {
  /** The description behind `fd`; throws EBADF. */
  get(fd: number): FileDescription {
    return fail('EBADF', `fd ${fd}`);
  }

  /** execve(2): closes every descriptor marked FD_CLOEXEC. */
  closeOnExec(): void {}
}
