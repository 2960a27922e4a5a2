/**
 * Several trees in one chroot, for a Gofer that serves a container's root
 * and its mounts (one process instead of one per tree). In the Gofer's
 * private mount namespace (started under `unshare --mount --propagation
 * slave`), a fresh tmpfs is mounted over STAGE, each tree is bind-mounted
 * (recursively: host mounts below a mount source stay visible, as they were
 * to a Gofer chrooted into it) on STAGE/<index>, read-only trees are made
 * read-only with every mount below them (as the Gofer refuses writes
 * anywhere in them), the tmpfs too, and the process chroots into STAGE.
 * Tree i is then '/i' and holds nothing but that tree.
 *
 * Confinement: requests name paths below their own tree only (gofer/paths:
 * '..' stops at a tree's root, names are single components, symlinks are
 * never followed). A host-side race (another process on the same host tree
 * swapping a directory for a symlink between a walk and an open) resolves
 * inside the chroot, so it can reach the other trees of the same container,
 * never the host; read-only trees are read-only in the kernel too, so such
 * a race cannot write where the container could not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Errno } from '../sentry/abi/linux/errno';
import { O } from '../sentry/abi/linux/fs';
import { errnoOf } from './errno';
import { chdir, chroot, makeReadOnlyRecursive, mount, MS, statfs } from './host/libc';
import type { GoferTree } from './launch';

/** Any directory of the host: covered by the tmpfs in the Gofer's namespace only. */
const STAGE = '/tmp';
/** Mount flags a bind keeps when remounted read-only (the kernel refuses to drop locked ones). */
const KEPT_FLAGS = MS.NOSUID | MS.NODEV | MS.NOEXEC;

/** Stages `trees` and chroots; returns each tree's root inside the chroot. */
export function chrootIntoTrees(trees: readonly GoferTree[]): string[] {
  // Held as O_PATH descriptors: the tmpfs may cover a source (one under STAGE).
  const fds = trees.map((t) => fs.openSync(path.resolve(t.root), O.PATH | O.DIRECTORY | O.CLOEXEC));
  try {
    mount('tmpfs', STAGE, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=0755,size=64k');
    const roots = trees.map((t, i) => {
      const target = `${STAGE}/${i}`;
      fs.mkdirSync(target);
      mount(`/proc/self/fd/${fds[i]}`, target, null, MS.BIND | MS.REC);
      if (t.readOnly) makeReadOnly(target, fds[i]);
      return `/${i}`;
    });
    mount(null, STAGE, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
    chroot(STAGE);
    chdir('/');
    return roots;
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** The bind at `target` of the tree open as `fd`, and the mounts below it, read-only. */
function makeReadOnly(target: string, fd: number): void {
  try {
    makeReadOnlyRecursive(target);
  } catch (e) {
    if (errnoOf(e) !== Errno.ENOSYS) throw e;
    // Before Linux 5.12 only the bind itself can be made read-only; the Gofer still refuses writes below.
    mount(null, target, null, MS.REMOUNT | MS.BIND | MS.RDONLY | (Number(statfs(fd).flags) & KEPT_FLAGS));
  }
}
