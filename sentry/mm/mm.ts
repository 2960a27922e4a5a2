import type { MemPolicy } from '../kernel/mempolicy';
import { MADV, MAP, MAP_SHARED_VALIDATE_KNOWN, MCL, MLOCK_ONFAULT, MMAP_MIN_ADDR, MREMAP, MS, PAGE_SIZE, PROT, PROT_RWX } from '../abi/linux/mm';
import { O, S_IFMT, S_IFREG } from '../abi/linux/fs';
import { F_SEAL } from '../abi/linux/memfd';
import { fail } from '../errors/linuxerr';
import { pageAlignedBuffer } from '../platform/host/aligned';
import { AddressSpace, MemoryIO } from '../platform/platform';
import { FileDescription } from '../vfs/file';
import { isPageAligned, pageDown, pageUp, Randomization, stackAndMmapLayout } from './layout';
import { formatMapsLine } from './procmaps';
import { Backing, clip, Vma, VmaSet } from './vma';
import { InodeFile } from '../vfs/inodefile';
import { acquireCached, cacheKey, CachedFile, cachedById, findCached, releaseCached } from './filecache';
import { imageOffset } from './imagecache';
import type { ShmTarget } from './shmattach';

export interface MmapRequest {
  addr: number;
  len: number;
  prot: number;
  flags: number;
  /** The mapped file; absent for MAP_ANONYMOUS. */
  file?: FileDescription;
  /** The offset argument as the app passed it (64 bits). */
  offset: bigint;
}

/** mm_struct addresses that /proc/[pid]/stat, cmdline and environ report. */
export interface ImageLayout {
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
  startStack: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
}

/** Byte counts behind /proc/[pid]/status VmSize, VmData, VmStk and VmExe (VmRSS is measured: kernel/resident.ts). */
export interface MemoryUsage {
  size: number;
  data: number;
  stack: number;
  exe: number;
}

type FileBacking = Extract<Backing, { kind: 'file' }>;

/** Largest off_t a regular file mapping may reach (MAX_LFS_FILESIZE). */
const MAX_FILE_OFFSET = (1n << 63n) - 1n;
/** MAP_32BIT allocates in [1 GiB, 2 GiB) like x86_64 Linux. */
const MAP_32BIT_LOW = 0x4000_0000;
const MAP_32BIT_HIGH = 0x8000_0000;
const COPY_CHUNK = 1 << 20;
/** The advice that sets an area's read-ahead mark (Vma.readAhead); 'normal' clears it. */
const READ_AHEAD = new Map<number, 'random' | 'sequential' | 'normal'>([
  [MADV.RANDOM, 'random'],
  [MADV.SEQUENTIAL, 'sequential'],
  [MADV.NORMAL, 'normal'],
]);
const KNOWN_ADVICE: ReadonlySet<number> = new Set(Object.values(MADV));

/**
 * The application's memory: the VMA model, brk and the mmap layout, kept in
 * step with the host AddressSpace it drives. Every address and length from
 * the application is validated here with Linux's errnos before anything
 * reaches the host. File mappings are private copies read through the
 * FileDescription, or for MAP_SHARED the file's shared copy in the
 * platform's shared memory (mm/filecache.ts); the Sentry never maps host files.
 */
/** MAP_SHARED|MAP_ANONYMOUS: the host mapping is shared too, so forked processes share the pages. */
function sharedAnon(v: Vma): boolean {
  return v.backing.kind === 'shmem';
}

/** Names each MAP_SHARED|MAP_ANONYMOUS object (unique in the Sentry: futex keys compare them across processes). */
let nextShmemId = 1;

function anonBacking(shared: boolean): Backing {
  return shared ? { kind: 'shmem', id: nextShmemId++, offset: 0 } : { kind: 'anon' };
}

export class MemoryManager {
  readonly vmas = new VmaSet();
  /** Top of the mapped main stack; the mmap area grows down from mmapBase. */
  readonly stackTop: number;
  readonly stackSize: number;
  readonly mmapBase: number;
  startBrk = 0;
  brkEnd = 0;
  layout: ImageLayout = { startCode: 0, endCode: 0, startData: 0, endData: 0, startStack: 0, argStart: 0, argEnd: 0, envStart: 0, envEnd: 0 };
  /** The auxiliary vector given to the current image (/proc/[pid]/auxv). */
  auxv: ReadonlyArray<readonly [number, number]> = [];
  /** Shared file copies this address space maps (each counted once as a user). */
  private readonly caches = new Set<CachedFile>();
  /**
   * A fork's child: the bytes of the parent's charged areas at the fork,
   * whose pages the two share copy-on-write (a memory limit charges those
   * once, to the parent: sentry/pod/memory.ts). 0 for a fresh image.
   */
  inheritedBytes = 0;
  /**
   * Areas of each System V segment mapped here, as last reported to the
   * segment (its shm_nattch counts areas: mm/shmattach.ts).
   */
  private shmAreas = new Map<ShmTarget, number>();
  /** The pid a segment records as the last to attach or detach through this address space (shm_lpid). */
  shmPid = 0;
  /** membarrier(2): the REGISTER_* commands this address space made (a fork's copy keeps them, an exec's new one has none). */
  membarrierRegistrations = 0;

