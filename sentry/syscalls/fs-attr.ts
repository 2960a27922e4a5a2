/** Changing file attributes and data durability: chmod/chown/utimes/truncate/fallocate/sync, umask, fadvise. */
import { AT, AT_FDCWD, O, UTIME_NOW, UTIME_OMIT } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { Timespec } from '../vfs/file';
import { isDir, isRegular, SetAttr } from '../vfs/inode';
import { InodeFile } from '../vfs/inodefile';
import { notifyFile } from '../vfs/fsnotify';
import { IN } from '../abi/linux/inotify';
import type { Loc } from '../vfs/vfs';
import type { SyscallArgs } from './args';
import { readPath } from './fs-mem';
import { FamilyRows, partial, supported } from './rows';

const POSIX_FADV_MAX = 5;

function pathLoc(t: Task, dirfd: number, addr: number, flags: number): Loc {
  return t.process.mounts.locAt(t, dirfd, readPath(t, addr), flags);
}

function fdLoc(t: Task, fd: number): Loc {
  return t.process.mounts.locOf(t.process.fds.get(fd));
}

function setattr(t: Task, loc: Loc, attr: SetAttr): number {
  t.process.mounts.setattr(t, loc, attr);
  return 0;
}

/** chmod(2): owner or root; EROFS on read-only filesystems. */
function chmod(t: Task, a: SyscallArgs): number {
  return setattr(t, pathLoc(t, AT_FDCWD, a.ptr(0), 0), { mode: a.uint(1) & 0o7777 });
}

/** fchmod(2). */
function fchmod(t: Task, a: SyscallArgs): number {
  return setattr(t, fdLoc(t, a.int(0)), { mode: a.uint(1) & 0o7777 });
}

/** fchmodat(2) (the syscall has no flags argument). */
function fchmodat(t: Task, a: SyscallArgs): number {
  return setattr(t, pathLoc(t, a.int(0), a.ptr(1), 0), { mode: a.uint(2) & 0o7777 });
}

/** uid/gid arguments: -1 leaves the id unchanged. */
function owner(uid: number, gid: number): SetAttr {
  const attr: SetAttr = {};
  if (uid !== 0xffffffff) attr.uid = uid;
  if (gid !== 0xffffffff) attr.gid = gid;
  return attr;
}

/** chown(2): CAP_CHOWN, or the owner changing the group to one of its groups. Set-id bits are not cleared. */
function chown(t: Task, a: SyscallArgs): number {
  return setattr(t, pathLoc(t, AT_FDCWD, a.ptr(0), 0), owner(a.uint(1), a.uint(2)));
}

/** lchown(2): does not follow a final symlink. */
function lchown(t: Task, a: SyscallArgs): number {
  return setattr(t, pathLoc(t, AT_FDCWD, a.ptr(0), AT.SYMLINK_NOFOLLOW), owner(a.uint(1), a.uint(2)));
}

/** fchown(2). */
function fchown(t: Task, a: SyscallArgs): number {
  return setattr(t, fdLoc(t, a.int(0)), owner(a.uint(1), a.uint(2)));
}

/** fchownat(2): AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
function fchownat(t: Task, a: SyscallArgs): number {
  const flags = a.int(4);
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail('EINVAL', `flags ${flags}`);
  return setattr(t, pathLoc(t, a.int(0), a.ptr(1), flags), owner(a.uint(2), a.uint(3)));
}

/** utime(2): struct utimbuf {actime, modtime}; NULL sets both to now. */
function utime(t: Task, a: SyscallArgs): number {
  const loc = pathLoc(t, AT_FDCWD, a.ptr(0), 0);
  if (a.ptr(1) === 0) return setattr(t, loc, { atime: 'now', mtime: 'now' });
  const b = t.mem.read(a.ptr(1), 16);
  return setattr(t, loc, {
    atime: { sec: Number(b.readBigInt64LE(0)), nsec: 0 },
    mtime: { sec: Number(b.readBigInt64LE(8)), nsec: 0 },
  });
}

/** utimes(2): struct timeval[2]; NULL sets both to now; EINVAL for usec outside [0, 1e6). */
function utimes(t: Task, a: SyscallArgs): number {
  const loc = pathLoc(t, AT_FDCWD, a.ptr(0), 0);
  if (a.ptr(1) === 0) return setattr(t, loc, { atime: 'now', mtime: 'now' });
  const b = t.mem.read(a.ptr(1), 32);
  const tv = (off: number): Timespec => {
    const usec = Number(b.readBigInt64LE(off + 8));
    if (usec < 0 || usec >= 1_000_000) fail('EINVAL', 'tv_usec');
    return { sec: Number(b.readBigInt64LE(off)), nsec: usec * 1000 };
  };
  return setattr(t, loc, { atime: tv(0), mtime: tv(16) });
}

/** One utimensat timespec: UTIME_NOW, UTIME_OMIT (undefined) or an explicit time. */
function utimeSpec(b: Buffer, off: number): SetAttr['atime'] {
  const nsec = Number(b.readBigInt64LE(off + 8));
  if (nsec === UTIME_NOW) return 'now';
  if (nsec === UTIME_OMIT) return undefined;
  if (nsec < 0 || nsec >= 1e9) fail('EINVAL', 'tv_nsec');
  return { sec: Number(b.readBigInt64LE(off)), nsec };
}

