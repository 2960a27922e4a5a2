import {
  AT,
  AT_FDCWD,
  MAXSYMLINKS,
  makedev,
  NAME_MAX,
  O,
  PATH_MAX,
  R_OK,
  RENAME,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  S_ISGID,
  W_OK,
  X_OK,
} from '../abi/linux/fs';
import { posix } from 'node:path';
import { CAP } from '../abi/linux/capability';
import { fail, isLinuxError } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { FileDescription, FileDescriptionBase, Stat } from './file';
import { Filesystem, Inode, isDir, isRegular, isSymlink, Owner, SetAttr } from './inode';
import { InodeFile } from './inodefile';
import { openFifo } from '../fsimpl/pipe/fifo';
import { checkAccess, isOwnerOrCapable, mayAccess } from './perm';
import { IN } from '../abi/linux/inotify';
import { notifyInode, notifyName, notifyOpened, notifyFile, notifyPath, notifyRename, notifyUnlinked, watching } from './fsnotify';

/** A resolved file: its inode and canonical absolute sandbox path. */
export interface Loc {
  inode: Inode;
  path: string;
  /** The directory it was looked up in, when known (not for a mount's root): fsnotify's parent. */
  parent?: Inode;
}

/** /proc/[pid]/fd/N style links that jump straight to an open file. */
export interface MagicLink {
  resolveMagic(t: Task): Loc;
}

function isMagic(i: Inode): i is Inode & MagicLink {
  return typeof (i as Partial<MagicLink>).resolveMagic === 'function';
}

export interface MountInfo {
  /** Unique in this table (mountinfo's mount ID); a mount replaced at the same path gets a new one. */
  id: number;
  path: string;
  fs: Filesystem;
  source: string;
  /** The mounted directory or file within its filesystem ('/' unless a bind of something deeper). */
  root: string;
  /** Mounted read-only (MS_RDONLY): a read-only view of a filesystem that may be writable elsewhere. */
  readOnly: boolean;
}

/** What a mount is asked for beyond its place and source. */
export interface MountOptions {
  readOnly?: boolean;
  /** The mounted inode's path within its filesystem, for a bind of something below its root (default '/'). */
  root?: string;
}

interface ParentLoc {
  dir: Loc;
  name: string;
  trailingSlash: boolean;
}

/** Whether canonical `path` lies strictly below `dir`. */
function isBelow(dir: string, path: string): boolean {
  return (path + '/').startsWith(dir + '/') && path !== dir;
}

/** O_TMPFILE's own bit (O_TMPFILE is it with O_DIRECTORY). */
const O_TMPFILE_BIT = O.TMPFILE & ~O.DIRECTORY;

/** open(2) flags that only matter while opening (not kept by the description). */
const OPEN_ONLY_FLAGS = O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC;

function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}

/** fsnotify_change's event for a setattr: IN_ATTRIB for owner, mode or both times, IN_MODIFY for size or mtime alone, IN_ACCESS for atime alone. */
function setattrEvent(a: SetAttr): number {
  let mask = a.uid !== undefined || a.gid !== undefined || a.mode !== undefined ? IN.ATTRIB : 0;
  if (a.size !== undefined) mask |= IN.MODIFY;
  if (a.atime !== undefined && a.mtime !== undefined) mask |= IN.ATTRIB;
  else if (a.atime !== undefined) mask |= IN.ACCESS;
  else if (a.mtime !== undefined) mask |= IN.MODIFY;
  return mask;
}

/** The sandbox's mount table, path resolution and the path-based operations. */
export class Vfs {
  private readonly mounts = new Map<string, MountInfo & { inode: Inode }>();
  /** O_TMPFILE files opened without O_EXCL that linkat may still name (Linux's I_LINKABLE). */
  private readonly linkable = new WeakSet<Inode>();
  private nextMinor = 1;
  private nextMountId = 1;

  /** A fresh anonymous device number (major 0) for a new filesystem. */
  allocDev(): number {
    return makedev(0, this.nextMinor++);
  }