  /**
   * @param taskSize first address the application may not use (Linux's
   *   TASK_SIZE; the platform's reserved area starts there).
   * @param stackRlimit RLIMIT_STACK soft limit, which sizes the stack/mmap gap.
   * @param randomization the image's random offsets (ASLR); none without.
   */
  constructor(
    public as: AddressSpace,
    public io: MemoryIO,
    readonly taskSize: number,
    private readonly stackRlimit = 8n << 20n,
    readonly randomization?: Randomization,
  ) {
    const l = stackAndMmapLayout(taskSize, stackRlimit, randomization);
    this.stackTop = l.stackTop;
    this.stackSize = l.stackSize;
    this.mmapBase = l.mmapBase;
  }

  /**
   * Host changes to a shared address space must be injected through a
   * stopped thread: the dispatcher points the mm at the calling task's
   * context before each syscall.
   */
  useContext(ctx: { as: AddressSpace; mem: MemoryIO }): void {
    this.as = ctx.as;
    this.io = ctx.mem;
  }

  /**
   * fork(2): the same areas, heap and layout over the child's address space,
   * which the platform has already copied (copy-on-write) on the host.
   * Vmas are immutable values, so the child's set can share them.
   */
  fork(as: AddressSpace, io: MemoryIO, childPid = 0): MemoryManager {
    const child = new MemoryManager(as, io, this.taskSize, this.stackRlimit, this.randomization);
    child.shmPid = childPid;
    for (const v of this.vmas.all()) child.vmas.insert(v);
    child.startBrk = this.startBrk;
    child.brkEnd = this.brkEnd;
    child.layout = { ...this.layout };
    child.auxv = this.auxv;
    child.membarrierRegistrations = this.membarrierRegistrations;
    for (const v of this.chargedAreas()) child.inheritedBytes += v.end - v.start;
    for (const c of this.caches) {
      c.users++;
      child.caches.add(c);
    }
    // The child's copies of attached segments count as attachments, made by the forking process (as shm_open in dup_mmap).
    for (const [seg, n] of this.shmAreas) {
      child.shmAreas.set(seg, n);
      seg.attached(n, this.shmPid);
    }
    return child;
  }

