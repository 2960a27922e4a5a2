/** Directory syscalls: listing, cwd, and creating/removing/renaming names. */
import { AT, AT_FDCWD } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { InodeFile } from '../vfs/inodefile';
import { notifyFile } from '../vfs/fsnotify';
import { IN } from '../abi/linux/inotify';
import { encodeDirent64 } from '../vfs/structs';
import type { SyscallArgs } from './args';
import { readPath } from './fs-mem';
import { error, FamilyRows, partial, supported } from './rows';

/** getdents64(2): whole records only; EINVAL if the first does not fit. */
function getdents64(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  if (!(f instanceof InodeFile)) return fail('ENOTDIR', 'not a directory');
  const count = a.uint(2);
  const { entries, start } = f.dirEntries();
  const out: Buffer[] = [];
  let used = 0;
  let i = start;
  for (; i < entries.length; i++) {
    const e = entries[i];
    const rec = encodeDirent64(e.ino, i + 1, e.type, e.name);
    if (used + rec.length > count) break;
    out.push(rec);
    used += rec.length;
  }
  if (i < entries.length && out.length === 0) fail('EINVAL', 'buffer too small');
  if (used > 0) t.mem.write(a.ptr(1), Buffer.concat(out));
  f.advanceDir(i - start);
  // iterate_dir reports every listing, even one past the end.
  notifyFile(f, IN.ACCESS);
  return used;
}

/** getcwd(2): ERANGE when the path and its NUL do not fit. */
function getcwd(t: Task, a: SyscallArgs): number {
  const path = Buffer.from(`${t.process.fs.cwd}\0`);
  if (a.size(1) < path.length) fail('ERANGE', 'getcwd buffer');
  t.mem.write(a.ptr(0), path);
  return path.length;
}

/** chdir(2). */
function chdir(t: Task, a: SyscallArgs): number {
  const vfs = t.process.mounts;
  vfs.chdir(t, vfs.resolve(t, AT_FDCWD, readPath(t, a.ptr(0)), true));
  return 0;
}

/** fchdir(2). */
function fchdir(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  if (!(f instanceof InodeFile)) return fail('ENOTDIR', 'not a directory');
  t.process.mounts.chdir(t, { inode: f.inode, path: f.path });
  return 0;
}

/** mkdir(2): mode & ~umask; the setgid bit is inherited. */
function mkdir(t: Task, a: SyscallArgs): number {
  t.process.mounts.mkdirAt(t, AT_FDCWD, readPath(t, a.ptr(0)), a.uint(1));
  return 0;
}

/** mkdirat(2). */
function mkdirat(t: Task, a: SyscallArgs): number {
  t.process.mounts.mkdirAt(t, a.int(0), readPath(t, a.ptr(1)), a.uint(2));
  return 0;
}

/** rmdir(2): EINVAL for ".", ENOTEMPTY for "..", EBUSY for mount points. */
function rmdir(t: Task, a: SyscallArgs): number {
  t.process.mounts.unlinkAt(t, AT_FDCWD, readPath(t, a.ptr(0)), AT.REMOVEDIR);
  return 0;
}

/** unlink(2): EISDIR for directories. No sticky-bit (S_ISVTX) restriction. */
function unlink(t: Task, a: SyscallArgs): number {
  t.process.mounts.unlinkAt(t, AT_FDCWD, readPath(t, a.ptr(0)), 0);
  return 0;
}

/** unlinkat(2): AT_REMOVEDIR only. */
function unlinkat(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if (flags & ~AT.REMOVEDIR) fail('EINVAL', `flags ${flags}`);
  t.process.mounts.unlinkAt(t, a.int(0), readPath(t, a.ptr(1)), flags);
  return 0;
}

function renameCommon(t: Task, olddirfd: number, oldAddr: number, newdirfd: number, newAddr: number, flags: number): number {
  t.process.mounts.renameAt(t, olddirfd, readPath(t, oldAddr), newdirfd, readPath(t, newAddr), flags);
  return 0;
}

