/**
 * tmpfs: a filesystem held entirely in Sentry memory. Used for /tmp,
 * /dev/shm, the overlay's upper layer and as the skeleton of devfs.
 */
import { totalmem } from 'node:os';
import { DT, dtype, FS_MAGIC, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../abi/linux/fs';
import { F_SEAL, F_SEAL_ALL } from '../../abi/linux/memfd';
import { fail } from '../../errors/linuxerr';
import { cacheKey, findCached } from '../../mm/filecache';
import type { Task } from '../../kernel/task';
import type { FileDescription, Stat, Timespec } from '../../vfs/file';
import { DirEntry, Filesystem, Inode, isDir, nowTimespec, Owner, SetAttr, StatFs } from '../../vfs/inode';

const PAGE = 4096;
/**
 * Linux's size for a tmpfs mounted without size= or nr_inodes=: half the
 * RAM, in bytes and in inodes of a page each (the host's RAM, read once
 * at start-up, before the Sentry's seccomp filter).
 */
const DEFAULT_PAGES = Math.floor(totalmem() / PAGE / 2);

export class Tmpfs implements Filesystem {
  readonly type: string = 'tmpfs';
  readonly readOnly = false;
  readonly root: TmpfsDir;
  private nextIno = 1;
  /** Bytes the data of its files takes while they count (TmpfsFile.counted: linked or open). */
  private heldBytes = 0;
  /** Inodes taken of maxInodes (TmpfsNode.inodesHeld). */
  private heldInodes = 0;

  constructor(
    readonly dev: number,
    rootMode = 0o1777,
    /** The size in pages (Linux's size=). */
    readonly sizePages = DEFAULT_PAGES,
    /** How many inodes it may hold (Linux's nr_inodes=). */
    readonly maxInodes = DEFAULT_PAGES,
  ) {
    this.root = new TmpfsDir(this, rootMode, { uid: 0, gid: 0 });
  }

  /**
   * Accounts `delta` bytes of a counted file's data; growth past the size
   * fails with ENOSPC, as on Linux, unless `force` (a link bringing a
   * file back).
   */
  charge(delta: number, force = false): void {
    if (delta > 0 && !force && this.heldBytes + delta > this.sizePages * PAGE) fail('ENOSPC', `tmpfs of ${this.sizePages} pages is full`);
    this.heldBytes += delta;
  }

  /** Accounts `delta` inodes; more than maxInodes fail with ENOSPC, as Linux's shmem_reserve_inode. */
  chargeInodes(delta: number): void {
    if (delta > 0 && this.heldInodes + delta > this.maxInodes) fail('ENOSPC', `tmpfs of ${this.maxInodes} inodes is full`);
    this.heldInodes += delta;
  }

  /** Bytes its files' data takes: linked files once however many links, and unlinked ones still open (a memory cgroup charges these). */
  get bytesInMemory(): number {
    return this.heldBytes;
  }

  /** Inodes it holds: one per directory, per name of any other node, per unlinked file still open. */
  get inodesInUse(): number {
    return this.heldInodes;
  }

  allocIno(): number {
    return this.nextIno++;
  }

  /** The size and nr_inodes less what the files hold. */
  statfs(): StatFs {
    const bfree = Math.max(0, this.sizePages - Math.ceil(this.heldBytes / PAGE));
    const ffree = this.maxInodes - this.heldInodes;
    return { type: FS_MAGIC.TMPFS, bsize: PAGE, blocks: this.sizePages, bfree, bavail: bfree, files: this.maxInodes, ffree, namelen: 255 };
  }
}

/** Attributes shared by every tmpfs inode. */
export abstract class TmpfsNode extends Inode {
  readonly ino: number;
  /** File type and permission bits (st_mode). */
  private modeBits: number;
  uid: number;
  gid: number;
  nlink = 1;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;

  constructor(
    readonly fs: Tmpfs,
    mode: number,
    owner: Owner,
  ) {
    super();
    fs.chargeInodes(1); // first: a full filesystem makes nothing
    this.ino = fs.allocIno();
    this.modeBits = mode;
    this.uid = owner.uid;
    this.gid = owner.gid;
    this.atime = this.mtime = this.ctime = nowTimespec();
  }

  override get mode(): number {
    return this.modeBits;
  }

  /** Content size (st_size). */
  abstract get size(): number;
  /** Pages holding data (st_blocks counts them): all of its size, unless the node is sparse. */
  get allocatedPages(): number {
    return Math.ceil(this.size / PAGE);
  }
  /** Device number for st_rdev (device nodes). */
  get rdev(): number {
    return 0;
  }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.modeBits, nlink: this.nlink, uid: this.uid, gid: this.gid,
      rdev: this.rdev, size: this.size, blksize: PAGE, blocks: this.allocatedPages * (PAGE / 512),
      atime: this.atime, mtime: this.mtime, ctime: this.ctime,
    };
  }

  protected touch(): void {
    this.mtime = this.ctime = nowTimespec();
  }

  /**
   * Inodes of the filesystem's nr_inodes it takes: one for a directory,
   * one per name of anything else (Linux's shmem_link reserves one for
   * every hard link, since each name pins memory until it is unlinked).
   */
  protected get inodesHeld(): number {
    return isDir(this.modeBits) ? Math.min(this.nlink, 1) : this.nlink;
  }

  /** A link made (+1) or removed (-1); a name past nr_inodes fails with ENOSPC and changes nothing. */
  changeLinks(by: 1 | -1): void {
    this.holdWhile(() => (this.nlink += by), () => (this.nlink -= by));
  }

  /** Runs `change` and accounts what it changed in inodes; going past nr_inodes runs `undo` and fails with ENOSPC. */
  protected holdWhile(change: () => void, undo?: () => void): void {
    const before = this.inodesHeld;
    change();
    try {
      this.fs.chargeInodes(this.inodesHeld - before);
    } catch (e) {
      undo?.();
      throw e;
    }
  }

  override setattr(attr: SetAttr): void {
    if (attr.mode !== undefined) this.modeBits = (this.modeBits & S_IFMT) | (attr.mode & 0o7777);
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    if (attr.size !== undefined) this.truncate(attr.size);
    if (attr.atime !== undefined) this.atime = attr.atime === 'now' ? nowTimespec() : attr.atime;
    if (attr.mtime !== undefined) this.mtime = attr.mtime === 'now' ? nowTimespec() : attr.mtime;
    this.ctime = nowTimespec();
  }

  protected truncate(size: number): void {
    fail('EINVAL', `truncate to ${size}`);
  }
}

