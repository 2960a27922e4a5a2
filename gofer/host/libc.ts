/**
 * The Gofer's libc calls that node:fs lacks (chroot, mount, mknod,
 * utimensat with UTIME_OMIT, getdents64 cookies, statfs f_namelen and
 * f_flags, sendmsg with SCM_RIGHTS, poll). Besides these the Gofer binds
 * only two small host helpers shared with the Sentry (page-aligned buffers,
 * malloc trimming), never the Sentry's libc.ts. Structs are passed as
 * Buffers with x86_64 layouts.
 */
import koffi from '../../sentry/platform/host/koffi';
import { AT, AT_FDCWD, DIRENT64_HEADER, SEEK, STATFS_SIZE } from '../../sentry/abi/linux/fs';
import { Errno } from '../../sentry/abi/linux/errno';
import { POLLFD_OFF, POLLFD_SIZE } from '../../sentry/abi/linux/poll';
import { cmsgSpace, MSG } from '../../sentry/abi/linux/scm';
import { msghdr, putScmRights } from '../../sentry/platform/host/msghdr';

const libc = koffi.load('libc.so.6');

const fn = {
  chroot: libc.func('int chroot(const char *path)'),
  chdir: libc.func('int chdir(const char *path)'),
  mount: libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
  syscall: libc.func('long syscall(long number, ...)'),
  mknod: libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  utimensat: libc.func('int utimensat(int dirfd, const char *path, void *times, int flags)'),
  getdents64: libc.func('intptr_t getdents64(int fd, void *buf, size_t count)'),
  lseek: libc.func('int64_t lseek(int fd, int64_t offset, int whence)'),
  statfs: libc.func('int statfs(const char *path, void *buf)'),
  fstatfs: libc.func('int fstatfs(int fd, void *buf)'),
  sendmsg: libc.func('intptr_t sendmsg(int fd, void *msg, int flags)'),
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
};

