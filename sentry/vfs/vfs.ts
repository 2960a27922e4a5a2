import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { FileDescription } from './file';

/** The sandbox's mount table and path resolution. (Owned by the vfs work.) */
export class Vfs {
  /**
   * Resolves `path` relative to the task's cwd/root (following symlinks)
   * and opens it with O_* `flags` (and `mode` for O_CREAT).
   */
  openPath(t: Task, path: string, flags: number, mode = 0): FileDescription {
    return fail('ENOENT', `${path} ${flags} ${mode} ${t.tid}`);
  }
}