  /** mmap(2). Returns the mapped address. */
  mmap(r: MmapRequest): number {
    if (r.offset % BigInt(PAGE_SIZE) !== 0n) fail('EINVAL', 'mmap offset not page aligned');
    const type = r.flags & MAP.TYPE;
    if (type === MAP.SHARED_VALIDATE && (r.flags & ~MAP_SHARED_VALIDATE_KNOWN) !== 0) fail('EOPNOTSUPP', 'unknown mmap flags');
    if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) fail('EINVAL', 'mmap type');
    if (r.len === 0) fail('EINVAL', 'mmap length 0');
    if (r.len > this.taskSize) fail('ENOMEM', 'mmap length');
    if ((r.flags & MAP.SYNC) !== 0 && type === MAP.SHARED_VALIDATE) fail('EOPNOTSUPP', 'MAP_SYNC needs DAX');
    if ((r.flags & MAP.HUGETLB) !== 0) fail('ENOMEM', 'no huge pages reserved');
    const size = pageUp(r.len);
    const shared = type !== MAP.PRIVATE;
    const anon = (r.flags & MAP.ANONYMOUS) !== 0;
    const file = anon ? undefined : this.checkFileMapping(r, size, shared);
    const addr = this.place(r.addr, size, r.flags);
    const cache = file?.cacheKey === undefined ? undefined : this.useCache(file.cacheKey, file.fd);
    const image = file === undefined || shared ? undefined : this.imageOf(file.fd, Number(r.offset), size);
    const v: Vma = {
      start: addr,
      end: addr + size,
      prot: r.prot & PROT_RWX,
      maxProt: file !== undefined && shared && !file.writable ? PROT.READ | PROT.EXEC : PROT_RWX,
      shared,
      growsDown: (r.flags & MAP.GROWSDOWN) !== 0,
      backing: file === undefined ? anonBacking(shared) : cache === undefined ? file.backing : { ...file.backing, cache: cache.id },
    };
    try {
      const copy = file === undefined || cache !== undefined || image !== undefined ? undefined : () => this.copyFromFile(file.fd, Number(r.offset), addr, size);
      this.mapArea(v, copy, image);
    } finally {
      this.dropUnusedCaches();
    }
    return addr;
  }

  /**
   * Linux's file checks for mmap: a readable fd, a regular file, offsets
   * within MAX_LFS_FILESIZE. MAP_SHARED through a description open for
   * reading and writing (not O_APPEND) maps the file's shared copy
   * (mm/filecache.ts); so does a read-only MAP_SHARED mapping of a file that
   * has one. Other MAP_SHARED mappings are private copies that can never
   * become writable. Without shared memory in the platform, or beyond what
   * the copy holds, a writable MAP_SHARED mapping fails with ENODEV, as for
   * a file system without shared mmap support.
   */
  private checkFileMapping(r: MmapRequest, size: number, shared: boolean): { fd: FileDescription; backing: FileBacking; writable: boolean; cacheKey?: string } {
    const fd = r.file ?? fail('EBADF', 'mmap without a file');
    const acc = fd.flags & O.ACCMODE;
    // A write-sealed file (memfd) maps shared read-only and never becomes writable (seal_check_write).
    const sealed = fd instanceof InodeFile && ((fd.inode.seals ?? 0) & (F_SEAL.WRITE | F_SEAL.FUTURE_WRITE)) !== 0;
    const writableFd = shared && acc === O.RDWR && (fd.flags & O.APPEND) === 0 && !sealed;
    const wantsWrite = shared && (r.prot & PROT.WRITE) !== 0;
    if (wantsWrite && sealed) fail('EPERM', 'shared writable mapping of a write-sealed file');
    if (wantsWrite && !writableFd) fail('EACCES', 'shared writable mapping of a read-only fd');
    if (acc === O.WRONLY) fail('EACCES', 'mmap of a write-only fd');
    const st = fd.stat();
    if ((st.mode & S_IFMT) !== S_IFREG) fail('ENODEV', 'only regular files can be mapped');
    if (r.offset + BigInt(size) > MAX_FILE_OFFSET) fail('EOVERFLOW', 'mmap offset');
    const backing: FileBacking = { kind: 'file', path: fd.path, offset: Number(r.offset), dev: st.dev, ino: st.ino };
    const key = cacheKey(st.dev, st.ino);
    const mem = this.as.sharedMemory;
    const fits = mem !== undefined && r.offset + BigInt(size) <= BigInt(mem.slotSize) && fd instanceof InodeFile;
    const cached = shared && fits && (writableFd || findCached(key) !== undefined);
    if (wantsWrite && !cached) fail('ENODEV', 'this MAP_SHARED file mapping is not supported');
    return { fd, backing, writable: cached && writableFd, cacheKey: cached ? key : undefined };
  }

  /**
   * Where the shared memory holds bytes [offset, offset+len) of the file
   * `fd` reads, when they can never change (mm/imagecache.ts): a private
   * mapping maps them copy-on-write instead of copying them.
   */
  imageOf(fd: FileDescription, offset: number, len: number): number | undefined {
    const mem = this.as.sharedMemory;
    if (mem === undefined || this.as.mapPrivateMemory === undefined || !(fd instanceof InodeFile)) return undefined;
    const source = fd.inode.immutableSource();
    if (source === undefined || offset + len > mem.slotSize) return undefined;
    const base = imageOffset(mem, source, source.stat().size);
    return base === undefined ? undefined : base + offset;
  }

  /** The shared copy for a new mapping; this address space becomes a user if it was not one. */
  private useCache(key: string, fd: FileDescription): CachedFile {
    const mem = this.as.sharedMemory;
    if (mem === undefined || !(fd instanceof InodeFile)) return fail('ENODEV', 'no shared memory');
    const existing = findCached(key);
    if (existing !== undefined && this.caches.has(existing)) return existing;
    const c = acquireCached(key, mem, fd.inode);
    this.caches.add(c);
    return c;
  }

  /** Lets go of the shared copies no area maps any more (the last user writes back); reports segment (de)attachments. */
  private dropUnusedCaches(): void {
    this.syncShm();
    if (this.caches.size === 0) return;
    const used = new Set<number>();
    for (const v of this.vmas.all()) if (v.backing.kind === 'file' && v.backing.cache !== undefined) used.add(v.backing.cache);
    for (const c of [...this.caches]) {
      if (used.has(c.id)) continue;
      this.caches.delete(c);
      releaseCached(c);
    }
  }

  /** The address space is gone (its process exited): its shared copies lose a user, its segments their attachments. */
  releaseCaches(): void {
    for (const c of this.caches) releaseCached(c);
    this.caches.clear();
    const areas = this.shmAreas;
    this.shmAreas = new Map();
    for (const [seg, n] of areas) seg.attached(-n, this.shmPid);
  }

  /**
   * Recounts the areas of each System V segment and reports the change to
   * the segment (shm_open/shm_close per area in Linux). `force` when an
   * area was just attached; otherwise only address spaces with
   * attachments pay for the walk.
   */
  private syncShm(force = false): void {
    if (this.shmAreas.size === 0 && !force) return;
    const now = new Map<ShmTarget, number>();
    for (const v of this.vmas.all()) if (v.backing.kind === 'sysvshm') now.set(v.backing.seg, (now.get(v.backing.seg) ?? 0) + 1);
    const old = this.shmAreas;
    this.shmAreas = now;
    for (const [seg, n] of now) if (n !== (old.get(seg) ?? 0)) seg.attached(n - (old.get(seg) ?? 0), this.shmPid);
    for (const [seg, n] of old) if (!now.has(seg)) seg.attached(-n, this.shmPid);
  }

  /**
   * shmat(2)'s mapping of `seg` (the checks of the segment and the
   * address's SHMLBA rounding are the caller's): MAP_SHARED of the
   * segment's slot in the platform's shared memory, so every process that
   * attaches it shares the pages. `addr` 0 picks a free range; otherwise
   * the range is mapped at `addr`, over existing mappings only with
   * `remap` (SHM_REMAP; else EINVAL). A read-only attachment can never be
   * made writable (mprotect: EACCES).
   */
  attachShm(seg: ShmTarget, addr: number, prot: number, remap: boolean): number {
    if (this.as.mapSharedMemory === undefined) fail('ENOMEM', 'no shared memory in this platform');
    const size = pageUp(seg.size);
    if (addr !== 0 && size > this.taskSize - addr) fail('ENOMEM', 'shmat range beyond the address space');
    if (addr !== 0 && !remap && !this.vmas.isFree(addr, addr + size)) fail('EINVAL', 'shmat over an existing mapping without SHM_REMAP');
    const start = this.place(addr, size, addr !== 0 ? MAP.FIXED : 0);
    const writable = (prot & PROT.WRITE) !== 0;
    const v: Vma = {
      start,
      end: start + size,
      prot,
      maxProt: writable ? PROT_RWX : PROT.READ | PROT.EXEC,
      shared: true,
      growsDown: false,
      backing: { kind: 'sysvshm', seg, offset: 0 },
    };
    try {
      this.mapArea(v);
      this.syncShm(true);
    } finally {
      this.dropUnusedCaches();
    }
    return start;
  }

  /**
   * shmdt(2): the area at `addr` whose segment offset is its distance from
   * `addr` names the segment (normally the attachment's first page); every
   * area of that segment within the segment's size from `addr` is
   * unmapped. EINVAL when there is none (do_shmdt).
   */
  detachShm(addr: number): void {
    if (!isPageAligned(addr)) fail('EINVAL', 'shmdt address not page aligned');
    let seg: ShmTarget | undefined;
    for (const v of this.vmas.overlapping(addr, this.taskSize)) {
      if (v.backing.kind === 'sysvshm' && v.start - addr === v.backing.offset) {
        seg = v.backing.seg;
        break;
      }
    }
    if (seg === undefined) fail('EINVAL', 'no attached segment at this address');
    const end = Math.min(this.taskSize, addr + pageUp(seg.size));
    for (const v of this.vmas.overlapping(addr, end)) {
      if (v.backing.kind !== 'sysvshm' || v.backing.seg !== seg) continue;
      this.vmas.remove(v.start, v.end);
      this.as.unmap(v.start, v.end - v.start);
    }
    this.dropUnusedCaches();
  }

  /** Where a new mapping of `size` bytes goes (get_unmapped_area + MAP_FIXED rules). */
  private place(hint: number, size: number, flags: number): number {
    if ((flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0) {
      if (!isPageAligned(hint)) fail('EINVAL', 'MAP_FIXED address not page aligned');
      if (hint > this.taskSize - size) fail('ENOMEM', 'MAP_FIXED beyond the address space');
      if (hint < MMAP_MIN_ADDR) fail('EPERM', 'MAP_FIXED below mmap_min_addr');
      if ((flags & MAP.FIXED) === 0 && !this.vmas.isFree(hint, hint + size)) fail('EEXIST', 'MAP_FIXED_NOREPLACE over a mapping');
      return hint;
    }
    if (hint !== 0) {
      const h = pageUp(Math.max(pageDown(hint), MMAP_MIN_ADDR));
      if (h <= this.taskSize - size && this.vmas.isFree(h, h + size)) return h;
    }
    if ((flags & MAP.BIT32) !== 0) return this.vmas.gapTopDown(size, MAP_32BIT_LOW, MAP_32BIT_HIGH) ?? fail('ENOMEM', 'MAP_32BIT');
    return this.findFree(size);
  }

  /** A free range below the mmap base, else anywhere below the limit (top-down). */
  findFree(size: number): number {
    return (
      this.vmas.gapTopDown(size, MMAP_MIN_ADDR, this.mmapBase) ??
      this.vmas.gapTopDown(size, MMAP_MIN_ADDR, this.taskSize) ??
      fail('ENOMEM', `no room for ${size} bytes`)
    );
  }

  /**
   * Maps `v` fresh (replacing whatever was there, like MAP_FIXED). With
   * `fill`, the memory is first mapped writable, filled, then given its
   * protection, since MemoryIO honours page protections. With `image` (an
   * offset from imageOf), a private file mapping maps that copy.
   */
  mapArea(v: Vma, fill?: () => void, image?: number): void {
    const len = v.end - v.start;
    this.vmas.remove(v.start, v.end);
    const writable = fill !== undefined ? PROT.READ | PROT.WRITE : v.prot;
    const b = v.backing;
    if (b.kind === 'file' && b.cache !== undefined) this.as.mapSharedMemory?.(v.start, len, v.prot, cachedById(b.cache).slot + b.offset);
    else if (b.kind === 'sysvshm') this.as.mapSharedMemory?.(v.start, len, v.prot, b.seg.slot + b.offset);
    else if (b.kind === 'vdso' && b.name === '[vvar]') this.as.mapSharedMemory?.(v.start, len, v.prot, b.offset); // the Sentry's updates show
    else if (b.kind === 'vdso') this.as.mapPrivateMemory?.(v.start, len, v.prot, b.offset);
    else if (image !== undefined && this.as.mapPrivateMemory) this.as.mapPrivateMemory(v.start, len, writable, image);
    else this.as.mapAnonymous(v.start, len, writable, sharedAnon(v));
    this.vmas.insert(v);
    if (fill === undefined) return;
    try {
      fill();
    } catch (e) {
      this.unmapRange(v.start, v.end);
      throw e;
    }
    if (v.prot !== writable) this.as.protect(v.start, len, v.prot);
  }

  /** Copies file bytes [offset, offset+len) to addr; bytes past EOF stay zero. */
  copyFromFile(fd: FileDescription, offset: number, addr: number, len: number): void {
    const buf = pageAlignedBuffer(Math.min(len, COPY_CHUNK));
    for (let done = 0; done < len; ) {
      const want = buf.subarray(0, Math.min(buf.length, len - done));
      const n = fd.pread(want, offset + done);
      if (n <= 0) return;
      this.io.write(addr + done, want.subarray(0, n));
      done += n;
    }
  }

  private unmapRange(start: number, end: number): void {
    if (this.vmas.remove(start, end).length > 0) this.as.unmap(start, end - start);
    this.dropUnusedCaches();
  }

  /** Unmaps the whole application range (execve). */
  unmapAll(): void {
    this.vmas.remove(0, this.taskSize);
    this.as.unmap(0, this.taskSize);
    this.dropUnusedCaches();
  }

  /** munmap(2). Unmapping unmapped pages succeeds. */
  munmap(addr: number, len: number): void {
    if (!isPageAligned(addr) || addr > this.taskSize || len > this.taskSize - addr) fail('EINVAL', 'munmap range');
    if (len === 0) fail('EINVAL', 'munmap length 0');
    this.unmapRange(addr, addr + pageUp(len));
  }

  /**
   * mprotect(2). PROT_GROWSDOWN extends the change to the start of a
   * MAP_GROWSDOWN area; PROT_GROWSUP is EINVAL (x86 has no grows-up areas).
   */
  mprotect(addr: number, len: number, prot: number): void {
    if ((prot & PROT.GROWSDOWN) !== 0 && (prot & PROT.GROWSUP) !== 0) fail('EINVAL', 'both GROWSDOWN and GROWSUP');
    if (!isPageAligned(addr)) fail('EINVAL', 'mprotect address not page aligned');
    if ((prot & ~(PROT_RWX | PROT.SEM | PROT.GROWSDOWN | PROT.GROWSUP)) !== 0) fail('EINVAL', 'unknown prot bits');
    if (len === 0) return;
    if (len > this.taskSize - addr) fail('ENOMEM', 'mprotect range');
    let start = addr;
    const end = addr + pageUp(len);
    if ((prot & PROT.GROWSUP) !== 0) fail('EINVAL', 'PROT_GROWSUP');
    if ((prot & PROT.GROWSDOWN) !== 0) {
      const v = this.vmas.find(start) ?? fail('ENOMEM', 'mprotect unmapped');
      if (!v.growsDown) fail('EINVAL', 'PROT_GROWSDOWN on a non-growsdown mapping');
      start = v.start;
    }
    const newProt = prot & PROT_RWX;
    // As Linux, area by area from the start: a hole (ENOMEM) or an area that
    // cannot take the protection (EACCES) ends the change, what came before keeps it.
    let done = start;
    let error: 'ENOMEM' | 'EACCES' | undefined;
    for (const v of this.vmas.overlapping(start, end)) {
      if (v.start > done) error = 'ENOMEM';
      else if ((newProt & ~v.maxProt) !== 0) error = 'EACCES';
      if (error) break;
      done = Math.min(v.end, end);
    }
    if (!error && done < end) error = 'ENOMEM';
    if (done > start) {
      this.as.protect(start, done - start, newProt);
      this.vmas.update(start, done, (p) => ({ ...p, prot: newProt }));
      this.syncShm();
    }
    if (error) fail(error, error === 'ENOMEM' ? 'mprotect over unmapped pages' : 'protection exceeds what the mapping allows');
  }

  /**
   * mremap(2): shrink in place, grow in place when the pages after the area
   * are free, else move (MREMAP_MAYMOVE) with the host's mremap, or to a
   * chosen address (MREMAP_FIXED). MREMAP_DONTUNMAP leaves the old range
   * mapped with fresh zero pages (private anonymous semantics). A fixed
   * move without resizing may take several areas and holes (moveAreas). Not supported:
   * old_len 0 (duplicating shared mappings; EINVAL as for private mappings)
   * and growing a file-backed mapping (ENOMEM: the copy has no file behind it).
   */
  mremap(oldAddr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    if ((flags & ~(MREMAP.MAYMOVE | MREMAP.FIXED | MREMAP.DONTUNMAP)) !== 0) fail('EINVAL', 'mremap flags');
    const mayMove = (flags & MREMAP.MAYMOVE) !== 0;
    if ((flags & MREMAP.FIXED) !== 0 && !mayMove) fail('EINVAL', 'MREMAP_FIXED without MREMAP_MAYMOVE');
    const dontUnmap = (flags & MREMAP.DONTUNMAP) !== 0;
    if (dontUnmap && (!mayMove || oldLen !== newLen)) fail('EINVAL', 'MREMAP_DONTUNMAP');
    if (!isPageAligned(oldAddr)) fail('EINVAL', 'mremap address not page aligned');
    if (newLen === 0) fail('EINVAL', 'mremap new length 0');
    if (oldLen === 0) fail('EINVAL', 'mremap old_len 0 (no shared mappings)');
    if (oldLen > this.taskSize) fail('EFAULT', 'mremap old length beyond the address space');
    if (newLen > this.taskSize) fail((flags & MREMAP.FIXED) !== 0 ? 'EINVAL' : 'ENOMEM', 'mremap new length');
    const oldSize = pageUp(oldLen);
    const newSize = pageUp(newLen);
    if ((flags & MREMAP.FIXED) !== 0) {
      const target = this.checkFixedTarget(oldAddr, oldSize, newSize, newAddr);
      if (!dontUnmap && oldSize === newSize) return this.moveAreas(oldAddr, oldSize, target);
      return this.moveTo(oldAddr, oldSize, newSize, target, dontUnmap);
    }
    if (dontUnmap) {
      const v = this.resizable(oldAddr, oldSize, newSize);
      return this.moveTo(oldAddr, oldSize, newSize, this.findFree(newSize), dontUnmap, v);
    }
    if (oldSize >= newSize) {
      // Linux looks up the area at oldAddr first (EFAULT in a hole); the dropped tail may span several, or holes.
      if (this.vmas.find(oldAddr) === undefined) fail('EFAULT', 'mremap of unmapped memory');
      if (oldSize > newSize) this.unmapRange(oldAddr + newSize, oldAddr + oldSize);
      return oldAddr;
    }
    const v = this.resizable(oldAddr, oldSize, newSize);
    const oldEnd = oldAddr + oldSize;
    const newEnd = oldAddr + newSize;
    if (oldEnd === v.end && newEnd <= this.taskSize && this.vmas.isFree(oldEnd, newEnd)) {
      // The host mapping grows as one: a separately mapped extension would be a second host area
      // (a moved area never merges with new neighbours), and a later move of both would fail.
      this.as.remap(oldAddr, oldSize, newSize, oldAddr);
      this.vmas.insert(clip(v, oldEnd, newEnd));
      return oldAddr;
    }
    if (!mayMove) fail('ENOMEM', 'mremap cannot grow in place');
    return this.moveTo(oldAddr, oldSize, newSize, this.findFree(newSize), false, v);
  }

  /**
   * A move to a fixed place without resizing: as Linux since 6.17, the
   * range may span several areas and holes (but must start in an area);
   * each area's part moves to the same offset from `target`, so holes stay
   * holes. The vDSO's areas move only alone.
   */
  private moveAreas(oldAddr: number, size: number, target: number): number {
    const end = oldAddr + size;
    const areas = this.vmas.overlapping(oldAddr, end);
    if (areas.length === 0 || areas[0].start > oldAddr) fail('EFAULT', 'mremap of unmapped memory');
    if (areas.length === 1 && areas[0].end >= end) return this.moveTo(oldAddr, size, size, target, false);
    if (areas.some((v) => v.backing.kind === 'vdso')) fail('EFAULT', 'mremap range spans the vDSO and other areas');
    for (const { start, end: areaEnd } of areas) {
      const from = Math.max(start, oldAddr);
      const len = Math.min(areaEnd, end) - from;
      this.moveTo(from, len, len, target + (from - oldAddr), false);
    }
    return target;
  }

  private checkFixedTarget(oldAddr: number, oldSize: number, newSize: number, newAddr: number): number {
    if (!isPageAligned(newAddr)) fail('EINVAL', 'mremap new address not page aligned');
    if (newSize > this.taskSize || newAddr > this.taskSize - newSize) fail('EINVAL', 'mremap target beyond the address space');
    if (newAddr < oldAddr + oldSize && oldAddr < newAddr + newSize) fail('EINVAL', 'mremap ranges overlap');
    if (newAddr < MMAP_MIN_ADDR) fail('EPERM', 'mremap target below mmap_min_addr');
    return newAddr;
  }

  /** The area holding [addr, addr+oldSize), checked the way vma_to_resize does. */
  private resizable(addr: number, oldSize: number, newSize: number): Vma {
    const v = this.vmas.find(addr) ?? fail('EFAULT', 'mremap of unmapped memory');
    if (oldSize > v.end - addr) fail('EFAULT', 'mremap range spans areas');
    if (newSize > oldSize && (v.backing.kind === 'file' || v.backing.kind === 'sysvshm' || v.backing.kind === 'vdso')) {
      fail('ENOMEM', 'growing a file-backed, SysV shm or vDSO mapping is not supported');
    }
    return v;
  }

  private moveTo(oldAddr: number, oldSize: number, newSize: number, target: number, dontUnmap: boolean, checked?: Vma): number {
    const v = checked ?? this.resizable(oldAddr, Math.min(oldSize, newSize), newSize);
    if (oldSize > newSize) {
      this.unmapRange(oldAddr + newSize, oldAddr + oldSize);
      oldSize = newSize;
    }
    const [piece] = this.vmas.remove(oldAddr, oldAddr + oldSize);
    this.vmas.remove(target, target + newSize);
    this.as.remap(oldAddr, oldSize, newSize, target);
    this.vmas.insert({ ...piece, start: target, end: target + newSize });
    if (dontUnmap && piece.backing.kind === 'sysvshm') this.mapArea(piece); // the old range still shows the segment
    else if (dontUnmap) {
      this.as.mapAnonymous(oldAddr, oldSize, v.prot);
      this.vmas.insert(piece);
    }
    this.syncShm();
    return target;
  }

  /** Sets where the heap starts (just after the loaded image). */
  setBrkStart(addr: number): void {
    this.startBrk = addr;
    this.brkEnd = addr;
  }

  /**
   * brk(2): returns the new break, or the current one when the request is
   * below the heap start or the pages (plus a guard page) are not free.
   */
  brk(addr: number): number {
    if (addr < this.startBrk || addr > this.taskSize) return this.brkEnd;
    const oldTop = pageUp(this.brkEnd);
    const newTop = pageUp(addr);
    if (newTop < oldTop) this.unmapRange(newTop, oldTop);
    else if (newTop > oldTop) {
      if (newTop + PAGE_SIZE > this.taskSize || !this.vmas.isFree(oldTop, newTop + PAGE_SIZE)) return this.brkEnd;
      this.mapArea({ start: oldTop, end: newTop, prot: PROT.READ | PROT.WRITE, maxProt: PROT_RWX, shared: false, growsDown: false, backing: { kind: 'heap' } });
    }
    this.brkEnd = addr;
    return addr;
  }

  /**
   * mbind(2)'s change of [start, end) (page-aligned): each area in it gets
   * `policy` (none: MPOL_DEFAULT, the task's again); EFAULT, changing
   * nothing, when part of the range is not mapped.
   */
  setPolicy(start: number, end: number, policy: MemPolicy | undefined): void {
    if (end > this.taskSize || !this.vmas.isCovered(start, end)) fail('EFAULT', 'mbind over unmapped pages');
    this.vmas.update(start, end, (v) => ({ ...v, policy }));
  }

  /** The area policy get_mempolicy(MPOL_F_ADDR) reports for `addr` (undefined: default); EFAULT where nothing is mapped. */
  policyAt(addr: number): { policy: MemPolicy | undefined; accessible: boolean } {
    const v = this.vmas.find(addr) ?? fail('EFAULT', 'get_mempolicy of an unmapped address');
    return { policy: v.policy, accessible: v.prot !== PROT.NONE };
  }

  /**
   * How many bytes from `addr` on (at most `len`) the app's areas let the
   * kernel write: those a read(2) may fill. Reads look first, so that data
   * a read could not store is left where it was (Linux consumes nothing
   * from a pipe or a stream socket, and moves no file position, for bytes
   * it could not copy).
   */
  writableLength(addr: number, len: number): number {
    let at = addr;
    const end = addr + len;
    for (const v of this.vmas.overlapping(addr, end)) {
      if (v.start > at || (v.prot & PROT.WRITE) === 0) break;
      at = v.end;
    }
    return Math.max(0, Math.min(at, end) - addr);
  }

  /** Checks a [addr, addr+len) range argument as madvise/msync/mincore do; returns the page-rounded end. */
  private rangeEnd(addr: number, len: number, overflow: 'EINVAL' | 'ENOMEM'): number {
    if (!isPageAligned(addr)) fail('EINVAL', 'address not page aligned');
    if (len > this.taskSize) fail(overflow, 'length');
    return addr + pageUp(len);
  }

  /**
   * madvise(2). MADV_DONTNEED re-zeroes private anonymous pages (shared
   * ones keep their contents, as Linux's shared memory object does);
   * MADV_REMOVE on MAP_SHARED anonymous memory zeroes this mapping only
   * (copies in forked processes keep theirs). Not supported: dropping the private
   * copy of a file mapping (its contents are kept). MADV_RANDOM,
   * MADV_SEQUENTIAL and MADV_NORMAL mark the areas (Vma.readAhead); other
   * known advice is a hint and accepted. As Linux, advice over a range with
   * holes applies to what is mapped and then fails with ENOMEM.
   */
  madvise(addr: number, len: number, advice: number): void {
    if (!isPageAligned(addr)) fail('EINVAL', 'madvise address not page aligned');
    if (!KNOWN_ADVICE.has(advice)) fail('EINVAL', `madvise advice ${advice}`);
    if (advice === MADV.HWPOISON || advice === MADV.SOFT_OFFLINE) fail('EPERM', 'memory poisoning');
    const end = this.rangeEnd(addr, len, 'EINVAL');
    if (end === addr) return;
    const areas = this.vmas.overlapping(addr, end);
    if (advice === MADV.REMOVE && areas.some((v) => !v.shared || v.backing.kind === 'file')) fail('EINVAL', 'MADV_REMOVE needs shared memory');
    if (advice === MADV.FREE && areas.some((v) => v.backing.kind === 'file' || v.shared)) fail('EINVAL', 'MADV_FREE needs private anonymous memory');
    if (advice === MADV.DONTNEED || advice === MADV.DONTNEED_LOCKED || advice === MADV.REMOVE) {
      for (const v of areas) {
        // SysV segments keep their contents (MADV_REMOVE's hole punch in the segment is not supported).
        if (v.backing.kind === 'file' || v.backing.kind === 'sysvshm' || (sharedAnon(v) && advice !== MADV.REMOVE)) continue;
        const s = Math.max(v.start, addr);
        const e = Math.min(v.end, end);
        this.as.mapAnonymous(s, e - s, v.prot);
      }
    }
    const readAhead = READ_AHEAD.get(advice);
    if (readAhead !== undefined) this.vmas.update(addr, end, (v) => ({ ...v, readAhead: readAhead === 'normal' ? undefined : readAhead }));
    if (!this.vmas.isCovered(addr, end)) fail('ENOMEM', 'madvise over unmapped pages');
  }

  /**
   * msync(2): the shared file copies in the range are written back to their
   * files (whole, for MS_SYNC and MS_ASYNC alike); private copies have
   * nothing to write.
   */
  msync(addr: number, len: number, flags: number): void {
    if ((flags & ~(MS.ASYNC | MS.INVALIDATE | MS.SYNC)) !== 0) fail('EINVAL', 'msync flags');
    if (!isPageAligned(addr)) fail('EINVAL', 'msync address not page aligned');
    if ((flags & MS.ASYNC) !== 0 && (flags & MS.SYNC) !== 0) fail('EINVAL', 'MS_ASYNC and MS_SYNC');
    const end = this.rangeEnd(addr, len, 'ENOMEM');
    if (!this.vmas.isCovered(addr, end)) fail('ENOMEM', 'msync over unmapped pages');
    const ids = new Set<number>();
    for (const v of this.vmas.overlapping(addr, end)) if (v.backing.kind === 'file' && v.backing.cache !== undefined) ids.add(v.backing.cache);
    for (const id of ids) cachedById(id).writeBack();
  }

  /** mincore(2): one byte per page; every mapped page is reported resident. */
  mincore(addr: number, len: number): Uint8Array {
    const end = this.rangeEnd(addr, len, 'ENOMEM');
    if (end > this.taskSize || !this.vmas.isCovered(addr, end)) fail('ENOMEM', 'mincore over unmapped pages');
    return new Uint8Array((end - addr) / PAGE_SIZE).fill(1);
  }

  /**
   * mlock(2)/munlock(2)/mlock2(2): succeed on mapped ranges (the host keeps
   * the memory; RLIMIT_MEMLOCK is not accounted).
   */
  mlock(addr: number, len: number, flags = 0): void {
    if ((flags & ~MLOCK_ONFAULT) !== 0) fail('EINVAL', 'mlock2 flags');
    const start = pageDown(addr);
    if (start > this.taskSize || len > this.taskSize - start) fail('ENOMEM', 'mlock range');
    const end = start + pageUp(len + (addr - start));
    if (!this.vmas.isCovered(start, end)) fail('ENOMEM', 'mlock over unmapped pages');
  }

  /** mlockall(2): validates flags; locking is not accounted. */
  mlockall(flags: number): void {
    if (flags === 0 || (flags & ~(MCL.CURRENT | MCL.FUTURE | MCL.ONFAULT)) !== 0 || flags === MCL.ONFAULT) fail('EINVAL', 'mlockall flags');
  }

  /** /proc/[pid]/maps text. */
  procMaps(): string {
    return this.vmas.all().map(formatMapsLine).join('');
  }

  /**
   * The areas a container's memory limit charges (kernel/memcg.ts): every
   * accessible mapping but those of files that stay read-only, which Linux
   * charges as page cache once, not per process (program text, ld.so's
   * libraries: here copies, or the image cache's pages that mincore would
   * report present in every process mapping them), the shared copies
   * of MAP_SHARED files, attached System V segments (shared memory) and
   * the vDSO's pages (the Sentry's). Their total bounds what the process
   * can have resident.
   */
  chargedAreas(): Vma[] {
    return this.vmas.all().filter((v) => v.prot !== PROT.NONE && v.backing.kind !== 'sysvshm' && v.backing.kind !== 'vdso' && !(v.backing.kind === 'file' && (v.backing.cache !== undefined || (v.prot & PROT.WRITE) === 0)));
  }

  usage(): MemoryUsage {
    const { startCode, endCode } = this.layout;
    // The code's pages, as Linux counts VmExe.
    const exe = endCode > startCode ? pageUp(endCode) - pageDown(startCode) : 0;
    const u: MemoryUsage = { size: 0, data: 0, stack: 0, exe };
    for (const v of this.vmas.all()) {
      const len = v.end - v.start;
      u.size += len;
      if (v.backing.kind === 'stack' || v.growsDown) u.stack += len;
      else if ((v.prot & PROT.WRITE) !== 0 && !v.shared) u.data += len;
    }
    return u;
  }
}
