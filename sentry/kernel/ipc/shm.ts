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
import { CAP } from '../../abi/linux/capability';
import { IPC, IPC_PRIVATE, IPCMNI, SHM, SHMMIN } from '../../abi/linux/ipc';
import { PAGE_SIZE } from '../../abi/linux/mm';
import { fail } from '../../errors/linuxerr';
import type { ShmTarget } from '../../mm/shmattach';
import type { SharedMemory } from '../../platform/platform';

/** Who is asking: ids and capabilities (kernel/creds.ts's Credentials fits). */
export interface IpcCreds {
  readonly euid: number;
  readonly egid: number;
  readonly groups: readonly number[];
  hasCap(cap: number): boolean;
}

/** The namespace's limits (kernel.shmmax, kernel.shmall in pages, kernel.shmmni). */
export interface ShmLimits {
  shmmax: bigint;
  shmall: bigint;
  shmmni: number;
}

/** struct ipc64_perm's fields. */
export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** Permission bits plus SHM_DEST/SHM_LOCKED. */
  mode: number;
  seq: number;
}

/** Read (4), write (2) or execute (1) access, as the low octal digit. */
export type Access = number;

/**
 * ipcperms(): the owner's, group's or others' bits of `perm.mode` must
 * grant every bit of `flag`'s permission digits, else CAP_IPC_OWNER.
 */
export function ipcAllowed(c: IpcCreds, perm: IpcPerm, flag: number): boolean {
  const requested = ((flag >> 6) | (flag >> 3) | flag) & 0o7;
  let granted = perm.mode;
  if (c.euid === perm.cuid || c.euid === perm.uid) granted >>= 6;
  else if (inGroup(c, perm.cgid) || inGroup(c, perm.gid)) granted >>= 3;
  return (requested & ~granted & 0o7) === 0 || c.hasCap(CAP.IPC_OWNER);
}

function inGroup(c: IpcCreds, gid: number): boolean {
  return c.egid === gid || c.groups.includes(gid);
}

/** ipcctl_pre_down's check for IPC_SET and IPC_RMID: the owner, the creator or CAP_SYS_ADMIN. */
export function ipcOwnerOrAdmin(c: IpcCreds, perm: IpcPerm): boolean {
  return c.euid === perm.cuid || c.euid === perm.uid || c.hasCap(CAP.SYS_ADMIN);
}

let nextUid = 1;
/** ipc_min_cycle (RADIX_TREE_MAP_SIZE) and ipcid_seq_max() without ipcmni_extend. */
const MIN_CYCLE = 64;
const SEQ_MAX = Math.floor(0x7fffffff / IPCMNI);

export class ShmSegment implements ShmTarget {
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
    return this.perm.seq * IPCMNI + this.index;
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
  private readonly byIndex = new Map<number, ShmSegment>();
  private readonly byKey = new Map<number, ShmSegment>();
  /** ids->seq: the sequence number of new ids; it moves on when the index allocation wraps. */
  private seq = 0;
  /** ids->last_idx and the idr's cyclic cursor (idr_next). */
  private lastIndex = -1;
  private cursor = 0;
  /** Pages of every segment (shm_tot), checked against kernel.shmall. */
  totalPages = 0;

  constructor(
    readonly limits: () => ShmLimits,
    /** Seconds since the epoch for atime/dtime/ctime. */
    readonly now: () => number,
  ) {}