/** What Linux's tmpfs counts in a directory's st_size per entry. */
const BOGO_DIRENT_SIZE = 20;
/** Symlink targets shorter than this (with their NUL at most this long) live in the inode, taking no page. */
const SHORT_SYMLINK_LEN = 128;

/** File data is kept in pieces of this size, each only once written. */
const CHUNK = 64 * 1024;
const PAGES_PER_CHUNK = CHUNK / PAGE;
/** The largest file offset: JavaScript numbers are exact up to 2^53 (Linux allows 2^63-1, EFBIG beyond). */
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

/** One written piece of a file: its bytes (grown as needed up to CHUNK) and which of its pages were written. */
interface Chunk {
  buf: Buffer;
  pages: number;
}

/**
 * A regular file. Its data is sparse, as a tmpfs file's: a hole (never
 * written, or beyond a truncate that grew the file) takes no memory and
 * reads as zeros, so `truncate -s 100G` works as on Linux and a file
 * written at a large offset holds only what was written. Before, one
 * buffer held the whole size: truncating beyond 4 GiB failed with EIO,
 * and each growth copied the file.
 */
export class TmpfsFile extends TmpfsNode {
  private readonly chunks = new Map<number, Chunk>();
  private length = 0;
  private pageCount = 0;
  private bytesHeld = 0;
  /** Open descriptions of it (pin). */
  private opens = 0;
  private sealBits: number;

  /** `seals`: F_SEAL_SEAL (none can be added) but for memfds (memfd.ts). */
  constructor(fs: Tmpfs, mode: number, owner: Owner, seals: number = F_SEAL.SEAL) {
    super(fs, S_IFREG | (mode & 0o7777), owner);
    this.sealBits = seals;
  }