  /**
   * Mounts `root` at the canonical absolute `path` (which need not exist
   * below); `root` may be any inode of a filesystem mounted elsewhere (a
   * bind mount). A read-only mount refuses writes with EROFS whatever its
   * filesystem allows.
   */
  mount(path: string, inode: Inode, source: string, opts: MountOptions = {}): void {
    // Map.set keeps a replaced key's place; a new mount goes last, as Linux lists it.
    this.mounts.delete(path);
    const m = { id: this.nextMountId++, path, fs: inode.fs, source, root: opts.root ?? '/', readOnly: opts.readOnly ?? false, inode };
    this.mounts.set(path, m);
  }

  /** Mounts in mount order, for /proc/mounts; `readOnly` also when the filesystem itself is. */
  mountList(): MountInfo[] {
    return [...this.mounts.values()].map(({ id, path, fs, source, root, readOnly }) => ({ id, path, fs, source, root, readOnly: readOnly || fs.readOnly }));
  }

  /** The mount a mount at `path` sits on (the root mount for itself). */
  parentMount(path: string): MountInfo {
    return path === '/' ? this.mountOf('/') : this.mountOf(path.slice(0, Math.max(1, path.lastIndexOf('/'))));
  }

  /** The id of the mount a canonical path is on (fdinfo's mnt_id). */
  mountIdOf(path: string): number {
    return this.mountOf(path).id;
  }

  /** The mount a canonical path is on: the one at its longest mounted prefix. */
  private mountOf(path: string): MountInfo {
    for (let p = path; ; p = p.slice(0, Math.max(1, p.lastIndexOf('/')))) {
      const m = this.mounts.get(p);
      if (m) return m;
      if (p === '/') return fail('ENOENT', 'no root mount');
    }
  }

  /** A read-only bind mount of a resolved file onto itself (`mount --bind -o ro P P`), keeping its mount's source. */
  bindReadOnly(loc: Loc): void {
    const under = this.mountOf(loc.path);
    // Its path within the filesystem: the part below its mount, under that mount's own root.
    this.mount(loc.path, loc.inode, under.source, { readOnly: true, root: posix.join(under.root, loc.path.slice(under.path.length)) });
  }

  /** Whether writes to a resolved file fail with EROFS: its filesystem or its mount is read-only. */
  isReadOnly(loc: Loc): boolean {
    return loc.inode.fs.readOnly || this.mountOf(loc.path).readOnly;
  }

  private rootLoc(): Loc {
    const m = this.mounts.get('/') ?? fail('ENOENT', 'no root mount');
    return { inode: m.inode, path: '/' };
  }

  /** One lookup step, crossing onto a filesystem mounted at the child. */
  private step(dir: Loc, name: string): Loc | undefined {
    const path = childPath(dir.path, name);
    const m = this.mounts.get(path);
    if (m) return { inode: m.inode, path };
    const inode = dir.inode.lookup(name);
    return inode && { inode, path, parent: dir.inode };
  }

  /** The ancestry of a canonical path (no symlinks, no ".."), root first. */
  private walkCanonical(path: string): Loc[] {
    const stack = [this.rootLoc()];
    for (const name of splitPath(path)) {
      stack.push(this.step(stack[stack.length - 1], name) ?? fail('ENOENT', `stale path ${path}`));
    }
    return stack;
  }

  /** The starting directory stack for `path` relative to `dirfd`. */
  private start(t: Task, dirfd: number, path: string): Loc[] {
    if (path.startsWith('/')) return [this.rootLoc()];
    if (dirfd === AT_FDCWD) return this.walkCanonical(t.process.fs.cwd);
    const f = t.process.fds.get(dirfd);
    if (!(f instanceof InodeFile) || !isDir(f.inode.mode)) fail('ENOTDIR', `dirfd ${dirfd}`);
    return this.walkCanonical(f.path);
  }

