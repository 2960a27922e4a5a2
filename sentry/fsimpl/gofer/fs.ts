/**
 * The container rootfs served by the Gofer over 9P. Each inode keeps a
 * walked (never opened) fid; reads and writes use per-inode shared open
 * fids, opened lazily. Attributes, children and directory listings are
 * cached and dropped when this Sentry changes them; the host tree is
 * assumed not to change under a running sandbox.
 *
 * When the tree is the read-only image under the memory overlay (readOnly),
 * names the Gofer did not find are remembered too: nothing can create them,
 * and every exec of a dynamic program probes /etc/ld.so.preload. A mount
 * the sandbox writes (a pod volume another container may also write) asks
 * again each time.
 *
 * A regular file read through a read-only fid is read with pread on a
 * descriptor the Gofer donates for that fid (Tgetfd): no bytes cross the
 * 9P socket. Writes still go through 9P to the same host file, so those
 * preads see them. Without a donation (an older Gofer, a fid also open for
 * writing) reads use Tread with read-ahead.
 */
import { DT, FS_MAGIC, O } from '../../abi/linux/fs';
import { fail, isLinuxError, LinuxError } from '../../errors/linuxerr';
import { closeFd, preadFd } from '../../platform/host/fdio';
import { HostError } from '../../platform/host/libc';
import type { Stat } from '../../vfs/file';
import { DirEntry, Filesystem, Inode, isDir, isRegular, Owner, SetAttr, StatFs } from '../../vfs/inode';
import { GoferClient, P9Attr, P9Dirent } from './api';
import { HostFdCache } from './hostfds';
import { ReadaheadCache, WINDOW } from './readahead';

/** Largest single 9P read/write request. */
const IO_CHUNK = 1 << 20;
const READDIR_COUNT = 64 * 1024;
const AT_REMOVEDIR = 0x200;
/** Missing names remembered per directory; past this the set starts over (a scan of many names). */
const MAX_ABSENT = 1024;

export class GoferFs implements Filesystem {
  readonly type = '9p';
  readonly root: GoferInode;
  readonly readahead = new ReadaheadCache<GoferInode>();
  readonly hostFds = new HostFdCache<GoferInode>();
  /**
   * The names of hard-linked files (seen with more than one link), by host
   * inode: each name is an inode of its own here, so a change through one
   * (a write, a truncate, a link count) drops what the others cached.
   */
  readonly linked = new Map<bigint, Set<GoferInode>>();

  constructor(
    readonly client: GoferClient,
    readonly dev: number,
    readonly readOnly: boolean,
    aname = '/',
  ) {
    const fid = client.attach(aname);
    this.root = new GoferInode(this, fid);
  }

  statfs(): StatFs {
    const s = this.client.statfs(this.root.fid);
    return { ...s, type: FS_MAGIC.V9FS };
  }
}

export class GoferInode extends Inode {
  private attr: P9Attr | undefined;
  private readonly children = new Map<string, GoferInode>();
  /** Names the Gofer did not find (only on a read-only tree, which cannot gain names). */
  private readonly absent = new Set<string>();
  private listing: DirEntry[] | undefined;
  private target: string | undefined;
  private readFid: number | undefined;
  private writeFid: number | undefined;
  /** The host inode, once this name was seen hard-linked (GoferFs.linked). */
  private linkKey: bigint | undefined;
  /** Set once the Gofer refused to donate a descriptor for readFid: do not ask again. */
  private undonatable = false;

  constructor(
    readonly fs: GoferFs,
    readonly fid: number,
  ) {
    super();
  }

  private get client(): GoferClient {
    return this.fs.client;
  }

  private attrs(): P9Attr {
    if (this.attr === undefined) this.noteAttr(this.client.getattr(this.fid));
    return this.attr as P9Attr;
  }

  private noteAttr(a: P9Attr): void {
    this.attr = a;
    if (a.nlink < 2 || !isRegular(a.mode) || this.linkKey !== undefined) return;
    this.linkKey = a.qid.path;
    const names = this.fs.linked.get(a.qid.path) ?? new Set<GoferInode>();
    names.add(this);
    this.fs.linked.set(a.qid.path, names);
  }

  /** This file's contents or attributes changed: its cached attributes and read-ahead go, and those of its other names. */
  private contentChanged(): void {
    this.attr = undefined;
    this.fs.readahead.drop(this);
    this.otherNamesChanged();
  }

  /** Drops what the file's other names cached (a write or a link count through this one). */
  private otherNamesChanged(): void {
    if (this.linkKey === undefined) return;
    for (const n of this.fs.linked.get(this.linkKey) ?? []) {
      if (n === this) continue;
      n.attr = undefined;
      this.fs.readahead.drop(n);
    }
  }

