/**
 * An overlay of a read-only lower tree (the gofer rootfs) and an in-memory
 * upper tmpfs. Every change lands in the upper layer: files and
 * directories are copied up on first modification, deletions of lower
 * names are recorded as whiteouts, and a directory created over a
 * whiteout is opaque (hides the lower directory). Like Linux overlayfs
 * without redirect_dir, renaming a directory that exists in the lower
 * layer fails with EXDEV (mv falls back to copying).
 */
import { DT, FS_MAGIC, O, S_IFMT } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import { pageAlignedBuffer } from '../../platform/host/aligned';
import type { FileDescription, Stat } from '../../vfs/file';
import { DirEntry, Filesystem, Inode, isDir, isRegular, isSymlink, Owner, SetAttr, StatFs } from '../../vfs/inode';
import { Tmpfs, TmpfsFile } from '../tmpfs/tmpfs';

const COPY_CHUNK = 1 << 20;
/** Upper-only inode numbers are moved above lower ones to avoid collisions. */
const UPPER_INO_BASE = 2 ** 48;

export class OverlayFs implements Filesystem {
  readonly type = 'overlay';
  readonly readOnly = false;
  readonly root: OverlayInode;

  constructor(
    readonly dev: number,
    readonly upper: Tmpfs,
    lowerRoot: Inode,
  ) {
    // The upper root stands for the image's root: give it the lower root's attributes.
    const st = lowerRoot.stat();
    upper.root.setattr({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime });
    this.root = new OverlayInode(this, undefined, '', upper.root, lowerRoot);
  }

  statfs(): StatFs {
    return { ...this.upper.statfs(), type: FS_MAGIC.OVERLAY };
  }
}

export class OverlayInode extends Inode {
  private readonly children = new Map<string, OverlayInode>();
  /** Deleted lower names. Entries made later live in `children`, which lookup consults first. */
  private readonly whiteouts = new Set<string>();

  constructor(
    readonly fs: OverlayFs,
    private parent: OverlayInode | undefined,
    private name: string,
    private upper: Inode | undefined,
    private readonly lower: Inode | undefined,
  ) {
    super();
  }

  private get top(): Inode {
    return (this.upper ?? this.lower) as Inode;
  }

  override get mode(): number {
    return this.top.mode;
  }

  stat(): Stat {
    const st = this.top.stat();
    if (this.upper && this.mergesLower) {
      // A merged directory the app has not modified looks exactly like the lower one
      // (link count, size, ctime), with the upper's permissions and owner.
      const lo = (this.lower as Inode).stat();
      if (st.mtime.sec === lo.mtime.sec && st.mtime.nsec === lo.mtime.nsec) {
        return { ...lo, mode: st.mode, uid: st.uid, gid: st.gid, atime: st.atime, dev: this.fs.dev };
      }
    }
    const ino = this.lower ? this.lower.stat().ino : st.ino + UPPER_INO_BASE;
    return { ...st, dev: this.fs.dev, ino };
  }

  /** Whether there is a lower directory to merge (a directory made in the overlay has none: it is opaque). */
  private get mergesLower(): boolean {
    return this.lower !== undefined && isDir(this.lower.mode);
  }

  override lookup(name: string): Inode | undefined {
    if (!isDir(this.mode)) fail('ENOTDIR', name);
    const cached = this.children.get(name);
    if (cached) return cached;
    if (this.whiteouts.has(name)) return undefined;
    const u = this.upper?.lookup(name);
    let l = this.mergesLower ? this.lower?.lookup(name) : undefined;
    if (u && l && !(isDir(u.mode) && isDir(l.mode))) l = undefined;
    if (!u && !l) return undefined;
    const child = new OverlayInode(this.fs, this, name, u, l);
    this.children.set(name, child);
    return child;
  }

  override readdir(): DirEntry[] {
    if (!isDir(this.mode)) fail('ENOTDIR');
    const out: DirEntry[] = [];
    const viaLookup = (name: string): void => {
      const st = (this.lookup(name) as Inode).stat();
      out.push({ name, ino: st.ino, type: (st.mode & S_IFMT) >>> 12 });
    };
    const upperNames = new Set((this.upper?.readdir() ?? []).map((e) => e.name));
    for (const name of upperNames) viaLookup(name);
    if (!this.mergesLower) return out;
    for (const e of (this.lower as Inode).readdir()) {
      if (upperNames.has(e.name) || this.whiteouts.has(e.name)) continue;
      // A name only the image has: its lower entry has the inode and type a
      // stat reports (as Linux overlayfs passes the lower d_ino and d_type on),
      // without a Gofer walk and getattr per name of a big directory.
      if (this.children.has(e.name) || e.type === DT.UNKNOWN) viaLookup(e.name);
      else out.push({ name: e.name, ino: e.ino, type: e.type });
    }
    return out;
  }

  /** The upper inode, copying this file (and its ancestors) up first. */
  copyUp(): Inode {
    if (this.upper) return this.upper;
    const lower = this.lower as Inode;
    const parentUpper = (this.parent as OverlayInode).copyUp();
    const st = lower.stat();
    const owner = { uid: st.uid, gid: st.gid };
    let u: Inode;
    if (isDir(st.mode)) u = parentUpper.mkdir(this.name, st.mode & 0o7777, owner);
    else if (isSymlink(st.mode)) u = parentUpper.symlink(this.name, lower.readlink(), owner);
    else if (isRegular(st.mode)) u = this.copyData(parentUpper.create(this.name, st.mode & 0o7777, owner), lower, st.size);
    else return fail('EPERM', `copy-up of special file ${this.name}`);
    if (!isSymlink(st.mode)) u.setattr({ atime: st.atime, mtime: st.mtime });
    this.upper = u;
    return u;
  }

