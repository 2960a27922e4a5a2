/** File status: stat family, statx, statfs, access, readlink. */
import { AT, AT_FDCWD, ST_RDONLY } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { Stat } from '../vfs/file';
import type { Loc } from '../vfs/vfs';
import { encodeStat, encodeStatfs, encodeStatx } from '../vfs/structs';
import type { SyscallArgs } from './args';
import { readPath } from './fs-mem';
import { FamilyRows, partial, supported } from './rows';

const STATX_RESERVED = 0x80000000;

function putStat(t: Task, addr: number, st: Stat): number {
  t.mem.write(addr, encodeStat(st));
  return 0;
}

/** stat(2): follows a final symlink. */
function stat(t: Task, a: SyscallArgs): number {
  return putStat(t, a.ptr(1), t.process.mounts.statAt(t, AT_FDCWD, readPath(t, a.ptr(0)), 0));
}

/** lstat(2): a final symlink is described itself. */
function lstat(t: Task, a: SyscallArgs): number {
  return putStat(t, a.ptr(1), t.process.mounts.statAt(t, AT_FDCWD, readPath(t, a.ptr(0)), AT.SYMLINK_NOFOLLOW));
}

/** fstat(2): any descriptor (pipes, sockets and host stdio describe themselves). */
function fstat(t: Task, a: SyscallArgs): number {
  return putStat(t, a.ptr(1), t.process.fds.get(a.int(0)).stat());
}

/** newfstatat(2): AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_NO_AUTOMOUNT (no-op). */
function newfstatat(t: Task, a: SyscallArgs): number {
  const flags = a.int(3);
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT)) fail('EINVAL', `flags ${flags}`);
  return putStat(t, a.ptr(2), t.process.mounts.statAt(t, a.int(0), readPath(t, a.ptr(1)), flags));
}

/** statx(2): always fills STATX_BASIC_STATS (no btime); sync flags are no-ops. */
function statx(t: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  const allowed = AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT | AT.STATX_SYNC_TYPE;
  if (flags & ~allowed || (flags & AT.STATX_SYNC_TYPE) === AT.STATX_SYNC_TYPE) fail('EINVAL', `flags ${flags}`);
  if (a.uint(3) & STATX_RESERVED) fail('EINVAL', 'STATX__RESERVED');
  const st = t.process.mounts.statAt(t, a.int(0), readPath(t, a.ptr(1)), flags);
  t.mem.write(a.ptr(4), encodeStatx(st));
  return 0;
}

function putStatfs(t: Task, addr: number, loc: Loc): number {
  const fs = loc.inode.fs;
  t.mem.write(addr, encodeStatfs(fs.statfs(), fs.dev, t.process.mounts.isReadOnly(loc) ? ST_RDONLY : 0));
  return 0;
}

/** statfs(2). */
function statfs(t: Task, a: SyscallArgs): number {
  return putStatfs(t, a.ptr(1), t.process.mounts.resolve(t, AT_FDCWD, readPath(t, a.ptr(0)), true));
}

/** fstatfs(2): filesystem files only (EINVAL for pipes, sockets and host stdio). */
function fstatfs(t: Task, a: SyscallArgs): number {
  return putStatfs(t, a.ptr(1), t.process.mounts.locOf(t.process.fds.get(a.int(0))));
}

/** access(2): real uid/gid. */
function access(t: Task, a: SyscallArgs): number {
  t.process.mounts.accessAt(t, AT_FDCWD, readPath(t, a.ptr(0)), a.int(1), 0);
  return 0;
}

/** faccessat(2) (no flags argument in the kernel ABI). */
function faccessat(t: Task, a: SyscallArgs): number {
  t.process.mounts.accessAt(t, a.int(0), readPath(t, a.ptr(1)), a.int(2), 0);
  return 0;
}

/** faccessat2(2): AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
function faccessat2(t: Task, a: SyscallArgs): number {
  const flags = a.int(3);
  if (flags & ~(AT.EACCESS | AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail('EINVAL', `flags ${flags}`);
  t.process.mounts.accessAt(t, a.int(0), readPath(t, a.ptr(1)), a.int(2), flags);
  return 0;
}

function readlinkInto(t: Task, dirfd: number, pathAddr: number, buf: number, size: number): number {
  if (size <= 0) fail('EINVAL', 'bufsiz');
  const target = Buffer.from(t.process.mounts.readlinkAt(t, dirfd, readPath(t, pathAddr)));
  const n = Math.min(size, target.length);
  t.mem.write(buf, target.subarray(0, n));
  return n;
}

/** readlink(2): truncates silently to bufsiz, no NUL. */
function readlink(t: Task, a: SyscallArgs): number {
  return readlinkInto(t, AT_FDCWD, a.ptr(0), a.ptr(1), a.int(2));
}

/** readlinkat(2): an empty path reads the link dirfd refers to (O_PATH|O_NOFOLLOW). */
function readlinkat(t: Task, a: SyscallArgs): number {
  return readlinkInto(t, a.int(0), a.ptr(1), a.ptr(2), a.int(3));
}

export const fsStatRows: FamilyRows = {
  stat: supported(stat),
  lstat: supported(lstat),
  fstat: supported(fstat),
  newfstatat: supported(newfstatat),
  statx: partial(statx, 'fills STATX_BASIC_STATS only (no btime, attributes or mount id)'),
  statfs: supported(statfs),
  fstatfs: partial(fstatfs, 'EINVAL for pipes, sockets and host stdio'),
  access: supported(access),
  faccessat: supported(faccessat),
  faccessat2: supported(faccessat2),
  readlink: supported(readlink),
  readlinkat: supported(readlinkat),
};
