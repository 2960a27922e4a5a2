/**
 * Smaller /proc/[pid] files (proc(5)): limits, auxv, fdinfo/N and the
 * identity maps of the sandbox's one user namespace (uid_map, gid_map,
 * setgroups).
 */
import { O, SEEK } from '../../abi/linux/fs';
import { formatLimits } from '../../kernel/limits';
import type { Process } from '../../kernel/task';
import type { FileDescription } from '../../vfs/file';
import { InodeFile } from '../../vfs/inodefile';

/** /proc/[pid]/limits. */
export function limits(p: Process): string {
  return formatLimits(p.limits);
}

/** /proc/[pid]/auxv: the current image's auxiliary vector as (type, value) u64 pairs, ending with AT_NULL. */
export function auxv(p: Process): Buffer {
  const pairs = p.mm.auxv;
  const b = Buffer.alloc((pairs.length + 1) * 16);
  pairs.forEach(([type, value], i) => {
    b.writeBigUInt64LE(BigInt(type), i * 16);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), i * 16 + 8);
  });
  return b;
}

/**
 * /proc/[pid]/fdinfo/N: position, status flags in octal (O_CLOEXEC for a
 * close-on-exec descriptor), the id of the mount the file is on (as in
 * mountinfo; 0 for pipes, sockets and other files outside the mount
 * table), the inode number, then the lines of the file's kind
 * (`fdinfoLines`: a pidfd's pid). Not supported: the lines of eventfd,
 * epoll, inotify, timerfd and signalfd.
 */
export function fdinfo(f: FileDescription, cloexec: boolean, mountId: number): string {
  let pos = 0;
  try {
    pos = f.seek(0, SEEK.CUR);
  } catch {
    // Not seekable (pipes, sockets): Linux shows their unused position, 0.
  }
  const flags = f.flags | (cloexec ? O.CLOEXEC : 0);
  return `pos:\t${pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${mountId}\nino:\t${f.stat().ino}\n${f.fdinfoLines?.() ?? ''}`;
}

/** The mount id of a file for fdinfo: that of the mount its path is on, for files of the mount table. */
export function fileMountId(p: Process, f: FileDescription): number {
  return f instanceof InodeFile ? p.mounts.mountIdOf(f.path) : 0;
}

/** uid_map and gid_map of the initial user namespace: all ids map to themselves. */
export const IDENTITY_MAP = `${'0'.padStart(10)} ${'0'.padStart(10)} ${'4294967295'.padStart(10)}\n`;