/** rename(2): replaces compatible targets; EXDEV across mounts and for lower-layer directories of the overlay. */
function rename(t: Task, a: SyscallArgs): number {
  return renameCommon(t, AT_FDCWD, a.ptr(0), AT_FDCWD, a.ptr(1), 0);
}

/** renameat(2). */
function renameat(t: Task, a: SyscallArgs): number {
  return renameCommon(t, a.int(0), a.ptr(1), a.int(2), a.ptr(3), 0);
}

/** renameat2(2): flags 0, RENAME_NOREPLACE and RENAME_EXCHANGE (Vfs.renameAt); RENAME_WHITEOUT is EINVAL. */
function renameat2(t: Task, a: SyscallArgs): number {
  return renameCommon(t, a.int(0), a.ptr(1), a.int(2), a.ptr(3), a.uint(4));
}

/** symlink(2). */
function symlink(t: Task, a: SyscallArgs): number {
  t.process.mounts.symlinkAt(t, readPath(t, a.ptr(0)), AT_FDCWD, readPath(t, a.ptr(1)));
  return 0;
}

/** symlinkat(2). */
function symlinkat(t: Task, a: SyscallArgs): number {
  t.process.mounts.symlinkAt(t, readPath(t, a.ptr(0)), a.int(1), readPath(t, a.ptr(2)));
  return 0;
}

/** link(2): does not follow a final symlink in oldpath (Linux behaviour). */
function link(t: Task, a: SyscallArgs): number {
  t.process.mounts.linkAt(t, AT_FDCWD, readPath(t, a.ptr(0)), AT_FDCWD, readPath(t, a.ptr(1)), 0);
  return 0;
}

/** linkat(2): AT_SYMLINK_FOLLOW, AT_EMPTY_PATH. */
function linkat(t: Task, a: SyscallArgs): number {
  const flags = a.int(4);
  if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) fail('EINVAL', `flags ${flags}`);
  t.process.mounts.linkAt(t, a.int(0), readPath(t, a.ptr(1)), a.int(2), readPath(t, a.ptr(3)), flags);
  return 0;
}

/** mknod(2): regular files, FIFOs and socket names (Vfs.mknodAt); device nodes are EPERM. */
function mknod(t: Task, a: SyscallArgs): number {
  t.process.mounts.mknodAt(t, AT_FDCWD, readPath(t, a.ptr(0)), a.uint(1));
  return 0;
}

/** mknodat(2): as mknod. */
function mknodat(t: Task, a: SyscallArgs): number {
  t.process.mounts.mknodAt(t, a.int(0), readPath(t, a.ptr(1)), a.uint(2));
  return 0;
}

export const fsDirRows: FamilyRows = {
  getdents64: supported(getdents64),
  getdents: error('ENOSYS', 'legacy getdents is not implemented; libc uses getdents64'),
  getcwd: supported(getcwd),
  chdir: supported(chdir),
  fchdir: supported(fchdir),
  mkdir: supported(mkdir),
  mkdirat: supported(mkdirat),
  rmdir: supported(rmdir),
  unlink: partial(unlink, 'no sticky-bit restriction'),
  unlinkat: partial(unlinkat, 'no sticky-bit restriction'),
  rename: supported(rename),
  renameat: supported(renameat),
  renameat2: partial(renameat2, 'RENAME_WHITEOUT is EINVAL, and RENAME_EXCHANGE where the filesystem cannot swap (a Gofer-served tree without the overlay)'),
  symlink: supported(symlink),
  symlinkat: supported(symlinkat),
  link: supported(link),
  linkat: supported(linkat),
  mknod: partial(mknod, 'device nodes are EPERM'),
  mknodat: partial(mknodat, 'device nodes are EPERM'),
  chroot: error('EPERM', 'the sandbox does not grant CAP_SYS_CHROOT'),
};