  private copyData(dst: Inode, src: Inode, size: number): Inode {
    const buf = pageAlignedBuffer(Math.min(COPY_CHUNK, size));
    for (let off = 0; off < size; ) {
      const n = src.read(buf, off);
      if (n === 0) break;
      dst.write(buf.subarray(0, n), off);
      off += n;
    }
    return dst;
  }

  /** The lower file until it is copied up (the copy is another inode, with bytes that change). */
  override immutableSource(): Inode | undefined {
    return this.upper ? undefined : this.lower?.immutableSource();
  }

  override read(dst: Buffer, offset: number): number {
    return this.top.read(dst, offset);
  }

  override write(src: Buffer, offset: number): number {
    return this.copyUp().write(src, offset);
  }

  override get seekable(): boolean {
    return this.top.seekable;
  }

  override readlink(t?: Task): string {
    return this.top.readlink(t);
  }

  override setattr(attr: SetAttr): void {
    this.copyUp().setattr(attr);
  }

  /**
   * Opening for writing copies the file up, so the description writes the
   * upper copy, which then counts in the upper tmpfs until it is closed,
   * even once unlinked.
   */
  override open(t: Task, flags: number, path: string): FileDescription {
    if ((flags & O.ACCMODE) !== O.RDONLY && isRegular(this.mode)) this.copyUp();
    const f = super.open(t, flags, path);
    if (this.upper instanceof TmpfsFile) this.upper.pin(f);
    return f;
  }

  /** Records a new upper-only child (it hides any lower name, even a whiteout'ed one). */
  private adopt(name: string, upper: Inode): OverlayInode {
    const child = new OverlayInode(this.fs, this, name, upper, undefined);
    this.children.set(name, child);
    return child;
  }

  override create(name: string, mode: number, owner: Owner): Inode {
    return this.adopt(name, this.copyUp().create(name, mode, owner));
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    return this.adopt(name, this.copyUp().mkdir(name, mode, owner));
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    return this.adopt(name, this.copyUp().symlink(name, target, owner));
  }

  override mknod(name: string, mode: number, owner: Owner): Inode {
    return this.adopt(name, this.copyUp().mknod(name, mode, owner));
  }

  /** A nameless file of the upper layer (linkat gives it a name there). */
  override tmpfile(mode: number, owner: Owner): Inode {
    return new OverlayInode(this.fs, this, '', this.copyUp().tmpfile(mode, owner), undefined);
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof OverlayInode) || target.fs !== this.fs) fail('EXDEV', name);
    const targetUpper = target.copyUp();
    this.copyUp().link(name, targetUpper);
    this.children.set(name, target);
  }

  /** Removes child `name` from the merged view. */
  private remove(name: string, dir: boolean): void {
    const child = this.lookup(name) as OverlayInode | undefined;
    if (!child) return fail('ENOENT', name);
    if (dir && child.readdir().length > 0) fail('ENOTEMPTY', name);
    if (child.upper) {
      if (dir) this.copyUp().rmdir(name);
      else this.copyUp().unlink(name);
    }
    if (child.lower) this.whiteouts.add(name);
    this.children.delete(name);
  }

  override unlink(name: string): void {
    this.remove(name, false);
  }

  override rmdir(name: string): void {
    this.remove(name, true);
  }

  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof OverlayInode) || newDir.fs !== this.fs) fail('EXDEV', newName);
    const src = (this.lookup(oldName) as OverlayInode | undefined) ?? fail('ENOENT', oldName);
    if (isDir(src.mode) && src.lower) fail('EXDEV', `directory ${oldName} is in the lower layer`);
    const dst = newDir.lookup(newName) as OverlayInode | undefined;
    if (dst && isDir(dst.mode) && dst.readdir().length > 0) fail('ENOTEMPTY', newName);
    src.copyUp();
    const newUpper = newDir.copyUp();
    this.copyUp().rename(oldName, newUpper, newName);
    // A lower file at the new name stays hidden: `children` answers for it from now on.
    if (dst?.lower) newDir.whiteouts.add(newName);
    if (src.lower) this.whiteouts.add(oldName);
    this.children.delete(oldName);
    src.parent = newDir;
    src.name = newName;
    newDir.children.set(newName, src);
  }

  /** Both names are copied up and swapped there: each still hides what the lower layer has under it. */
  override exchange(name: string, otherDir: Inode, otherName: string): void {
    if (!(otherDir instanceof OverlayInode) || otherDir.fs !== this.fs) fail('EXDEV', otherName);
    const a = (this.lookup(name) as OverlayInode | undefined) ?? fail('ENOENT', name);
    const b = (otherDir.lookup(otherName) as OverlayInode | undefined) ?? fail('ENOENT', otherName);
    for (const [n, x] of [[name, a], [otherName, b]] as const) if (isDir(x.mode) && x.lower) fail('EXDEV', `directory ${n} is in the lower layer`);
    a.copyUp();
    b.copyUp();
    const otherUpper = otherDir.copyUp();
    this.copyUp().exchange(name, otherUpper, otherName);
    this.children.set(name, b);
    otherDir.children.set(otherName, a);
    [a.parent, a.name, b.parent, b.name] = [otherDir, otherName, this, name];
  }

  override fsync(): void {
    this.upper?.fsync();
  }
}