  stat(): Stat {
    const a = this.attrs();
    return {
      dev: this.fs.dev, ino: Number(a.qid.path), mode: a.mode, nlink: a.nlink, uid: a.uid, gid: a.gid,
      rdev: a.rdev, size: a.size, blksize: a.blksize, blocks: a.blocks,
      atime: { sec: a.atimeSec, nsec: a.atimeNsec },
      mtime: { sec: a.mtimeSec, nsec: a.mtimeNsec },
      ctime: { sec: a.ctimeSec, nsec: a.ctimeNsec },
    };
  }

  /** Drops cached state that a change made through this Sentry invalidates. */
  private changed(): void {
    this.attr = undefined;
    this.listing = undefined;
  }

  override lookup(name: string): Inode | undefined {
    if (!isDir(this.mode)) fail('ENOTDIR', name);
    const cached = this.children.get(name);
    if (cached) return cached;
    if (this.absent.has(name)) return undefined;
    let fid: number;
    let attr: P9Attr | undefined;
    try {
      // Every name looked up is then stat'ed (its mode at least): ask for both at once.
      if (this.client.walkGetattr) ({ fid, attr } = this.client.walkGetattr(this.fid, name));
      else fid = this.client.walk(this.fid, [name]).fid;
    } catch (e) {
      if (!isLinuxError(e, 'ENOENT')) throw e;
      if (this.fs.readOnly) {
        if (this.absent.size >= MAX_ABSENT) this.absent.clear();
        this.absent.add(name);
      }
      return undefined;
    }
    const child = new GoferInode(this.fs, fid);
    if (attr) child.noteAttr(attr);
    this.children.set(name, child);
    return child;
  }

  override immutableSource(): Inode | undefined {
    return this.fs.readOnly && isRegular(this.mode) ? this : undefined;
  }

  override readdir(): DirEntry[] {
    if (!isDir(this.mode)) fail('ENOTDIR');
    return (this.listing ??= this.listWhole() ?? this.listOpened());
  }

  /** The listing in one round trip (Treaddirall); undefined when the Gofer cannot send it in one reply. */
  private listWhole(): DirEntry[] | undefined {
    if (!this.client.readdirAll) return undefined;
    try {
      return dirEntries(this.client.readdirAll(this.fid));
    } catch (e) {
      if (isLinuxError(e, 'E2BIG')) return undefined;
      throw e;
    }
  }

  /** The listing through an opened clone of our fid, a Treaddir at a time. */
  private listOpened(): DirEntry[] {
    const fid = this.client.walk(this.fid, []).fid;
    const out: DirEntry[] = [];
    try {
      this.client.lopen(fid, O.RDONLY | O.DIRECTORY);
      let offset = 0n;
      for (;;) {
        const batch = this.client.readdir(fid, offset, READDIR_COUNT);
        if (batch.length === 0) break;
        out.push(...dirEntries(batch));
        offset = batch[batch.length - 1].offset;
      }
    } finally {
      this.client.clunk(fid);
    }
    return out;
  }

  /** A fid cloned from ours and opened with `flags`. */
  private openFid(flags: number): number {
    const fid = this.client.walk(this.fid, []).fid;
    try {
      this.client.lopen(fid, flags);
    } catch (e) {
      this.client.clunk(fid);
      throw e;
    }
    return fid;
  }

  /**
   * The read-only fid for read(), with the Gofer's donated descriptor taken
   * in the same round trip (Tlopenfd) when it can give one.
   */
  private openForRead(): number {
    if (!this.client.lopenfd || !isRegular(this.mode)) return this.openFid(O.RDONLY);
    let r: { fid: number; fd?: number };
    try {
      r = this.client.lopenfd(this.fid, O.RDONLY);
    } catch (e) {
      // EAGAIN: opened, but the descriptor could not be sent (the Gofer's queue was busy); the fid is gone again.
      if (!isLinuxError(e, 'EAGAIN')) throw e;
      return this.openFid(O.RDONLY);
    }
    if (r.fd === undefined) this.undonatable = true;
    else if (this.fs.hostFds.get(this) === undefined) this.fs.hostFds.add(this, r.fd);
    else closeFd(r.fd);
    return r.fid;
  }

  override read(dst: Buffer, offset: number): number {
    const fid = (this.readFid ??= this.writeFid ?? this.openForRead());
    const hostFd = this.hostFd(fid);
    if (hostFd !== undefined) return preadAll(hostFd, dst, offset);
    if (dst.length < WINDOW) {
      return this.fs.readahead.read(this, dst, offset, (off, n) => {
        const b = Buffer.alloc(n);
        return b.subarray(0, this.readDirect(fid, b, off));
      });
    }
    return this.readDirect(fid, dst, offset);
  }

