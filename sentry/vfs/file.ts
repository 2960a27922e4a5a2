/**
 * The contract between file syscalls (and exec, mmap, /proc) and
 * filesystem implementations. A FileDescription is Linux's "open file
 * description": shared by dup'ed fds and across fork, it owns the offset
 * and status flags.
 */
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { WaitQueue } from '../kernel/wait';
import type { MemoryIO } from '../platform/platform';
import { notifyClosed, type Watchable } from './fsnotify';

export interface Timespec {
  sec: number;
  nsec: number;
}

/** Linux `struct stat` fields, as numbers. */
export interface Stat {
  dev: number;
  ino: number;
  mode: number; // S_IFMT type bits | permission bits
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number; // 512-byte units
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface FileDescription extends FileDescriptionHooks {
  /** Absolute path inside the sandbox (for /proc/self/fd, maps, --strace). */
  readonly path: string;
  /** O_* access mode and status flags (O_APPEND, O_NONBLOCK, …). */
  flags: number;
  /**
   * Reads at the file position (advancing it); returns bytes read, 0 at EOF.
   * `caller` is the task of a read(2)-family syscall (terminals apply job control to it).
   */
  read(dst: Buffer, caller?: Task): number;
  /** Reads at `offset` without moving the position (ESPIPE if not seekable). */
  pread(dst: Buffer, offset: number): number;
  write(src: Buffer, caller?: Task): number;
  pwrite(src: Buffer, offset: number): number;
  /** lseek(2); returns the new position. */
  seek(offset: number, whence: number): number;
  stat(): Stat;
  /** Takes a reference (dup, fork, fd passing). */
  incRef(): void;
  /** Drops a reference; the last one releases the description. */
  decRef(): void;
}

/**
 * Optional FileDescription hooks (added by the vfs work). Descriptions that
 * lack one get Linux's answer for files without that capability.
 */
export interface FileDescriptionHooks {
  /** ioctl(2) beyond the generic FIOCLEX/FIONCLEX/FIONBIO; ENOTTY when absent. */
  ioctl?(mem: MemoryIO, cmd: number, arg: number, caller: Task): number;
  /**
   * poll(2) events that hold now (POLLIN, POLLOUT, POLLHUP, POLLERR…).
   * Absent: the file never blocks (POLLIN|POLLOUT), like regular files.
   */
  readiness?(): number;
  /** Notified whenever readiness may have changed (absent: never changes). */
  readonly waitQueue?: WaitQueue;
  /**
   * Runs `fn` when the last reference is dropped, before the description
   * is released: flock and OFD locks end there. Absent: no such locks.
   */
  onLastClose?(fn: () => void): void;
  /** Lines /proc/[pid]/fdinfo/N adds for this kind of file (Linux's show_fdinfo), each ending in a newline. */
  fdinfoLines?(): string;
    /** The file a description opened by path reports its events as (vfs/fsnotify.ts); absent: it reports none. */
  readonly watchable?: Watchable;
}

/**
 * Reference counting shared by description implementations; `release()`
 * runs once, when the last reference is dropped.
 */
export abstract class FileDescriptionBase implements FileDescription {
  private refs = 1;
  private lastCloseHooks: (() => void)[] | undefined;
  watchable?: Watchable;

  constructor(
    readonly path: string,
    public flags: number,
  ) {}

  abstract read(dst: Buffer, caller?: Task): number;
  abstract pread(dst: Buffer, offset: number): number;
  abstract write(src: Buffer, caller?: Task): number;
  abstract pwrite(src: Buffer, offset: number): number;
  abstract seek(offset: number, whence: number): number;
  abstract stat(): Stat;

  incRef(): void {
    this.refs++;
  }

  decRef(): void {
    if (--this.refs !== 0) return;
    for (const fn of this.lastCloseHooks ?? []) fn();
    if (this.watchable) notifyClosed(this.watchable);
    this.release();
  }

  onLastClose(fn: () => void): void {
    (this.lastCloseHooks ??= []).push(fn);
  }

  /** Frees resources held by the description (host fds, gofer handles). */
  protected release(): void {}
}

/** A description with no file offset (pipes, sockets, ttys, anonymous inodes): positioned I/O and lseek are ESPIPE. */
export abstract class StreamFileBase extends FileDescriptionBase {
  pread(): number {
    return fail('ESPIPE', `pread on ${this.path}`);
  }

  pwrite(): number {
    return fail('ESPIPE', `pwrite on ${this.path}`);
  }

  seek(): number {
    return fail('ESPIPE', `lseek on ${this.path}`);
  }
}