  /**
   * Walks `parts` from `stack`, following symlinks (the last component
   * only when `followLast`), with the 40-link ELOOP limit and search
   * permission checks on every directory crossed.
   */
  private walk(t: Task, stack: Loc[], parts: string[], followLast: boolean): Loc {
    const creds = t.process.creds;
    let links = 0;
    const todo = [...parts];
    while (todo.length > 0) {
      const name = todo.shift() as string;
      const dir = stack[stack.length - 1];
      if (!isDir(dir.inode.mode)) fail('ENOTDIR', dir.path);
      checkAccess(creds, dir.inode.stat(), X_OK, `search ${dir.path}`);
      if (name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      if (name.length > NAME_MAX) fail('ENAMETOOLONG', name);
      const child = this.step(dir, name) ?? fail('ENOENT', childPath(dir.path, name));
      const mode = child.inode.mode;
      if (isSymlink(mode) && (todo.length > 0 || followLast)) {
        if (++links > MAXSYMLINKS) fail('ELOOP', child.path);
        if (isMagic(child.inode)) {
          stack.splice(0, stack.length, this.rootLoc(), child.inode.resolveMagic(t));
          continue;
        }
        const target = child.inode.readlink(t);
        if (target === '') fail('ENOENT', `empty link ${child.path}`);
        if (target.startsWith('/')) stack.splice(0, stack.length, this.rootLoc());
        todo.unshift(...splitPath(target));
        continue;
      }
      stack.push(child);
    }
    return stack[stack.length - 1];
  }

  private checkPath(path: string): void {
    if (path.length >= PATH_MAX) fail('ENAMETOOLONG');
    if (path === '') fail('ENOENT', 'empty path');
  }

  /** Resolves `path` against `dirfd` (AT_FDCWD: the cwd), following a final symlink when `follow`. */
  resolve(t: Task, dirfd: number, path: string, follow: boolean): Loc {
    this.checkPath(path);
    const loc = this.walk(t, this.start(t, dirfd, path), splitPath(path), follow || path.endsWith('/'));
    if (path.endsWith('/') && !isDir(loc.inode.mode)) fail('ENOTDIR', path);
    return loc;
  }

  /** Resolves all but the last component (for create/unlink/rename). */
  private resolveParent(t: Task, dirfd: number, path: string): ParentLoc {
    this.checkPath(path);
    const parts = splitPath(path);
    const name = parts.pop() ?? '.';
    const dir = this.walk(t, this.start(t, dirfd, path), parts, true);
    if (!isDir(dir.inode.mode)) fail('ENOTDIR', dir.path);
    if (name.length > NAME_MAX) fail('ENAMETOOLONG', name);
    return { dir, name, trailingSlash: path.endsWith('/') };
  }

  /** dirfd + AT_EMPTY_PATH: the file itself; otherwise path resolution. */
  private resolveAt(t: Task, dirfd: number, path: string, flags: number): Loc | FileDescription {
    if (path === '' && flags & AT.EMPTY_PATH) {
      if (dirfd === AT_FDCWD) return this.resolve(t, dirfd, '.', true);
      return t.process.fds.get(dirfd);
    }
    return this.resolve(t, dirfd, path, !(flags & AT.SYMLINK_NOFOLLOW));
  }

  /** Write+search permission on a directory, on a writable filesystem. */
  private checkDirWritable(t: Task, dir: Loc): void {
    checkAccess(t.process.creds, dir.inode.stat(), W_OK | X_OK, `write ${dir.path}`);
    if (this.isReadOnly(dir)) fail('EROFS', dir.path);
  }

  private owner(t: Task, dir: Inode): Owner {
    const c = t.process.creds;
    const st = dir.stat();
    return { uid: c.euid, gid: st.mode & S_ISGID ? st.gid : c.egid };
  }

  private newMode(t: Task, mode: number): number {
    return mode & 0o7777 & ~t.process.fs.umask;
  }

  /** A parent and a name that must not exist yet (mkdir, symlink, link, mknod). */
  private createTarget(t: Task, dirfd: number, path: string): ParentLoc {
    const p = this.resolveParent(t, dirfd, path);
    if (p.name === '.' || p.name === '..' || this.step(p.dir, p.name)) fail('EEXIST', path);
    this.checkDirWritable(t, p.dir);
    return p;
  }

  /**
   * Resolves `path` relative to the task's cwd/root (following symlinks)
   * and opens it with O_* `flags` (and `mode` for O_CREAT).
   */
  openPath(t: Task, path: string, flags: number, mode = 0): FileDescription {
    return this.openAt(t, AT_FDCWD, path, flags, mode, false);
  }

  /** openat(2). `mayWait`: whether opening a FIFO may wait for its other side (the app's opens; not the Sentry's own). */
  openAt(t: Task, dirfd: number, path: string, flags: number, mode = 0, mayWait = true): FileDescription {
    return this.openLinks(t, dirfd, path, flags, mode, mayWait, 0);
  }

  /** openAt, `links` symlinks into an O_CREAT through dangling ones (Linux creates what the last names, 40 at most). */
  private openLinks(t: Task, dirfd: number, path: string, flags: number, mode: number, mayWait: boolean, links: number): FileDescription {
    if (flags & O_TMPFILE_BIT) return this.openTmpfile(t, dirfd, path, flags, mode);
    const follow = !(flags & O.NOFOLLOW);
    let loc: Loc;
    let created = false;
    if (flags & O.CREAT) {
      const p = this.resolveParent(t, dirfd, path);
      if (p.trailingSlash || p.name === '.' || p.name === '..') fail('EISDIR', path);
      const existing = this.step(p.dir, p.name);
      if (existing && flags & O.EXCL) fail('EEXIST', path);
      if (existing && isSymlink(existing.inode.mode) && follow) {
        const followed = this.resolveExisting(t, dirfd, path);
        if (followed) loc = followed;
        else {
          // Dangling: create what the link names.
          if (isMagic(existing.inode)) fail('ENOENT', path);
          if (links >= MAXSYMLINKS) fail('ELOOP', path);
          const target = existing.inode.readlink(t);
          if (target === '') fail('ENOENT', `empty link ${existing.path}`);
          return this.openLinks(t, AT_FDCWD, target.startsWith('/') ? target : childPath(p.dir.path, target), flags, mode, mayWait, links + 1);
        }
      } else if (existing) {
        loc = existing;
      } else {
        this.checkDirWritable(t, p.dir);
        const inode = p.dir.inode.create(p.name, this.newMode(t, mode), this.owner(t, p.dir.inode));
        loc = { inode, path: childPath(p.dir.path, p.name), parent: p.dir.inode };
        created = true;
        notifyName(p.dir.inode, IN.CREATE, p.name, inode);
      }
    } else {
      loc = this.resolve(t, dirfd, path, follow);
    }
    return this.openLoc(t, loc, flags, created, mayWait);
  }

  /** `path` resolved through its final symlink, or undefined when that ends at a missing name (ENOENT). */
  private resolveExisting(t: Task, dirfd: number, path: string): Loc | undefined {
    try {
      return this.resolve(t, dirfd, path, true);
    } catch (e) {
      if (!isLinuxError(e, 'ENOENT')) throw e;
      return undefined;
    }
  }

  /**
   * open(2) with O_TMPFILE: a nameless file in the directory at `path`
   * (where its filesystem has them: tmpfs and the memory overlay; else
   * EOPNOTSUPP), shown as DIR/#INO (deleted). linkat can name it (through
   * /proc/self/fd or AT_EMPTY_PATH) unless O_EXCL was given.
   */
  private openTmpfile(t: Task, dirfd: number, path: string, flags: number, mode: number): FileDescription {
    if ((flags & (O.TMPFILE | O.CREAT)) !== O.TMPFILE) fail('EINVAL', 'O_TMPFILE needs O_DIRECTORY, without O_CREAT');
    const acc = flags & O.ACCMODE;
    if (acc !== O.WRONLY && acc !== O.RDWR) fail('EINVAL', 'O_TMPFILE needs write access');
    const dir = this.resolve(t, dirfd, path, true);
    if (!isDir(dir.inode.mode)) fail('ENOTDIR', dir.path);
    this.checkDirWritable(t, dir);
    const inode = dir.inode.tmpfile(this.newMode(t, mode), this.owner(t, dir.inode));
    const f = inode.open(t, (flags & ~OPEN_ONLY_FLAGS) | O.LARGEFILE, `${childPath(dir.path, `#${inode.stat().ino}`)} (deleted)`);
    if (!(flags & O.EXCL)) this.linkable.add(inode);
    return f;
  }

  private openLoc(t: Task, loc: Loc, flags: number, created: boolean, mayWait: boolean): FileDescription {
    const st = loc.inode.stat();
    const acc = flags & O.ACCMODE;
    const kept = (flags & ~OPEN_ONLY_FLAGS) | O.LARGEFILE;
    if (flags & O.PATH) {
      if (flags & O.DIRECTORY && !isDir(st.mode)) fail('ENOTDIR', loc.path);
      return new InodeFile(loc.inode, kept & (O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC | O.LARGEFILE), loc.path);
    }
    if (isSymlink(st.mode)) fail('ELOOP', loc.path);
    if ((st.mode & S_IFMT) === S_IFSOCK) fail('ENXIO', `open of socket ${loc.path}`);
    if (flags & O.DIRECTORY && !isDir(st.mode)) fail('ENOTDIR', loc.path);
    const writing = acc !== O.RDONLY || (flags & O.TRUNC) !== 0;
    if (isDir(st.mode) && (acc !== O.RDONLY || flags & O.CREAT)) fail('EISDIR', loc.path);
    if (!created) {
      const want = (acc === O.RDONLY || acc === O.RDWR ? R_OK : 0) | (writing ? W_OK : 0);
      checkAccess(t.process.creds, st, want, `open ${loc.path}`);
    }
    if (writing && this.isReadOnly(loc) && (isRegular(st.mode) || isDir(st.mode))) fail('EROFS', loc.path);
    const truncate = (flags & O.TRUNC) !== 0 && isRegular(st.mode) && !created;
    if (truncate && st.size !== 0) loc.inode.setattr({ size: 0 });
    const f = (st.mode & S_IFMT) === S_IFIFO ? openFifo(t, loc.inode, kept, loc.path, mayWait) : loc.inode.open(t, kept, loc.path);
    if (f instanceof FileDescriptionBase) {
      f.watchable = { inode: loc.inode, parent: loc.parent, path: loc.path, writable: acc !== O.RDONLY };
      notifyOpened(f.watchable);
      if (truncate) notifyFile(f, IN.MODIFY);
    }
    return f;
  }

  /** stat/lstat/fstatat (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH). */
  statAt(t: Task, dirfd: number, path: string, flags: number): Stat {
    const x = this.resolveAt(t, dirfd, path, flags);
    return 'stat' in x ? x.stat() : x.inode.stat();
  }

  /** The inode behind a path-or-fd target; non-filesystem files (pipes, sockets) fail EINVAL. */
  private inodeOf(x: Loc | FileDescription): Loc {
    if (!('stat' in x)) return x;
    if (x instanceof InodeFile) return { inode: x.inode, path: x.path, parent: x.watchable?.parent };
    return fail('EINVAL', `not a filesystem file: ${x.path}`);
  }

  mkdirAt(t: Task, dirfd: number, path: string, mode: number): void {
    const p = this.createTarget(t, dirfd, path);
    const parentMode = p.dir.inode.mode;
    const dir = p.dir.inode.mkdir(p.name, this.newMode(t, mode) | (parentMode & S_ISGID), this.owner(t, p.dir.inode));
    notifyName(p.dir.inode, IN.CREATE, p.name, dir);
  }

  /**
   * mknod(2): regular files, FIFOs and socket names; device nodes are not
   * supported (EPERM, as without CAP_MKNOD); S_IFDIR is EPERM and an
   * unknown type EINVAL, as Linux's may_mknod.
   */
  mknodAt(t: Task, dirfd: number, path: string, mode: number): void {
    const type = mode & S_IFMT;
    if (type === S_IFDIR || type === S_IFCHR || type === S_IFBLK) fail('EPERM', `mknod type ${type.toString(8)}`);
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) fail('EINVAL', `mknod type ${type.toString(8)}`);
    const p = this.createTarget(t, dirfd, path);
    const owner = this.owner(t, p.dir.inode);
    const made = type === 0 || type === S_IFREG ? p.dir.inode.create(p.name, this.newMode(t, mode), owner) : p.dir.inode.mknod(p.name, type | this.newMode(t, mode), owner);
    notifyName(p.dir.inode, IN.CREATE, p.name, made);
  }

  /** bind(2) of a unix socket to a path: a new S_IFSOCK node (EEXIST if the name is taken). */
  mksockAt(t: Task, dirfd: number, path: string, mode: number): Loc {
    const p = this.createTarget(t, dirfd, path);
    const inode = p.dir.inode.mknod(p.name, S_IFSOCK | this.newMode(t, mode), this.owner(t, p.dir.inode));
    notifyName(p.dir.inode, IN.CREATE, p.name, inode);
    return { inode, path: childPath(p.dir.path, p.name), parent: p.dir.inode };
  }

  symlinkAt(t: Task, target: string, dirfd: number, path: string): void {
    if (target === '') fail('ENOENT', 'empty target');
    if (target.length >= PATH_MAX) fail('ENAMETOOLONG');
    const p = this.createTarget(t, dirfd, path);
    const link = p.dir.inode.symlink(p.name, target, this.owner(t, p.dir.inode));
    notifyName(p.dir.inode, IN.CREATE, p.name, link);
  }

  /** linkat(2); AT_SYMLINK_FOLLOW follows a final symlink in the old path, AT_EMPTY_PATH links an fd. */
  linkAt(t: Task, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
    const src = this.inodeOf(this.resolveAt(t, olddirfd, oldpath, (flags & AT.SYMLINK_FOLLOW ? 0 : AT.SYMLINK_NOFOLLOW) | (flags & AT.EMPTY_PATH)));
    // Linux's order: the new name taken, another mount, no right to create there, then a directory.
    const p = this.resolveParent(t, newdirfd, newpath);
    if (p.name === '.' || p.name === '..' || this.step(p.dir, p.name)) fail('EEXIST', newpath);
    if (p.dir.inode.fs !== src.inode.fs || this.mountOf(p.dir.path) !== this.mountOf(src.path)) fail('EXDEV', newpath);
    this.checkDirWritable(t, p.dir);
    if (isDir(src.inode.mode)) fail('EPERM', 'link to a directory');
    // A file with no link left stays so, but for an O_TMPFILE file (I_LINKABLE) until its first name.
    if (src.inode.stat().nlink === 0 && !this.linkable.has(src.inode)) fail('ENOENT', `${src.path} has no link left`);
    p.dir.inode.link(p.name, src.inode);
    this.linkable.delete(src.inode);
    notifyInode(src.inode, IN.ATTRIB);
    notifyName(p.dir.inode, IN.CREATE, p.name, src.inode);
  }

  /** unlink(2), or rmdir(2) with AT_REMOVEDIR. No sticky-bit check. */
  unlinkAt(t: Task, dirfd: number, path: string, flags: number): void {
    const rmdir = (flags & AT.REMOVEDIR) !== 0;
    const p = this.resolveParent(t, dirfd, path);
    if (rmdir && p.name === '.') fail('EINVAL', path);
    if (rmdir && p.name === '..') fail('ENOTEMPTY', path);
    if (p.name === '.' || p.name === '..') fail('EISDIR', path);
    const child = this.step(p.dir, p.name) ?? fail('ENOENT', path);
    if (this.mounts.has(child.path)) fail('EBUSY', path);
    const dir = isDir(child.inode.mode);
    if (rmdir && !dir) fail('ENOTDIR', path);
    if (!rmdir && dir) fail('EISDIR', path);
    if (!rmdir && p.trailingSlash) fail('ENOTDIR', path);
    this.checkDirWritable(t, p.dir);
    const lastLink = watching() && this.lastLink(child.inode);
    if (rmdir) p.dir.inode.rmdir(p.name);
    else p.dir.inode.unlink(p.name);
    notifyUnlinked(child.inode, lastLink);
    notifyName(p.dir.inode, IN.DELETE, p.name, child.inode);
  }

  /**
   * renameat2(2) with flags 0, RENAME_NOREPLACE or RENAME_EXCHANGE (both
   * names must exist; where the filesystem cannot swap, EINVAL).
   * RENAME_WHITEOUT is EINVAL (it needs CAP_MKNOD and an overlay).
   */
  renameAt(t: Task, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void {
    if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE) || (flags & RENAME.NOREPLACE && flags & RENAME.EXCHANGE)) fail('EINVAL', `rename flags ${flags}`);
    const from = this.resolveParent(t, olddirfd, oldpath);
    const to = this.resolveParent(t, newdirfd, newpath);
    for (const n of [from.name, to.name]) if (n === '.' || n === '..') fail('EBUSY', n);
    const src = this.step(from.dir, from.name) ?? fail('ENOENT', oldpath);
    const srcDir = isDir(src.inode.mode);
    if ((from.trailingSlash || to.trailingSlash) && !srcDir) fail('ENOTDIR', oldpath);
    if (from.dir.inode.fs !== to.dir.inode.fs || this.mountOf(from.dir.path) !== this.mountOf(to.dir.path) || this.mounts.has(src.path)) {
      fail('EXDEV', newpath);
    }
    const dst = this.step(to.dir, to.name);
    const dstPath = childPath(to.dir.path, to.name);
    if (dst && flags & RENAME.NOREPLACE) fail('EEXIST', newpath);
    if (flags & RENAME.EXCHANGE) return this.exchange(t, from, src, to, dst ?? fail('ENOENT', newpath), dstPath);
    if (srcDir && isBelow(src.path, dstPath)) fail('EINVAL', 'into itself');
    if (dst) {
      if (dst.inode === src.inode) return;
      if (this.mounts.has(dst.path)) fail('EBUSY', newpath);
      const dstDir = isDir(dst.inode.mode);
      if (srcDir && !dstDir) fail('ENOTDIR', newpath);
      if (!srcDir && dstDir) fail('EISDIR', newpath);
    }
    this.checkDirWritable(t, from.dir);
    this.checkDirWritable(t, to.dir);
    const replaced = dst && watching() ? { inode: dst.inode, lastLink: this.lastLink(dst.inode) } : undefined;
    from.dir.inode.rename(from.name, to.dir.inode, to.name);
    notifyRename(from.dir.inode, from.name, to.dir.inode, to.name, src.inode, replaced);
  }

