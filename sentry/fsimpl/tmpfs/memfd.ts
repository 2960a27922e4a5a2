/**
 * memfd_create(2)'s files: anonymous tmpfs files, as Linux makes them on
 * its internal shmem mount. Each container (Vfs) gets one hidden tmpfs for
 * them, whose data its memory cgroup charges (vfs/memfiles.ts) until the
 * last description closes. A memfd is a tmpfs file with no name (st_nlink
 * 0), open read-write, shown as "/memfd:NAME (deleted)"; it maps shared
 * like any tmpfs file (mm/filecache.ts), can be reopened through its
 * /proc/self/fd link and executed with execveat(AT_EMPTY_PATH).
 *
 * Seals are TmpfsFile's: a memfd made with MFD_ALLOW_SEALING starts with
 * none, one made with MFD_NOEXEC_SEAL with F_SEAL_EXEC, others (as every
 * tmpfs file) with F_SEAL_SEAL.
 */
import { F_SEAL, MFD } from '../../abi/linux/memfd';
import { O } from '../../abi/linux/fs';
import type { Task } from '../../kernel/task';
import type { FileDescription } from '../../vfs/file';
import type { Vfs } from '../../vfs/vfs';
import { Tmpfs, TmpfsFile } from './tmpfs';

/** Each container's hidden tmpfs of memfds. */
const filesystems = new WeakMap<Vfs, Tmpfs>();

/** The memfds' tmpfs of `vfs`, if it made any (for the memory charge). */
export function memfdFilesystem(vfs: Vfs): Tmpfs | undefined {
  return filesystems.get(vfs);
}

/**
 * memfd_create(2) after the name and flag checks: the new description
 * (read-write, large-file). MFD_NOEXEC_SEAL: mode 0666 with F_SEAL_EXEC
 * (and sealing allowed); otherwise 0777, as MFD_EXEC.
 */
export function createMemfd(t: Task, name: string, flags: number): FileDescription {
  const vfs = t.process.mounts;
  let fs = filesystems.get(vfs);
  if (!fs) filesystems.set(vfs, (fs = new Tmpfs(vfs.allocDev())));
  const noexec = (flags & MFD.NOEXEC_SEAL) !== 0;
  const seals = noexec ? F_SEAL.EXEC : flags & MFD.ALLOW_SEALING ? 0 : F_SEAL.SEAL;
  const c = t.process.creds;
  return TmpfsFile.nameless(fs, noexec ? 0o666 : 0o777, { uid: c.euid, gid: c.egid }, seals).open(t, O.RDWR | O.LARGEFILE, `/memfd:${name} (deleted)`);
}
