/**
 * The filesystem-implementation contract: an Inode is one file object of a
 * Filesystem. The base class answers every operation with the errno Linux
 * gives when a file type or filesystem does not support it, so concrete
 * filesystems override only what they implement.
 */
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import type { FileDescription, Stat, Timespec } from './file';
import { InodeFile } from './inodefile';

/** statfs(2) fields (f_fsid is derived from the device). */
export interface StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
}

/** A mounted filesystem instance. */
export interface Filesystem {
  /** st_dev of every inode. */
  readonly dev: number;
  /** Type name for /proc/mounts ("tmpfs", "proc", "9p", "overlay"). */
  readonly type: string;
  /** Mutations fail with EROFS. */
  readonly readOnly: boolean;
  statfs(): StatFs;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** DT_* value. */
  type: number;
}

/** Owner of a new file: the creator's fsuid and (for now) fsgid. */
export interface Owner {
  uid: number;
  gid: number;
}

/** chmod/chown/truncate/utimes; only the present fields change. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
}

export function nowTimespec(): Timespec {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

export function isDir(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}
export function isSymlink(mode: number): boolean {
  return (mode & S_IFMT) === S_IFLNK;
}
export function isRegular(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}

export abstract class Inode {
  abstract readonly fs: Filesystem;
  abstract stat(): Stat;
  /**
   * A read fills the whole count, not one chunk (a device that always has
   * data, as Linux's read_zero loops over the count); regular files do anyway.
   */
  readonly fillsReads: boolean = false;
  /**
   * A write is answered from its count alone, never reading the buffer, as
   * Linux's write_null (/dev/null, /dev/zero: taken whole) and write_full
   * (/dev/full: ENOSPC): nothing is copied from the app, and a bad buffer
   * is not EFAULT.
   */
  readonly discardsWrites: boolean = false;

  get mode(): number {
    return this.stat().mode;
  }

  /**
   * The inode whose bytes this one reads, when nothing can ever change them
   * (a file of the read-only image under the memory overlay); its identity
   * keys the copy that private mappings of it share (mm/imagecache.ts).
   */
  immutableSource(): Inode | undefined {
    return undefined;
  }

  /** The type-appropriate error for a directory operation on this inode. */
  protected dirOp(op: string): never {
    return isDir(this.mode) ? fail(this.fs.readOnly ? 'EROFS' : 'EPERM', op) : fail('ENOTDIR', op);
  }

  /** The child called `name`, or undefined when there is none. */
  lookup(name: string): Inode | undefined {
    return this.dirOp(`lookup ${name}`);
  }
  /** Children, without "." and "..". */
  readdir(): DirEntry[] {
    return this.dirOp('readdir');
  }
  create(name: string, mode: number, owner: Owner): Inode {
    return this.dirOp(`create ${name} ${mode} ${owner.uid}`);
  }
  mkdir(name: string, mode: number, owner: Owner): Inode {
    return this.dirOp(`mkdir ${name} ${mode} ${owner.uid}`);
  }
  symlink(name: string, target: string, owner: Owner): Inode {
    return this.dirOp(`symlink ${name} ${target} ${owner.uid}`);
  }
  /** A special file (`mode` carries the S_IFMT type; sockets for bind(2)). */
  mknod(name: string, mode: number, owner: Owner): Inode {
    return this.dirOp(`mknod ${name} ${mode} ${owner.uid}`);
  }
  /**
   * open(2)'s O_TMPFILE: a new regular file with no name (st_nlink 0) in
   * this directory's filesystem, for the caller to open at once.
   * EOPNOTSUPP where the filesystem has none (the Gofer's).
   */
  tmpfile(mode: number, owner: Owner): Inode {
    return isDir(this.mode) ? fail('EOPNOTSUPP', `O_TMPFILE ${mode} ${owner.uid}`) : fail('ENOTDIR', 'O_TMPFILE');
  }
  /** Hard link `target` (same filesystem, not a directory) as `name`. */
  link(name: string, target: Inode): void {
    return this.dirOp(`link ${name} ${target.mode}`);
  }
  /** Removes a non-directory child. */
  unlink(name: string): void {
    return this.dirOp(`unlink ${name}`);
  }
  /** Removes an empty directory child. */
  rmdir(name: string): void {
    return this.dirOp(`rmdir ${name}`);
  }
  /** Moves child `oldName` to `newDir`/`newName` (same filesystem), replacing a compatible target. */
  rename(oldName: string, newDir: Inode, newName: string): void {
    return this.dirOp(`rename ${oldName} ${newDir.mode} ${newName}`);
  }
  /**
   * Swaps child `name` with `otherDir`/`otherName` (same filesystem), both
   * existing (renameat2's RENAME_EXCHANGE). EINVAL where a filesystem
   * cannot, as Linux's without the operation.
   */
  exchange(name: string, otherDir: Inode, otherName: string): void {
    return fail('EINVAL', `RENAME_EXCHANGE of ${name} and ${otherName} (mode ${otherDir.mode}) on this filesystem`);
  }

  /** The symlink target; `t` is the caller (for /proc/self; absent during overlay copy-up). */
  readlink(t?: Task): string {
    return fail('EINVAL', `readlink of a non-link by ${t?.tid}`);
  }

  /**
   * Reads file contents at `offset`. Files that are not regular (or
   * devices) never get here for directories: InodeFile answers EISDIR.
   */
  read(dst: Buffer, offset: number): number {
    return fail('EINVAL', `read ${dst.length}@${offset}`);
  }
  write(src: Buffer, offset: number): number {
    return fail('EINVAL', `write ${src.length}@${offset}`);
  }
  /** File seals (fcntl F_GET_SEALS; memfd_create(2)); undefined where the file cannot be sealed (EINVAL). */
  get seals(): number | undefined {
    return undefined;
  }
  /** fcntl F_ADD_SEALS (the description's checks are the caller's); EINVAL where the file cannot be sealed. */
  addSeals(seals: number): void {
    return fail('EINVAL', `seals ${seals} on a file that cannot be sealed`);
  }

  /** Whether offsets mean anything (false: pread/lseek give ESPIPE). */
  get seekable(): boolean {
    return true;
  }

  setattr(attr: SetAttr): void {
    return fail(this.fs.readOnly ? 'EROFS' : 'EPERM', `setattr ${Object.keys(attr).join(',')}`);
  }
  fsync(): void {}

  /**
   * open(2) of this inode after path resolution and permission checks.
   * Filesystems with special files override it.
   */
  open(t: Task, flags: number, path: string): FileDescription {
    return new InodeFile(this, flags, path);
  }
}