  segments(): ShmSegment[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** The highest index in use, or -1 (ipc_get_maxid). */
  maxIndex(): number {
    return Math.max(-1, ...this.byIndex.keys());
  }

  /**
   * shmget(2): an existing segment by key (EEXIST with IPC_CREAT|IPC_EXCL,
   * EINVAL when `size` exceeds it, EACCES without the permission bits
   * asked for), or a new one (ENOENT without IPC_CREAT). Returns the id.
   */
  get(r: NewSegment): number {
    if (r.key === IPC_PRIVATE) return this.create(r).id;
    const existing = this.byKey.get(r.key);
    if (existing === undefined) {
      if ((r.flags & IPC.CREAT) === 0) fail('ENOENT', `no segment with key ${r.key}`);
      return this.create(r).id;
    }
    if ((r.flags & IPC.CREAT) !== 0 && (r.flags & IPC.EXCL) !== 0) fail('EEXIST', `key ${r.key} exists`);
    if (r.size > existing.size) fail('EINVAL', 'size larger than the segment');
    if (!ipcAllowed(r.creds, existing.perm, r.flags)) fail('EACCES', 'segment permissions');
    return existing.id;
  }

  /** newseg(): the limits are checked in Linux's order (EINVAL for the size, then ENOSPC). */
  private create(r: NewSegment): ShmSegment {
    const lim = this.limits();
    if (r.size < SHMMIN || BigInt(r.size) > lim.shmmax) fail('EINVAL', `segment size ${r.size}`);
    const pages = Math.ceil(r.size / PAGE_SIZE);
    if (BigInt(this.totalPages + pages) > lim.shmall) fail('ENOSPC', 'kernel.shmall reached');
    if (this.byIndex.size >= lim.shmmni) fail('ENOSPC', 'kernel.shmmni reached');
    if (pages * PAGE_SIZE > r.mem.slotSize) fail('ENOMEM', 'segment larger than a shared memory slot');
    const slot = r.mem.allocSlot();
    const index = this.allocIndex();
    const perm: IpcPerm = { key: r.key, uid: r.creds.euid, gid: r.creds.egid, cuid: r.creds.euid, cgid: r.creds.egid, mode: r.flags & 0o777, seq: this.seq };
    const seg = new ShmSegment(this, index, perm, r.size, r.pid, r.mem, slot, r.key);
    this.byIndex.set(index, seg);
    if (r.key !== IPC_PRIVATE) this.byKey.set(r.key, seg);
    this.totalPages += pages;
    return seg;
  }

  /**
   * ipc_idr_alloc() as Linux has done it since 4.17: indexes are handed
   * out cyclically below max(in_use * 3/2, 64), and the sequence number
   * (the id's upper part) moves on whenever the cycle wraps, so a fresh
   * namespace's ids are 0, 1, 2... and a reused index gets a new id.
   * (Linux 4.4 bumped the sequence on every allocation: 0, 32769, 65538.)
   */
  private allocIndex(): number {
    const end = Math.min(Math.max(Math.floor((this.byIndex.size * 3) / 2), MIN_CYCLE), IPCMNI);
    let index = this.firstFree(this.cursor, end);
    if (index < 0) index = this.firstFree(0, end);
    if (index < 0) return fail('ENOSPC', 'no free index');
    this.cursor = index + 1;
    if (index <= this.lastIndex) this.seq = (this.seq + 1) % SEQ_MAX;
    this.lastIndex = index;
    return index;
  }

  private firstFree(from: number, end: number): number {
    for (let i = from; i < end; i++) if (!this.byIndex.has(i)) return i;
    return -1;
  }

  /** The segment with id `id` (EINVAL, as shm_obtain_object_check answers, when there is none). */
  byId(id: number): ShmSegment {
    const seg = id < 0 ? undefined : this.byIndex.get(id % IPCMNI);
    if (seg === undefined || seg.perm.seq !== Math.floor(id / IPCMNI)) return fail('EINVAL', `no segment ${id}`);
    return seg;
  }

  /** The segment at index `index` (SHM_STAT; EINVAL when unused). */
  atIndex(index: number): ShmSegment {
    return this.byIndex.get(index) ?? fail('EINVAL', `no segment at index ${index}`);
  }

  /**
   * IPC_RMID: the key is freed at once (the segment's key becomes
   * IPC_PRIVATE); the memory goes at the last detach.
   */
  remove(seg: ShmSegment): void {
    if (seg.perm.key !== IPC_PRIVATE && this.byKey.get(seg.perm.key) === seg) this.byKey.delete(seg.perm.key);
    seg.perm.key = IPC_PRIVATE;
    seg.perm.mode |= SHM.DEST;
    if (seg.nattch <= 0) this.destroy(seg);
  }

  /** Frees a segment for good (called once it is marked and detached). */
  destroy(seg: ShmSegment): void {
    if (this.byIndex.get(seg.index) !== seg) return;
    this.byIndex.delete(seg.index);
    this.totalPages -= seg.pages;
    seg.mem.releaseSlot(seg.slot);
  }
}