  /**
   * A file with no name (O_TMPFILE, memfd_create), for the caller to open
   * at once: its inode, taken here, is then held by the open (inodesHeld)
   * and its data counts while it is open; both go at its last close unless
   * a link names it.
   */
  static nameless(fs: Tmpfs, mode: number, owner: Owner, seals?: number): TmpfsFile {
    const f = new TmpfsFile(fs, mode, owner, seals);
    f.nlink = 0;
    return f;
  }

  /**
   * File seals, as shmem's (memfd_add_seals, shmem_setattr,
   * shmem_write_begin): F_SEAL_SEAL ends sealing; F_SEAL_SHRINK and
   * F_SEAL_GROW forbid truncates and writes (vfs/inodefile.ts) that change
   * the size that way; F_SEAL_WRITE forbids writes and writable shared
   * mappings (mm.ts; EBUSY while a shared mapping could write);
   * F_SEAL_FUTURE_WRITE forbids new ones but leaves existing mappings
   * writable (their write-back is not a write(2)); F_SEAL_EXEC freezes the
   * exec bits.
   */
  override get seals(): number {
    return this.sealBits;
  }

  override addSeals(seals: number): void {
    if (seals & ~F_SEAL_ALL) fail('EINVAL', `unknown seals ${seals}`);
    if (this.sealBits & F_SEAL.SEAL) fail('EPERM', 'sealed against more seals');
    if (seals & F_SEAL.WRITE && !(this.sealBits & F_SEAL.WRITE)) {
      const st = this.stat();
      if ((findCached(cacheKey(st.dev, st.ino))?.users ?? 0) > 0) fail('EBUSY', 'a shared mapping may write');
    }
    // F_SEAL_EXEC on an executable file makes it W^X from then on.
    if (seals & F_SEAL.EXEC && this.mode & 0o111) seals |= F_SEAL.SHRINK | F_SEAL.GROW | F_SEAL.WRITE | F_SEAL.FUTURE_WRITE;
    this.sealBits |= seals;
  }

  override setattr(attr: SetAttr): void {
    const s = this.sealBits;
    if (attr.size !== undefined && ((attr.size < this.length && s & F_SEAL.SHRINK) || (attr.size > this.length && s & F_SEAL.GROW))) fail('EPERM', 'size sealed');
    if (attr.mode !== undefined && s & F_SEAL.EXEC && (attr.mode ^ this.mode) & 0o111) fail('EPERM', 'exec bits sealed');
    super.setattr(attr);
  }

  get size(): number {
    return this.length;
  }

  override get allocatedPages(): number {
    return this.pageCount;
  }

  /** Bytes of memory the data takes (what a memory cgroup charges for it). */
  get heldBytes(): number {
    return this.bytesHeld;
  }

  /**
   * Whether its data counts toward the filesystem's size: while it is
   * linked or open, as Linux frees an unlinked file's pages at its last
   * close.
   */
  private get counted(): boolean {
    return this.nlink > 0 || this.opens > 0;
  }

  /** An unlinked file still open keeps its inode, as its data. */
  protected override get inodesHeld(): number {
    return this.nlink > 0 ? this.nlink : Math.min(this.opens, 1);
  }

  /** A description of the file (its own, or an overlay's over it): the data and inode count until the last one goes. */
  pin(f: FileDescription): void {
    this.opens++;
    f.onLastClose?.(() => this.holdWhile(() => this.opens--));
  }

  /** Also starts or stops counting the data if `change` changed whether the file counts. */
  protected override holdWhile(change: () => void, undo?: () => void): void {
    const before = this.counted;
    super.holdWhile(change, undo);
    if (before !== this.counted) this.fs.charge(before ? -this.bytesHeld : this.bytesHeld, true);
  }

  override open(t: Task, flags: number, path: string): FileDescription {
    const f = super.open(t, flags, path);
    this.pin(f);
    return f;
  }