  /** The donated descriptor for `fid`, asking the Gofer when none is cached; undefined when it will not donate. */
  private hostFd(fid: number): number | undefined {
    if (this.undonatable) return undefined;
    const cached = this.fs.hostFds.get(this);
    if (cached !== undefined) return cached;
    if (!this.client.getfd || !isRegular(this.mode)) {
      this.undonatable = true;
      return undefined;
    }
    let fd: number;
    try {
      fd = this.client.getfd(fid);
    } catch (e) {
      if (!(e instanceof LinuxError)) throw e;
      // EAGAIN is transient (the Gofer's write queue was busy); anything else is final.
      if (e.code !== 'EAGAIN') this.undonatable = true;
      return undefined;
    }
    this.fs.hostFds.add(this, fd);
    return fd;
  }

  private readDirect(fid: number, dst: Buffer, offset: number): number {
    let done = 0;
    while (done < dst.length) {
      const data = this.client.read(fid, offset + done, Math.min(IO_CHUNK, dst.length - done));
      if (data.length === 0) break;
      data.copy(dst, done);
      done += data.length;
    }
    return done;
  }

  override write(src: Buffer, offset: number): number {
    this.writeFid ??= this.openFid(O.RDWR);
    let done = 0;
    while (done < src.length) {
      const n = this.client.write(this.writeFid, offset + done, src.subarray(done, done + IO_CHUNK));
      if (n === 0) break;
      done += n;
    }
    this.contentChanged();
    return done;
  }

  override readlink(): string {
    return (this.target ??= this.client.readlink(this.fid));
  }

  override setattr(attr: SetAttr): void {
    this.client.setattr(this.fid, attr);
    this.contentChanged();
  }

  override fsync(): void {
    if (this.writeFid !== undefined) this.client.fsync(this.writeFid);
  }

  /** Walks to a child this Sentry just created, caching it. */
  private adopt(name: string, openFid?: number): GoferInode {
    this.changed();
    const child = new GoferInode(this.fs, this.client.walk(this.fid, [name]).fid);
    if (openFid !== undefined) child.writeFid = openFid;
    this.children.set(name, child);
    return child;
  }

  override create(name: string, mode: number, owner: Owner): Inode {
    const fid = this.client.walk(this.fid, []).fid;
    try {
      this.client.lcreate(fid, name, O.RDWR, mode, owner.gid);
    } catch (e) {
      this.client.clunk(fid);
      throw e;
    }
    return this.adopt(name, fid);
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    this.client.mkdir(this.fid, name, mode, owner.gid);
    return this.adopt(name);
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    this.client.symlink(this.fid, name, target, owner.gid);
    return this.adopt(name);
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof GoferInode) || target.fs !== this.fs) fail('EXDEV', name);
    this.client.link(this.fid, target.fid, name);
    target.contentChanged();
    this.adopt(name);
  }

  private forget(name: string): void {
    // Open descriptions may still use the removed inode, so its fids stay.
    const child = this.children.get(name);
    if (child?.linkKey !== undefined) this.fs.linked.get(child.linkKey)?.delete(child);
    this.children.delete(name);
    this.changed();
  }

  override unlink(name: string): void {
    this.client.unlinkat(this.fid, name, 0);
    // The file's other names lost a link. This one keeps what it knew: open
    // descriptions may still stat it, and the Gofer finds it by name no more.
    this.children.get(name)?.otherNamesChanged();
    this.forget(name);
  }

  override rmdir(name: string): void {
    this.client.unlinkat(this.fid, name, AT_REMOVEDIR);
    this.forget(name);
  }

  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof GoferInode) || newDir.fs !== this.fs) fail('EXDEV', newName);
    this.client.renameat(this.fid, oldName, newDir.fid, newName);
    this.children.delete(oldName);
    newDir.forget(newName);
    this.changed();
  }
}

/** Fills `dst` from host descriptor `fd` at `offset`; short only at end of file. */
function preadAll(fd: number, dst: Buffer, offset: number): number {
  let done = 0;
  try {
    while (done < dst.length) {
      const n = preadFd(fd, done === 0 ? dst : dst.subarray(done), offset + done);
      if (n === 0) break;
      done += n;
    }
  } catch (e) {
    if (e instanceof HostError) throw new LinuxError(e.errno, 'pread of a donated descriptor');
    throw e;
  }
  return done;
}

/** 9P dirents as the VFS lists them, without . and .. . */
function dirEntries(batch: readonly P9Dirent[]): DirEntry[] {
  return batch.filter((d) => d.name !== '.' && d.name !== '..').map((d) => ({ name: d.name, ino: Number(d.qid.path), type: d.type || DT.UNKNOWN }));
}
