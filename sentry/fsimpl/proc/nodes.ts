/**
 * procfs building blocks: synthetic directories, read-only generated
 * files, symlinks and the /proc/[pid]/fd magic links. Nodes are created
 * on every lookup (contents are generated from live kernel state), so a
 * generated file's contents are snapshotted on its first read.
 */
import { DT, dtype, FS_MAGIC, O, S_IFDIR, S_IFLNK, S_IFREG } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import type { FileDescription, Stat, Timespec } from '../../vfs/file';
import { DirEntry, Filesystem, Inode, Owner, StatFs } from '../../vfs/inode';
import { InodeFile } from '../../vfs/inodefile';
import type { Loc, MagicLink } from '../../vfs/vfs';

/** What tells a generated filesystem apart: procfs, or the read-only sysfs (sentry/fsimpl/sys) and cgroup2 (sentry/fsimpl/cgroup). */
export interface SyntheticKind {
  readonly type: 'proc' | 'sysfs' | 'cgroup2';
  readonly magic: number;
  readonly readOnly: boolean;
}

const PROC_KIND: SyntheticKind = { type: 'proc', magic: FS_MAGIC.PROC, readOnly: false };

export class ProcFs implements Filesystem {
  readonly type: SyntheticKind['type'];
  readonly readOnly: boolean;
  private readonly inos = new Map<string, number>();
  /** Every node reports the mount time, like Linux's procfs. */
  readonly time: Timespec;

  constructor(
    readonly dev: number,
    private readonly kind = PROC_KIND,
  ) {
    this.type = kind.type;
    this.readOnly = kind.readOnly;
    const ms = Date.now();
    this.time = { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
  }

  /** A stable inode number per proc path. */
  inoFor(key: string): number {
    let ino = this.inos.get(key);
    if (ino === undefined) this.inos.set(key, (ino = this.inos.size + 1));
    return ino;
  }

  statfs(): StatFs {
    return { type: this.kind.magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }
}

export const ROOT_OWNER: Owner = { uid: 0, gid: 0 };

abstract class ProcNode extends Inode {
  constructor(
    readonly fs: ProcFs,
    /** Path inside /proc, the identity behind st_ino. */
    readonly key: string,
    private readonly modeBits: number,
    protected readonly owner: Owner,
  ) {
    super();
  }

  override get mode(): number {
    return this.modeBits;
  }

  stat(): Stat {
    const t = this.fs.time;
    return {
      dev: this.fs.dev, ino: this.fs.inoFor(this.key), mode: this.modeBits, nlink: 1,
      uid: this.owner.uid, gid: this.owner.gid, rdev: 0, size: 0, blksize: 1024, blocks: 0,
      atime: t, mtime: t, ctime: t,
    };
  }
}

/** How a directory makes a child. */
export type ProcChild = (key: string) => Inode;
/** A directory's current children by name. */
export type ProcTable = () => Map<string, ProcChild>;

export class ProcDir extends ProcNode {
  constructor(
    fs: ProcFs,
    key: string,
    owner: Owner,
    private readonly table: ProcTable,
    mode = 0o555,
  ) {
    super(fs, key, S_IFDIR | mode, owner);
  }

  override lookup(name: string): Inode | undefined {
    return this.table().get(name)?.(`${this.key}/${name}`);
  }

  override readdir(): DirEntry[] {
    return [...this.table()].map(([name, make]) => {
      const st = make(`${this.key}/${name}`).stat();
      return { name, ino: st.ino, type: dtype(st.mode) || DT.UNKNOWN };
    });
  }
}

/**
 * A file whose text is generated when first read; read-only unless it has
 * a `store` (a /proc/sys file), which takes each write(2)'s bytes whole.
 */
export class ProcFile extends ProcNode {
  private content: Buffer | undefined;

  constructor(
    fs: ProcFs,
    key: string,
    owner: Owner,
    /** Gets the task that opened the file: the content may depend on who reads it. Text, or bytes as they are. */
    private readonly generate: (reader?: Task) => string | Buffer,
    mode = 0o444,
    /** Takes a write's bytes and the task that opened the file for it. */
    private readonly store?: (data: string, writer?: Task) => void,
  ) {
    super(fs, key, S_IFREG | mode, owner);
  }

  /** Who opened it (each open looks the file up afresh). */
  private reader: Task | undefined;

  override open(t: Task, flags: number, path: string): FileDescription {
    if ((flags & O.ACCMODE) !== O.RDONLY && !this.store) fail('EACCES', `${path} is read-only`);
    this.reader = t;
    return super.open(t, flags, path);
  }

  override write(src: Buffer): number {
    if (!this.store) return fail('EINVAL', 'read-only proc file');
    this.store(src.toString('latin1'), this.reader);
    this.content = undefined;
    return src.length;
  }

  override read(dst: Buffer, offset: number): number {
    const c = (this.content ??= Buffer.from(this.generate(this.reader)));
    if (offset >= c.length) return 0;
    return c.copy(dst, 0, offset, Math.min(c.length, offset + dst.length));
  }
}

export class ProcSymlink extends ProcNode {
  constructor(
    fs: ProcFs,
    key: string,
    owner: Owner,
    private readonly target: (t?: Task) => string,
  ) {
    super(fs, key, S_IFLNK | 0o777, owner);
  }

  override readlink(t?: Task): string {
    return this.target(t);
  }
}

/** An already-open non-filesystem file (pipe, socket, host stdio) reached through /proc/[pid]/fd. */
class OpenFileInode extends Inode {
  constructor(
    readonly fs: ProcFs,
    private readonly file: FileDescription,
    private readonly owner: Owner,
  ) {
    super();
  }

  /** Reported as owned by the fd's owner: reopening your own fd is always allowed. */
  stat(): Stat {
    return { ...this.file.stat(), uid: this.owner.uid, gid: this.owner.gid };
  }

  override open(): FileDescription {
    this.file.incRef();
    return this.file;
  }
}

/** /proc/[pid]/fd/N: readlink gives the file's path; following it reaches the open file itself. */
export class ProcFdLink extends ProcNode implements MagicLink {
  constructor(
    fs: ProcFs,
    key: string,
    owner: Owner,
    private readonly file: () => FileDescription,
  ) {
    super(fs, key, S_IFLNK | 0o700, owner);
  }

  override readlink(): string {
    return this.file().path;
  }

  resolveMagic(): Loc {
    const f = this.file();
    if (f instanceof InodeFile) return { inode: f.inode, path: f.path };
    return { inode: new OpenFileInode(this.fs, f, this.owner), path: f.path };
  }
}
