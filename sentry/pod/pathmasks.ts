/**
 * A container's masked and read-only paths (OCI linux.maskedPaths /
 * readonlyPaths, CRI masked_paths / readonly_paths), applied to its mount
 * namespace before its first process runs, as runc does:
 *
 * - a masked directory gets an empty read-only tmpfs over it; a masked
 *   file (or device) gets /dev/null bind-mounted over it, so it reads
 *   empty, swallows writes and, not being a regular file, cannot be
 *   executed (EACCES);
 * - a read-only path is bind-mounted onto itself read-only: writes under
 *   it fail with EROFS.
 *
 * Paths are resolved in the container's root, following symlinks (as
 * mount(2) does for runc); a path that does not exist is skipped.
 */
import { AT_FDCWD } from '../abi/linux/fs';
import { isLinuxError } from '../errors/linuxerr';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import type { Task } from '../kernel/task';
import { isDir } from '../vfs/inode';
import type { Loc, Vfs } from '../vfs/vfs';

/** The file at `path` in the task's root, or undefined if it does not exist. */
function find(t: Task, vfs: Vfs, path: string): Loc | undefined {
  try {
    return vfs.resolve(t, AT_FDCWD, path, true);
  } catch (e) {
    if (isLinuxError(e, 'ENOENT') || isLinuxError(e, 'ENOTDIR')) return undefined;
    throw e;
  }
}

/** Applies the masks, then the read-only paths, to `vfs` (resolved as `t`, which must still be root). */
export function applyPathRules(t: Task, vfs: Vfs, masked: string[], readOnly: string[]): void {
  for (const path of masked) {
    const loc = find(t, vfs, path);
    if (!loc) continue;
    if (isDir(loc.inode.mode)) {
      vfs.mount(loc.path, new Tmpfs(vfs.allocDev()).root, 'tmpfs', { readOnly: true });
    } else {
      const devNull = find(t, vfs, '/dev/null') ?? fail(path);
      vfs.mount(loc.path, devNull.inode, 'devtmpfs', { root: '/null' });
    }
  }
  for (const path of readOnly) {
    const loc = find(t, vfs, path);
    if (loc) vfs.bindReadOnly(loc);
  }
}

function fail(path: string): never {
  throw new Error(`cannot mask ${path}: the container has no /dev/null`);
}