  override read(dst: Buffer, offset: number): number {
    if (offset >= this.length) return 0;
    const end = Math.min(this.length, offset + dst.length);
    for (let pos = offset; pos < end; ) {
      const i = Math.floor(pos / CHUNK);
      const at = pos - i * CHUNK;
      const n = Math.min(CHUNK - at, end - pos);
      const c = this.chunks.get(i);
      // The chunk may hold less than `at` (the file grew by truncate past what was written).
      const copied = c && at < c.buf.length ? c.buf.copy(dst, pos - offset, at, at + n) : 0;
      dst.fill(0, pos - offset + copied, pos - offset + n); // a hole, or past what the chunk holds
      pos += n;
    }
    return end - offset;
  }

  /** Writes `src` at `offset`; when the filesystem fills up (ENOSPC), what fitted, if anything, as Linux's short write. */
  override write(src: Buffer, offset: number): number {
    if (offset + src.length > MAX_FILE_SIZE) fail('EFBIG', `write to ${offset + src.length}`);
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const i = Math.floor(pos / CHUNK);
      const at = pos - i * CHUNK;
      const n = Math.min(CHUNK - at, src.length - done);
      let c: Chunk;
      try {
        c = this.chunk(i, at + n);
      } catch (e) {
        if (done > 0) break;
        throw e;
      }
      src.copy(c.buf, at, done, done + n);
      this.markPages(c, at, at + n);
      done += n;
    }
    this.length = Math.max(this.length, offset + done);
    this.touch();
    return done;
  }

  /** Accounts a change of the data's memory to the filesystem while the file counts. */
  private hold(delta: number): void {
    if (this.counted) this.fs.charge(delta);
    this.bytesHeld += delta;
  }

  protected override truncate(size: number): void {
    if (size < 0) fail('EINVAL', 'negative size');
    if (size > MAX_FILE_SIZE) fail('EFBIG', `truncate to ${size}`);
    if (size < this.length) this.dropFrom(size);
    this.length = size;
    this.touch();
  }

  /** Chunk `i`, made or grown so it holds at least `len` bytes. */
  private chunk(i: number, len: number): Chunk {
    let c = this.chunks.get(i);
    if (!c) this.chunks.set(i, (c = { buf: Buffer.alloc(0), pages: 0 }));
    if (c.buf.length < len) {
      // Doubling up to CHUNK: a small file stays small, a growing one is copied a few times at most.
      const size = Math.max(len, Math.min(CHUNK, 2 * c.buf.length));
      this.hold(size - c.buf.length); // first: ENOSPC leaves the chunk as it was
      const grown = Buffer.alloc(size);
      c.buf.copy(grown);
      c.buf = grown;
    }
    return c;
  }

  private markPages(c: Chunk, from: number, to: number): void {
    for (let p = Math.floor(from / PAGE); p * PAGE < to; p++) {
      if (c.pages & (1 << p)) continue;
      c.pages |= 1 << p;
      this.pageCount++;
    }
  }

  /** Forgets the data from `size` on: later chunks go, the one `size` falls in is zeroed from there (a later growth reads zeros). */
  private dropFrom(size: number): void {
    for (const [i, c] of this.chunks) {
      const start = i * CHUNK;
      if (start + CHUNK <= size) continue;
      const keep = Math.max(0, size - start);
      const keepPages = Math.ceil(keep / PAGE);
      for (let p = keepPages; p < PAGES_PER_CHUNK; p++) if (c.pages & (1 << p)) this.pageCount--;
      c.pages &= (1 << keepPages) - 1;
      if (keep === 0) {
        this.hold(-c.buf.length);
        this.chunks.delete(i);
      } else {
        c.buf.fill(0, Math.min(keep, c.buf.length));
      }
    }
  }
}

export class TmpfsSymlink extends TmpfsNode {
  constructor(
    fs: Tmpfs,
    readonly target: string,
    owner: Owner,
  ) {
    super(fs, S_IFLNK | 0o777, owner);
  }

  get size(): number {
    return Buffer.byteLength(this.target);
  }

  /** None for a target of up to 127 bytes, kept in the inode as Linux's tmpfs does (SHORT_SYMLINK_LEN with the NUL); else a page. */
  override get allocatedPages(): number {
    return this.size < SHORT_SYMLINK_LEN ? 0 : 1;
  }

  override readlink(): string {
    return this.target;
  }
}

/** A node with no contents of its own: a bound unix socket's name. */
export class TmpfsSpecial extends TmpfsNode {
  get size(): number {
    return 0;
  }
}