  /** RENAME_EXCHANGE of two existing names (renameAt checked the flags, the filesystem and the source's mount). */
  private exchange(t: Task, from: ParentLoc, src: Loc, to: ParentLoc, dst: Loc, dstPath: string): void {
    if (to.trailingSlash && !isDir(dst.inode.mode)) fail('ENOTDIR', dstPath);
    // Neither may end up inside the other (either one a directory holding the other).
    if (isBelow(src.path, dstPath) || isBelow(dstPath, src.path)) fail('EINVAL', 'exchange with an ancestor');
    if (this.mounts.has(dst.path)) fail('EBUSY', dstPath);
    if (src.path === dstPath) return;
    this.checkDirWritable(t, from.dir);
    this.checkDirWritable(t, to.dir);
    from.dir.inode.exchange(from.name, to.dir.inode, to.name);
    notifyRename(from.dir.inode, from.name, to.dir.inode, to.name, src.inode);
    notifyRename(to.dir.inode, to.name, from.dir.inode, from.name, dst.inode);
  }

  /** Whether removing a name of `inode` removes its last link (a directory has one name). */
  private lastLink(inode: Inode): boolean {
    return isDir(inode.mode) || inode.stat().nlink <= 1;
  }

  readlinkAt(t: Task, dirfd: number, path: string): string {
    const x = this.resolveAt(t, dirfd, path, AT.SYMLINK_NOFOLLOW | (path === '' ? AT.EMPTY_PATH : 0));
    const loc = this.inodeOf(x);
    if (!isSymlink(loc.inode.mode)) fail('EINVAL', `${loc.path} is not a symlink`);
    if (isMagic(loc.inode)) return loc.inode.resolveMagic(t).path;
    return loc.inode.readlink(t);
  }

