/**
 * The contract between file syscalls (and exec, mmap, /proc) and
 * filesystem implementations. A FileDescription is Linux's "open file
 * description": shared by dup'ed fds and across fork, it owns the offset
 * and status flags.
 */

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

export interface FileDescription {
  /** Absolute path inside the sandbox (for /proc/self/fd, maps, --strace). */
  readonly path: string;
  /** O_* access mode and status flags (O_APPEND, O_NONBLOCK, …). */
  flags: number;
  /** Reads at the file position (advancing it); returns bytes read, 0 at EOF. */
  read(dst: Buffer): number;
  /** Reads at `offset` without moving the position (ESPIPE if not seekable). */
  pread(dst: Buffer, offset: number): number;
  write(src: Buffer): number;
  pwrite(src: Buffer, offset: number): number;
  /** lseek(2); returns the new position. */
  seek(offset: number, whence: number): number;
  stat(): Stat;
  /** Takes a reference (dup, fork, fd passing). */
  incRef(): void;
  /** Drops a reference; the last one releases the description. */
  decRef(): void;
}
