/**
 * The Sentry's view of a Gofer: a synchronous 9P2000.L client. Calls block
 * the Sentry thread until the Gofer answers (the kernel loop is
 * synchronous). Errors from the Gofer (Rlerror) are thrown as LinuxError
 * with the errno the Gofer reported. Fids are small integers owned by the
 * caller: walk() returns a new fid, clunk() releases it.
 */
import type { StatFs } from '../../vfs/inode';

export interface Qid {
  type: number; // QTDIR 0x80, QTSYMLINK 0x02, QTFILE 0
  version: number;
  path: bigint;
}

/** Rgetattr fields (all of P9_GETATTR_BASIC). */
export interface P9Attr {
  qid: Qid;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
}

/** Tsetattr: only the present fields are set. Times: 'now' or an explicit time. */
export interface P9SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: 'now' | { sec: number; nsec: number };
  mtime?: 'now' | { sec: number; nsec: number };
}

export interface P9Dirent {
  qid: Qid;
  /** Offset to pass to the next readdir to continue after this entry. */
  offset: bigint;
  type: number; // DT_* value
  name: string;
}

/** Rstatfs carries exactly the statfs(2) fields the VFS uses. */
export type P9StatFs = StatFs;

export interface GoferClient {
  /** Tattach: the fid of the root of the served tree. */
  attach(aname: string): number;
  /** Twalk from `fid` through `names` (may be empty: clones the fid). Returns the new fid and one qid per name. */
  walk(fid: number, names: string[]): { fid: number; qids: Qid[] };
  getattr(fid: number): P9Attr;
  /** Tlopenfd (tsvisor extension): a clone of `fid` opened with `flags`, and its donated host descriptor when the Gofer gives one. */
  lopenfd?(fid: number, flags: number): { fid: number; fd?: number };
  /** Twalkgetattr (tsvisor extension): a one-name walk and the new fid's getattr in one round trip. */
  walkGetattr?(fid: number, name: string): { fid: number; attr: P9Attr };
  setattr(fid: number, attr: P9SetAttr): void;
  /** Tlopen with Linux O_* flags; the fid becomes an open file. */
  lopen(fid: number, flags: number): { qid: Qid; iounit: number };
  /** Tlcreate: creates `name` in directory `fid`, which then refers to the new open file. */
  lcreate(fid: number, name: string, flags: number, mode: number, gid: number): { qid: Qid; iounit: number };
  read(fid: number, offset: number, count: number): Buffer;
  write(fid: number, offset: number, data: Buffer): number;
  readdir(fid: number, offset: bigint, count: number): P9Dirent[];
  /** Treaddirall (tsvisor extension): the whole listing of directory `fid` (walked, not opened) in one round trip; E2BIG when it does not fit in one reply. */
  readdirAll?(fid: number): P9Dirent[];
  readlink(fid: number): string;
  mkdir(dfid: number, name: string, mode: number, gid: number): Qid;
  symlink(dfid: number, name: string, target: string, gid: number): Qid;
  link(dfid: number, fid: number, name: string): void;
  mknod(dfid: number, name: string, mode: number, major: number, minor: number, gid: number): Qid;
  /** Tunlinkat; flags AT_REMOVEDIR (0x200) for directories. */
  unlinkat(dfid: number, name: string, flags: number): void;
  renameat(oldDfid: number, oldName: string, newDfid: number, newName: string): void;
  fsync(fid: number): void;
  statfs(fid: number): P9StatFs;
  clunk(fid: number): void;
  /**
   * Tgetfd (tsvisor extension): a host descriptor for the regular file that
   * `fid` has open read-only, owned by the caller from now on, so reads can
   * skip 9P with pread. The Gofer still opened it: the Sentry never opens
   * host files. Fails (EINVAL, EACCES, or whatever an older Gofer answers)
   * for other fids; clients that cannot pass descriptors leave it out.
   */
  getfd?(fid: number): number;
  /** Closes the connection (the Gofer exits when the Sentry's end closes). */
  close(): void;
}