export class TmpfsDir extends TmpfsNode {
  private readonly children = new Map<string, Inode>();

  constructor(fs: Tmpfs, mode: number, owner: Owner) {
    super(fs, S_IFDIR | (mode & 0o7777), owner);
    this.nlink = 2;
  }

  /** Linux's tmpfs size for a directory: BOGO_DIRENT_SIZE for each entry, "." and ".." included; it takes no pages. */
  get size(): number {
    return BOGO_DIRENT_SIZE * (2 + this.children.size);
  }

  override get allocatedPages(): number {
    return 0;
  }

  override lookup(name: string): Inode | undefined {
    return this.children.get(name);
  }

  override readdir(): DirEntry[] {
    return [...this.children].map(([name, i]) => {
      const st = i.stat();
      return { name, ino: st.ino, type: dtype(st.mode) || DT.UNKNOWN };
    });
  }

  /** Adds a prepared inode (devfs device nodes, copy-up); EEXIST if taken. */
  insert(name: string, inode: Inode): void {
    this.checkFree(name);
    this.children.set(name, inode);
    if (isDir(inode.mode)) this.nlink++;
    this.touch();
  }

  private checkFree(name: string): void {
    if (this.children.has(name)) fail('EEXIST', name);
  }

  /** Makes a node (which takes an inode) only once `name` is known to be free, then links it in. */
  private add<T extends Inode>(name: string, make: () => T): T {
    this.checkFree(name);
    const node = make();
    this.insert(name, node);
    return node;
  }

  private take(name: string): Inode {
    const i = this.children.get(name) ?? fail('ENOENT', name);
    this.children.delete(name);
    if (isDir(i.mode)) this.nlink--;
    this.touch();
    return i;
  }

  override create(name: string, mode: number, owner: Owner): Inode {
    return this.add(name, () => new TmpfsFile(this.fs, mode, owner));
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    return this.add(name, () => new TmpfsDir(this.fs, mode, owner));
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    return this.add(name, () => new TmpfsSymlink(this.fs, target, owner));
  }

  override mknod(name: string, mode: number, owner: Owner): Inode {
    return this.add(name, () => new TmpfsSpecial(this.fs, mode, owner));
  }

  override tmpfile(mode: number, owner: Owner): Inode {
    return TmpfsFile.nameless(this.fs, mode, owner);
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof TmpfsNode) || target.fs !== this.fs) fail('EXDEV', name);
    this.checkFree(name);
    target.changeLinks(1);
    this.insert(name, target);
    target.ctime = nowTimespec();
  }

  override unlink(name: string): void {
    const i = this.lookup(name) ?? fail('ENOENT', name);
    if (isDir(i.mode)) fail('EISDIR', name);
    this.take(name);
    if (i instanceof TmpfsNode) i.changeLinks(-1);
  }

  override rmdir(name: string): void {
    const i = this.lookup(name) ?? fail('ENOENT', name);
    if (!(i instanceof TmpfsDir)) fail('ENOTDIR', name);
    if (i.children.size > 0) fail('ENOTEMPTY', name);
    this.take(name);
    i.holdWhile(() => (i.nlink = 0)); // its inode goes back now, not at its last close as on Linux
  }

  override rename(oldName: string, newDir: Inode, newName: string): void {
    if (!(newDir instanceof TmpfsDir) || newDir.fs !== this.fs) fail('EXDEV', newName);
    const src = this.lookup(oldName) ?? fail('ENOENT', oldName);
    const dst = newDir.lookup(newName);
    if (dst) {
      if (dst instanceof TmpfsDir) newDir.rmdir(newName);
      else newDir.unlink(newName);
    }
    this.take(oldName);
    newDir.insert(newName, src);
  }

  override exchange(name: string, otherDir: Inode, otherName: string): void {
    if (!(otherDir instanceof TmpfsDir) || otherDir.fs !== this.fs) fail('EXDEV', otherName);
    const a = this.take(name);
    const b = otherDir.take(otherName);
    otherDir.insert(otherName, a);
    this.insert(name, b);
  }

  get isEmpty(): boolean {
    return this.children.size === 0;
  }
}
