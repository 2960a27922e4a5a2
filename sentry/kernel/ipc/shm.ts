/**
 * System V shared memory segments of one IPC namespace (one per kernel, so
 * a pod's containers share it, as a Kubernetes pod's IPC namespace): keys,
 * ids, permissions and limits as Linux's ipc/shm.c and ipc/util.c decide
 * them. Pure logic: memory comes from a SharedMemory slot per segment, and
 * the syscalls (syscalls/shm.ts) map it through the memory manager, which
 * reports attachments back (mm/shmattach.ts).
 *
 * Not modelled: kernel.shm_rmid_forced (segments outlive their creator as
 * with its default 0), swapping, SHM_HUGETLB/SHM_NORESERVE (accepted, no effect),
 * segments larger than a shared memory slot (1 GiB: ENOMEM).
 */
import { SHM, SHMMIN } from '../../abi/linux/ipc';
import { PAGE_SIZE } from '../../abi/linux/mm';
import { fail } from '../../errors/linuxerr';
import type { ShmTarget } from '../../mm/shmattach';
import type { SharedMemory } from '../../platform/platform';
import { type IpcCreds, ipcGet, ipcId, IpcIds, type IpcObject, type IpcPerm, newPerm } from './ipc';

/** The namespace's limits (kernel.shmmax, kernel.shmall in pages, kernel.shmmni). */
export interface ShmLimits {
  shmmax: bigint;
  shmall: bigint;
  shmmni: number;
}

let nextUid = 1;

export class ShmSegment implements ShmTarget, IpcObject {
  readonly uid = nextUid++;
  nattch = 0;
  atime = 0;
  dtime = 0;
  ctime: number;
  lpid = 0;

  constructor(
    private readonly ns: ShmNamespace,
    readonly index: number,
    readonly perm: IpcPerm,
    readonly size: number,
    readonly cpid: number,
    readonly mem: SharedMemory,
    readonly slot: number,
    readonly nameKey: number,
  ) {
    this.ctime = ns.now();
  }

  get id(): number {
    return ipcId(this);
  }

  get pages(): number {
    return Math.ceil(this.size / PAGE_SIZE);
  }

  /** Pages of the segment that hold memory (shm_rss), or every page when the platform cannot tell. */
  get residentPages(): number {
    const bytes = this.mem.residentBytes?.(this.slot, this.pages * PAGE_SIZE);
    return bytes === undefined ? this.pages : Math.ceil(bytes / PAGE_SIZE);
  }

  get destroyed(): boolean {
    return (this.perm.mode & SHM.DEST) !== 0;
  }

  attached(delta: number, pid: number): void {
    this.nattch += delta;
    this.lpid = pid;
    if (delta > 0) this.atime = this.ns.now();
    else this.dtime = this.ns.now();
    if (this.nattch <= 0 && this.destroyed) this.ns.destroy(this);
  }
}

export interface NewSegment {
  key: number;
  size: number;
  flags: number;
  pid: number;
  creds: IpcCreds;
  mem: SharedMemory;
}

export class ShmNamespace {
  private readonly ids = new IpcIds<ShmSegment>('segment');
  /** Pages of every segment (shm_tot), checked against kernel.shmall. */
  totalPages = 0;

  constructor(
    readonly limits: () => ShmLimits,
    /** Seconds since the epoch for atime/dtime/ctime. */
    readonly now: () => number,
  ) {}

  segments(): ShmSegment[] {
    return this.ids.all();
  }

  /** The highest index in use, or -1 (ipc_get_maxid). */
  maxIndex(): number {
    return this.ids.maxIndex();
  }

  /**
   * shmget(2): an existing segment by key (EEXIST with IPC_CREAT|IPC_EXCL,
   * EINVAL when `size` exceeds it, EACCES without the permission bits
   * asked for), or a new one (ENOENT without IPC_CREAT). Returns the id.
   */
  get(r: NewSegment): number {
    return ipcGet(this.ids, r.key, r.flags, r.creds, () => this.create(r), (seg) => {
      if (r.size > seg.size) fail('EINVAL', 'size larger than the segment');
    }).id;
  }

  /** newseg(): the limits are checked in Linux's order (EINVAL for the size, then ENOSPC). */
  private create(r: NewSegment): ShmSegment {
    const lim = this.limits();
    if (r.size < SHMMIN || BigInt(r.size) > lim.shmmax) fail('EINVAL', `segment size ${r.size}`);
    const pages = Math.ceil(r.size / PAGE_SIZE);
    if (BigInt(this.totalPages + pages) > lim.shmall) fail('ENOSPC', 'kernel.shmall reached');
    if (this.ids.count >= lim.shmmni) fail('ENOSPC', 'kernel.shmmni reached');
    if (pages * PAGE_SIZE > r.mem.slotSize) fail('ENOMEM', 'segment larger than a shared memory slot');
    const slot = r.mem.allocSlot();
    const seg = this.ids.add(r.key, (index, seq) => new ShmSegment(this, index, newPerm(r.key, r.flags, r.creds, seq), r.size, r.pid, r.mem, slot, r.key));
    this.totalPages += pages;
    return seg;
  }

  /** The segment with id `id` (EINVAL, as shm_obtain_object_check answers, when there is none). */
  byId(id: number): ShmSegment {
    return this.ids.byId(id);
  }

  /** The segment at index `index` (SHM_STAT; EINVAL when unused). */
  atIndex(index: number): ShmSegment {
    return this.ids.atIndex(index);
  }

  /**
   * IPC_RMID: the key is freed at once (the segment's key becomes
   * IPC_PRIVATE); the memory goes at the last detach.
   */
  remove(seg: ShmSegment): void {
    this.ids.unkey(seg);
    seg.perm.mode |= SHM.DEST;
    if (seg.nattch <= 0) this.destroy(seg);
  }

  /** Frees a segment for good (called once it is marked and detached). */
  destroy(seg: ShmSegment): void {
    if (!this.ids.remove(seg)) return;
    this.totalPages -= seg.pages;
    seg.mem.releaseSlot(seg.slot);
  }
}