  /** faccessat2(2): `mode` is F_OK or R_OK|W_OK|X_OK; AT_EACCESS uses the effective ids. */
  accessAt(t: Task, dirfd: number, path: string, mode: number, flags: number): void {
    if (mode & ~7) fail('EINVAL', `mode ${mode}`);
    const loc = this.inodeOf(this.resolveAt(t, dirfd, path, flags & (AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)));
    const st = loc.inode.stat();
    if (!mayAccess(t.process.creds, st, mode, !(flags & AT.EACCESS))) fail('EACCES', loc.path);
    if (mode & W_OK && this.isReadOnly(loc) && (isRegular(st.mode) || isDir(st.mode))) fail('EROFS', loc.path);
  }

  /** The Loc of a path-or-fd target (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW honoured). */
  locAt(t: Task, dirfd: number, path: string, flags: number): Loc {
    return this.inodeOf(this.resolveAt(t, dirfd, path, flags));
  }

  /** The Loc behind an open file (fchmod, fchdir, fstatfs); EINVAL for non-filesystem files. */
  locOf(f: FileDescription): Loc {
    return this.inodeOf(f);
  }

  /**
   * chmod/chown/truncate/utimes on a resolved file, with Linux's permission
   * rules: mode and explicit times need ownership (or CAP_FOWNER), chown
   * needs CAP_CHOWN (or an owner changing the group to one of its groups),
   * truncate and times-to-now need write permission.
   */
  setattr(t: Task, loc: Loc, attr: SetAttr): void {
    const c = t.process.creds;
    const st = loc.inode.stat();
    if (this.isReadOnly(loc)) fail('EROFS', loc.path);
    if (attr.mode !== undefined && !isOwnerOrCapable(c, st)) fail('EPERM', `chmod ${loc.path}`);
    // Without CAP_CHOWN only the owner may "change" the owner to itself, or the group to one of its groups or the file's.
    const chown = c.hasCap(CAP.CHOWN);
    const owner = c.euid === st.uid;
    if (attr.uid !== undefined && !chown && !(owner && attr.uid === st.uid)) fail('EPERM', `chown ${loc.path}`);
    if (attr.gid !== undefined && !chown) {
      if (!owner || !(attr.gid === st.gid || c.egid === attr.gid || c.groups.includes(attr.gid))) fail('EPERM', `chgrp ${loc.path}`);
    }
    if (attr.size !== undefined) {
      if (isDir(st.mode)) fail('EISDIR', loc.path);
      if (!isRegular(st.mode)) fail('EINVAL', loc.path);
      checkAccess(c, st, W_OK, `truncate ${loc.path}`);
    }
    const explicitTime = (x: SetAttr['atime']): boolean => x !== undefined && x !== 'now';
    if (explicitTime(attr.atime) || explicitTime(attr.mtime)) {
      if (!isOwnerOrCapable(c, st)) fail('EPERM', `utimes ${loc.path}`);
    } else if ((attr.atime || attr.mtime) && !isOwnerOrCapable(c, st) && !mayAccess(c, st, W_OK)) {
      fail('EACCES', `utimes ${loc.path}`);
    }
    loc.inode.setattr(attr);
    notifyPath(loc.inode, loc.parent, loc.path.slice(loc.path.lastIndexOf('/') + 1), setattrEvent(attr));
  }

  /** chdir(2)/fchdir(2): the new canonical cwd. */
  chdir(t: Task, loc: Loc): void {
    if (!isDir(loc.inode.mode)) fail('ENOTDIR', loc.path);
    checkAccess(t.process.creds, loc.inode.stat(), X_OK, `chdir ${loc.path}`);
    t.process.fs.cwd = loc.path;
  }
}
