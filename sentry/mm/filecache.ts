/**
 * The page cache of shared file mappings. A regular file mapped MAP_SHARED
 * through a description open for reading and writing gets one cached copy
 * of its contents in the platform's shared memory (a slot of
 * SharedMemory): every MAP_SHARED mapping of the file, in any process, maps
 * those same host pages, so stores through one are seen by all at once and
 * shared futexes in it are keyed by the copy (kernel/futex.ts). While the
 * copy exists, read(2)/write(2) on the same inode go through it too
 * (vfs/inodefile.ts; writes also reach the file at once). The copy is
 * written back to the file by msync(2) and when the last address space
 * mapping it lets go (munmap, exec, exit), then dropped.
 *
 * Not supported: shared mappings reaching beyond the slot (1 GiB of the
 * file: ENODEV); dirty-page tracking (a write-back writes the whole file
 * below its size); pages past EOF give zeros instead of SIGBUS, and a file
 * shrunk and regrown while mapped keeps its old bytes in the copy; coherence
 * with read/write through another Inode object of the same file (the copy is
 * found by st_dev/st_ino for mappings, by the Inode for read/write).
 */
import { pageAlignedBuffer } from '../platform/host/aligned';
import type { SharedMemory } from '../platform/platform';
import type { Inode } from '../vfs/inode';

const COPY_CHUNK = 1 << 20;

export class CachedFile {
  /** Address spaces (MemoryManagers) that map it. */
  users = 0;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly mem: SharedMemory,
    readonly slot: number,
    readonly inode: Inode,
  ) {}

  /** The cached bytes at `offset` for a read(2) of dst.length bytes: how many were copied (short at EOF). */
  read(dst: Buffer, offset: number): number {
    const size = Math.min(this.inode.stat().size, this.mem.slotSize);
    const n = Math.max(0, Math.min(dst.length, size - offset));
    if (n > 0) this.mem.read(this.slot + offset, dst.subarray(0, n));
    return n;
  }

  /** Puts bytes a write(2) gave the file into the copy (the part inside the slot). */
  update(src: Buffer, offset: number): void {
    const n = Math.min(src.length, this.mem.slotSize - offset);
    if (n > 0) this.mem.write(this.slot + offset, src.subarray(0, n));
  }

  /** Fills the copy from the file (at creation). */
  private fill(): void {
    this.copy((buf, at) => {
      const n = this.inode.read(buf, at);
      if (n > 0) this.mem.write(this.slot + at, buf.subarray(0, n));
      return n;
    });
  }

  /** Writes the copy below the file's size back to the file (msync, last unmap). */
  writeBack(): void {
    this.copy((buf, at) => {
      this.mem.read(this.slot + at, buf);
      return this.inode.write(buf, at);
    });
  }

  private copy(step: (buf: Buffer, at: number) => number): void {
    const size = Math.min(this.inode.stat().size, this.mem.slotSize);
    const buf = pageAlignedBuffer(Math.min(COPY_CHUNK, size));
    for (let at = 0; at < size; ) {
      const n = step(buf.subarray(0, Math.min(buf.length, size - at)), at);
      if (n <= 0) return;
      at += n;
    }
  }

  static create(id: number, key: string, mem: SharedMemory, inode: Inode): CachedFile {
    const c = new CachedFile(id, key, mem, mem.allocSlot(), inode);
    try {
      c.fill();
    } catch (e) {
      mem.releaseSlot(c.slot);
      throw e;
    }
    return c;
  }
}

/** Cached files by st_dev:st_ino, by id (vma backings name them) and by Inode (read/write). */
const byKey = new Map<string, CachedFile>();
const byId = new Map<number, CachedFile>();
const byInode = new WeakMap<Inode, CachedFile>();
let nextId = 1;

export function cacheKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/** The copy of a file, if one exists. */
export function findCached(key: string): CachedFile | undefined {
  return byKey.get(key);
}

export function cachedById(id: number): CachedFile {
  const c = byId.get(id);
  if (c === undefined) throw new Error(`no cached file ${id}`);
  return c;
}

/** The copy read(2)/write(2) on `inode` must go through, if any. */
export function cachedInode(inode: Inode): CachedFile | undefined {
  return byInode.get(inode);
}

/** The copy of the file `inode` (made if needed); the caller is one more user. */
export function acquireCached(key: string, mem: SharedMemory, inode: Inode): CachedFile {
  let c = byKey.get(key);
  if (c === undefined) {
    c = CachedFile.create(nextId++, key, mem, inode);
    byKey.set(key, c);
    byId.set(c.id, c);
    byInode.set(inode, c);
  }
  c.users++;
  return c;
}

/**
 * One user lets go; the last one writes the copy back and drops it. A
 * failed write-back is not reported (munmap and exit do not report one on
 * Linux either; msync does).
 */
export function releaseCached(c: CachedFile): void {
  if (--c.users > 0) return;
  byKey.delete(c.key);
  byId.delete(c.id);
  byInode.delete(c.inode);
  try {
    c.writeBack();
  } catch {
    // the bytes are lost, as a page-cache write-back error loses them
  } finally {
    c.mem.releaseSlot(c.slot);
  }
}