/** utimensat(2): a NULL path means dirfd itself (futimens); AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
function utimensat(t: Task, a: SyscallArgs): number {
  const flags = a.int(3);
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail('EINVAL', `flags ${flags}`);
  const loc = a.ptr(1) === 0 ? fdLoc(t, a.int(0)) : pathLoc(t, a.int(0), a.ptr(1), flags);
  let attr: SetAttr = { atime: 'now', mtime: 'now' };
  if (a.ptr(2) !== 0) {
    const b = t.mem.read(a.ptr(2), 32);
    attr = {};
    const at = utimeSpec(b, 0);
    const mt = utimeSpec(b, 16);
    if (at !== undefined) attr.atime = at;
    if (mt !== undefined) attr.mtime = mt;
    if (at === undefined && mt === undefined) return 0;
  }
  return setattr(t, loc, attr);
}

/** truncate(2): needs write permission; EISDIR for directories, EINVAL for a negative length. */
function truncate(t: Task, a: SyscallArgs): number {
  const len = a.long(1);
  if (len < 0) fail('EINVAL', 'negative length');
  return setattr(t, pathLoc(t, AT_FDCWD, a.ptr(0), 0), { size: len });
}

/** A regular file open for writing (ftruncate, fallocate); EINVAL/EBADF as Linux answers. */
function writableRegular(t: Task, fd: number, badMode: 'EINVAL' | 'EBADF'): InodeFile {
  const f = t.process.fds.get(fd);
  if ((f.flags & O.ACCMODE) === O.RDONLY || f.flags & O.PATH) fail(badMode, 'not open for writing');
  if (!(f instanceof InodeFile)) return fail('EINVAL', 'not a regular file');
  if (isDir(f.inode.mode)) fail('EISDIR');
  if (!isRegular(f.inode.mode)) fail('EINVAL', 'not a regular file');
  return f;
}

/** ftruncate(2): the description must be open for writing (EINVAL); no permission re-check. */
function ftruncate(t: Task, a: SyscallArgs): number {
  const len = a.long(1);
  if (len < 0) fail('EINVAL', 'negative length');
  const f = writableRegular(t, a.int(0), 'EINVAL');
  f.inode.setattr({ size: len });
  notifyFile(f, IN.MODIFY);
  return 0;
}

/** fallocate(2) mode 0: extends the file to offset+len (zero-filled). Other modes are EOPNOTSUPP. */
function fallocate(t: Task, a: SyscallArgs): number {
  const mode = a.int(1);
  const offset = a.long(2);
  const len = a.long(3);
  if (offset < 0 || len <= 0) fail('EINVAL', 'range');
  const f = writableRegular(t, a.int(0), 'EBADF');
  if (mode !== 0) fail('EOPNOTSUPP', `fallocate mode ${mode}`);
  if (offset + len > f.inode.stat().size) f.inode.setattr({ size: offset + len });
  notifyFile(f, IN.MODIFY);
  return 0;
}

/** fsync(2)/fdatasync(2): flushes gofer writes; EINVAL for files without storage (pipes, sockets, stdio). */
function fsync(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  if (!(f instanceof InodeFile)) return fail('EINVAL', 'fsync of a non-file');
  f.inode.fsync();
  return 0;
}

/** sync(2): every write already reached its filesystem. */
function sync(): number {
  return 0;
}

/** syncfs(2): validates the fd; writes are already synchronous. */
function syncfs(t: Task, a: SyscallArgs): number {
  t.process.fds.get(a.int(0));
  return 0;
}

/** umask(2): returns the previous mask. */
function umask(t: Task, a: SyscallArgs): number {
  const old = t.process.fs.umask;
  t.process.fs.umask = a.uint(0) & 0o777;
  return old;
}

/** fadvise64(2): advice is validated and ignored; ESPIPE for pipes and sockets. */
function fadvise64(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  const advice = a.int(3);
  if (advice < 0 || advice > POSIX_FADV_MAX || a.long(2) < 0) fail('EINVAL', `advice ${advice}`);
  if (!(f instanceof InodeFile)) fail('ESPIPE');
  return 0;
}

export const fsAttrRows: FamilyRows = {
  chmod: supported(chmod),
  fchmod: partial(fchmod, 'EINVAL for pipes, sockets and host stdio'),
  fchmodat: supported(fchmodat),
  chown: partial(chown, 'set-id bits are not cleared'),
  fchown: partial(fchown, 'set-id bits are not cleared; EINVAL for pipes, sockets and host stdio'),
  lchown: partial(lchown, 'set-id bits are not cleared'),
  fchownat: partial(fchownat, 'set-id bits are not cleared'),
  utime: supported(utime),
  utimes: supported(utimes),
  utimensat: supported(utimensat),
  truncate: supported(truncate),
  ftruncate: supported(ftruncate),
  fallocate: partial(fallocate, 'mode 0 only; other modes are EOPNOTSUPP'),
  fsync: supported(fsync),
  fdatasync: supported(fsync),
  sync: supported(sync),
  syncfs: supported(syncfs),
  umask: supported(umask),
  fadvise64: partial(fadvise64, 'advice is validated and ignored'),
};
