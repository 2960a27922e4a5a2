// File-system ABI for x86_64: open flags (include/uapi/asm-generic/fcntl.h),
// file types (include/uapi/linux/stat.h), *at flags (include/uapi/linux/fcntl.h),
// struct layouts (arch/x86/include/uapi/asm/stat.h, include/uapi/linux/stat.h,
// include/linux/dirent.h, include/uapi/asm-generic/statfs.h) and tty ioctls
// (include/uapi/asm-generic/ioctls.h). Offsets were checked with gcc's offsetof.

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  ASYNC: 0o20000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4010000,
  PATH: 0o10000000,
  TMPFILE: 0o20200000,
} as const;

/** Flags that describe the open file (F_GETFL) rather than the open call. */
export const O_STATUS_FLAGS = O.APPEND | O.NONBLOCK | O.DSYNC | O.ASYNC | O.DIRECT | O.NOATIME | O.SYNC;
/** The flags F_SETFL may change. */
export const O_SETFL_MASK = O.APPEND | O.NONBLOCK | O.ASYNC | O.DIRECT | O.NOATIME;

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

/** linux_dirent64.d_type values (DT_*). */
export const DT = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12, WHT: 14 } as const;

/** DT_* for a mode's file type. */
export function dtype(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}

export const AT_FDCWD = -100;
export const AT = {
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EACCESS: 0x200,
  SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000,
  STATX_SYNC_TYPE: 0x6000,
} as const;

export const SEEK = { SET: 0, CUR: 1, END: 2, DATA: 3, HOLE: 4 } as const;

export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

/** access(2) modes. */
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

export const UTIME_NOW = 0x3fffffff;
export const UTIME_OMIT = 0x3ffffffe;

export const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  SETOWN: 8,
  GETOWN: 9,
  OFD_GETLK: 36,
  OFD_SETLK: 37,
  OFD_SETLKW: 38,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
  ADD_SEALS: 1033,
  GET_SEALS: 1034,
} as const;
export const FD_CLOEXEC = 1;
/** struct flock l_type values. */
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;
/** struct flock (x86_64) field offsets: l_type s16, l_whence s16, l_start s64, l_len s64, l_pid s32. */
export const FLOCK = { TYPE: 0, WHENCE: 2, START: 8, LEN: 16, PID: 24, SIZE: 32 } as const;
/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** close_range(2) flags. */
export const CLOSE_RANGE = { UNSHARE: 2, CLOEXEC: 4 } as const;

export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const FIOASYNC = 0x5452;
/** The kernel's struct termios (not glibc's 60-byte one). */
export const KERNEL_TERMIOS_SIZE = 36;
export const WINSIZE_SIZE = 8;

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
/** Symlinks followed in one resolution before ELOOP (include/linux/namei.h). */
export const MAXSYMLINKS = 40;

/** struct stat (x86_64). */
export const STAT_SIZE = 144;
export const STAT_OFF = {
  dev: 0, ino: 8, nlink: 16, mode: 24, uid: 28, gid: 32, rdev: 40, size: 48,
  blksize: 56, blocks: 64, atime: 72, mtime: 88, ctime: 104,
} as const;

/** struct statx. */
export const STATX_SIZE = 256;
export const STATX_OFF = {
  mask: 0, blksize: 4, attributes: 8, nlink: 16, uid: 20, gid: 24, mode: 28, ino: 32,
  size: 40, blocks: 48, attributesMask: 56, atime: 64, btime: 80, ctime: 96, mtime: 112,
  rdevMajor: 128, rdevMinor: 132, devMajor: 136, devMinor: 140,
} as const;
export const STATX_BASIC_STATS = 0x7ff;
/** statx flags that only tune cache syncing (ignored: we are always in sync). */
export const AT_STATX_FORCE_SYNC = 0x2000;
export const AT_STATX_DONT_SYNC = 0x4000;

/** struct statfs (x86_64). */
export const STATFS_SIZE = 120;
export const STATFS_OFF = {
  type: 0, bsize: 8, blocks: 16, bfree: 24, bavail: 32, files: 40, ffree: 48,
  fsid: 56, namelen: 64, frsize: 72, flags: 80,
} as const;

/** statfs f_type magic numbers (include/uapi/linux/magic.h). */
export const FS_MAGIC = {
  TMPFS: 0x01021994,
  PROC: 0x9fa0,
  SYSFS: 0x62656572,
  OVERLAY: 0x794c7630,
  V9FS: 0x01021997,
  DEVPTS: 0x1cd1,
  CGROUP2: 0x63677270,
} as const;
/** statfs f_flags (ST_*). */
export const ST_RDONLY = 1;

/** linux_dirent64 header: d_ino u64, d_off s64, d_reclen u16, d_type u8, then the name. */
export const DIRENT64_HEADER = 19;

/** makedev/major/minor with Linux's encoding. */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** splice(2), tee(2), vmsplice(2) flags (include/linux/splice.h). */
export const SPLICE_F = { MOVE: 0x1, NONBLOCK: 0x2, MORE: 0x4, GIFT: 0x8 } as const;
export const SPLICE_F_ALL = 0xf;