/** A failed host call, with the host errno. */
export class SysError extends Error {
  override name = 'SysError';
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: errno ${errno}`);
  }
}

function check(call: string, ret: number | bigint): number {
  if (Number(ret) < 0) throw new SysError(call, koffi.errno());
  return Number(ret);
}

export function chroot(path: string): void {
  check('chroot', fn.chroot(path));
}

export function chdir(path: string): void {
  check('chdir', fn.chdir(path));
}

/** mount(2) flags (include/uapi/linux/mount.h). */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  REC: 0x4000,
} as const;

/** mount(2); `source`, `fstype` and `data` may be null where the kind of mount ignores them. */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check('mount', fn.mount(source, target, fstype, flags, data));
}

/** x86_64 syscall number of mount_setattr (Linux 5.12+; glibc has no wrapper before 2.36). */
const SYS_MOUNT_SETATTR = 442;
const AT_RECURSIVE = 0x8000;
const MOUNT_ATTR_RDONLY = 0x1;
/** struct mount_attr, version 0: attr_set, attr_clr, propagation, userns_fd (u64 each). */
const MOUNT_ATTR_SIZE_VER0 = 32;

/** Makes the mount at `target` and every mount below it read-only, their other flags untouched (mount_setattr AT_RECURSIVE). */
export function makeReadOnlyRecursive(target: string): void {
  const attr = Buffer.alloc(MOUNT_ATTR_SIZE_VER0);
  attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_RDONLY), 0);
  check('mount_setattr', fn.syscall(SYS_MOUNT_SETATTR, 'int', AT_FDCWD, 'const char *', target, 'uint', AT_RECURSIVE, 'void *', attr, 'size_t', MOUNT_ATTR_SIZE_VER0));
}

export function mknod(path: string, mode: number, dev: bigint): void {
  check('mknod', fn.mknod(path, mode, dev));
}

/**
 * poll(2) for `events` on each of `fds`: their revents, after at most
 * `timeoutMs` (-1: no limit). Interrupted by a signal, all are 0.
 */
export function poll(fds: readonly number[], events: number, timeoutMs: number): number[] {
  const pfd = Buffer.alloc(POLLFD_SIZE * fds.length);
  fds.forEach((fd, i) => {
    pfd.writeInt32LE(fd, i * POLLFD_SIZE + POLLFD_OFF.fd);
    pfd.writeInt16LE(events, i * POLLFD_SIZE + POLLFD_OFF.events);
  });
  if (fn.poll(pfd, fds.length, timeoutMs) < 0 && koffi.errno() !== Errno.EINTR) throw new SysError('poll', koffi.errno());
  return fds.map((_, i) => pfd.readInt16LE(i * POLLFD_SIZE + POLLFD_OFF.revents));
}

/**
 * One non-blocking sendmsg of `data` on stream socket `sock` with `fd`
 * attached (SCM_RIGHTS): the receiver gets its own descriptor for the same
 * open file. Returns the bytes sent, which may be fewer than data.length;
 * throws SysError (EAGAIN when the socket buffer is full).
 */
export function sendWithFd(sock: number, data: Buffer, fd: number): number {
  const { msg, control } = msghdr(cmsgSpace(4), data); // a small reply: copied in with the rest
  putScmRights(control, [fd]);
  return check('sendmsg', fn.sendmsg(sock, msg, MSG.DONTWAIT | MSG.NOSIGNAL));
}

export interface TimeSpec {
  sec: number;
  nsec: number;
}

/** utimensat(AT_FDCWD, path, [atime, mtime], AT_SYMLINK_NOFOLLOW); nsec may be UTIME_NOW/UTIME_OMIT. */
export function lutimens(path: string, atime: TimeSpec, mtime: TimeSpec): void {
  const ts = Buffer.alloc(32);
  ts.writeBigInt64LE(BigInt(atime.sec), 0);
  ts.writeBigInt64LE(BigInt(atime.nsec), 8);
  ts.writeBigInt64LE(BigInt(mtime.sec), 16);
  ts.writeBigInt64LE(BigInt(mtime.nsec), 24);
  check('utimensat', fn.utimensat(AT_FDCWD, path, ts, AT.SYMLINK_NOFOLLOW));
}

/** One linux_dirent64 (include/linux/dirent.h): d_ino, d_off, d_reclen, d_type, d_name. */
export interface HostDirent {
  ino: bigint;
  off: bigint;
  type: number;
  name: string;
}

/** Positions directory fd at cookie `off` and reads up to `bufSize` bytes of entries. */
export function getdents(fd: number, off: bigint, bufSize: number): HostDirent[] {
  check('lseek', fn.lseek(fd, off, SEEK.SET));
  const buf = Buffer.allocUnsafe(bufSize);
  const n = check('getdents64', fn.getdents64(fd, buf, bufSize));
  const out: HostDirent[] = [];
  for (let at = 0; at < n; ) {
    const reclen = buf.readUInt16LE(at + 16);
    const nameEnd = buf.indexOf(0, at + DIRENT64_HEADER);
    out.push({
      ino: buf.readBigUInt64LE(at),
      off: buf.readBigInt64LE(at + 8),
      type: buf[at + 18],
      name: buf.toString('utf8', at + DIRENT64_HEADER, nameEnd),
    });
    at += reclen;
  }
  return out;
}

/** struct statfs (x86_64, include/uapi/asm-generic/statfs.h with 64-bit longs). */
export interface HostStatFs {
  type: bigint;
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  fsid: bigint;
  namelen: bigint;
  /** ST_* mount flags; ST_RDONLY, ST_NOSUID, ST_NODEV and ST_NOEXEC equal the MS_* flags of the same names. */
  flags: bigint;
}

function parseStatFs(b: Buffer): HostStatFs {
  const f = (i: number): bigint => b.readBigUInt64LE(i * 8);
  return {
    type: f(0),
    bsize: f(1),
    blocks: f(2),
    bfree: f(3),
    bavail: f(4),
    files: f(5),
    ffree: f(6),
    fsid: f(7),
    namelen: f(8),
    flags: f(10),
  };
}

export function statfs(target: string | number): HostStatFs {
  const b = Buffer.alloc(STATFS_SIZE);
  if (typeof target === 'number') check('fstatfs', fn.fstatfs(target, b));
  else check('statfs', fn.statfs(target, b));
  return parseStatFs(b);
}
