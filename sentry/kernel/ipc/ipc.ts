/**
 * What System V IPC objects share (Linux's ipc/util.c): permissions, ids
 * (an index in the namespace plus a sequence number), key lookup and the
 * get-or-create rules of shmget/semget. Pure logic; shm.ts and sem.ts
 * keep their objects here.
 */
import { CAP } from '../../abi/linux/capability';
import { IPC, IPC_PERM_OFF, IPC_PRIVATE, IPCMNI } from '../../abi/linux/ipc';
import { Errno } from '../../abi/linux/errno';
import { fail } from '../../errors/linuxerr';
import { Block, type WaitQueue } from '../wait';

/** Who is asking: ids and capabilities (kernel/creds.ts's Credentials fits). */
export interface IpcCreds {
  readonly euid: number;
  readonly egid: number;
  readonly groups: readonly number[];
  hasCap(cap: number): boolean;
}

/** struct ipc64_perm's fields. */
export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** Permission bits plus the object's own (SHM_DEST, SHM_LOCKED). */
  mode: number;
  seq: number;
}

/** An object of an IPC namespace: where it sits and who may use it. */
export interface IpcObject {
  readonly index: number;
  readonly perm: IpcPerm;
}

/** ipc_buildid: the id user space sees. */
export function ipcId(o: IpcObject): number {
  return o.perm.seq * IPCMNI + o.index;
}

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

/** A new object's perm: the creator owns it, with the low 9 bits of the get call's flags. */
export function newPerm(key: number, flags: number, c: IpcCreds, seq: number): IpcPerm {
  return { key, uid: c.euid, gid: c.egid, cuid: c.euid, cgid: c.egid, mode: flags & 0o777, seq };
}

/** Writes struct ipc64_perm at the start of `b` (an *id64_ds the object's STAT fills). */
export function encodePerm(b: Buffer, p: IpcPerm): void {
  b.writeInt32LE(p.key, IPC_PERM_OFF.key);
  b.writeUInt32LE(p.uid, IPC_PERM_OFF.uid);
  b.writeUInt32LE(p.gid, IPC_PERM_OFF.gid);
  b.writeUInt32LE(p.cuid, IPC_PERM_OFF.cuid);
  b.writeUInt32LE(p.cgid, IPC_PERM_OFF.cgid);
  b.writeUInt32LE(p.mode, IPC_PERM_OFF.mode);
  b.writeUInt16LE(p.seq, IPC_PERM_OFF.seq);
}

/** IPC_SET's ipc_update_perm from the caller's *id64_ds: owner ids (EINVAL for (uid_t)-1) and the permission bits. */
export function updatePerm(p: IpcPerm, ds: Buffer): void {
  const uid = ds.readUInt32LE(IPC_PERM_OFF.uid);
  const gid = ds.readUInt32LE(IPC_PERM_OFF.gid);
  if (uid === 0xffff_ffff || gid === 0xffff_ffff) fail('EINVAL', 'invalid uid or gid');
  p.uid = uid;
  p.gid = gid;
  p.mode = (p.mode & ~0o777) | (ds.readUInt32LE(IPC_PERM_OFF.mode) & 0o777);
}

/** ipc_min_cycle (RADIX_TREE_MAP_SIZE) and ipcid_seq_max() without ipcmni_extend. */
const MIN_CYCLE = 64;
const SEQ_MAX = Math.floor(0x7fffffff / IPCMNI);

/** One kind of object of an IPC namespace (struct ipc_ids): by index and by key. */
export class IpcIds<T extends IpcObject> {
  private readonly byIndex = new Map<number, T>();
  private readonly byKey = new Map<number, T>();
  /** ids->seq: the sequence number of new ids; it moves on when the index allocation wraps. */
  private seq = 0;
  /** ids->last_idx and the idr's cyclic cursor (idr_next). */
  private lastIndex = -1;
  private cursor = 0;

  constructor(private readonly what: string) {}

  get count(): number {
    return this.byIndex.size;
  }

  /** The objects by index. */
  all(): T[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** The highest index in use, or -1 (ipc_get_maxid). */
  maxIndex(): number {
    return Math.max(-1, ...this.byIndex.keys());
  }

  findKey(key: number): T | undefined {
    return this.byKey.get(key);
  }

  /** ipc_addid: `make` builds the object at a free index with the current sequence number (ENOSPC when none is free). */
  add(key: number, make: (index: number, seq: number) => T): T {
    const index = this.allocIndex();
    const o = make(index, this.seq);
    this.byIndex.set(index, o);
    if (key !== IPC_PRIVATE) this.byKey.set(key, o);
    return o;
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

  /** The object with id `id` (EINVAL, as ipc_obtain_object_check answers, when there is none). */
  byId(id: number): T {
    const o = id < 0 ? undefined : this.byIndex.get(id % IPCMNI);
    if (o === undefined || o.perm.seq !== Math.floor(id / IPCMNI)) return fail('EINVAL', `no ${this.what} ${id}`);
    return o;
  }

  /** The object at index `index` (the *_STAT commands; EINVAL when unused). */
  atIndex(index: number): T {
    return this.byIndex.get(index) ?? fail('EINVAL', `no ${this.what} at index ${index}`);
  }

  /** IPC_RMID's first step: the key is free at once (the object's becomes IPC_PRIVATE). */
  unkey(o: T): void {
    if (o.perm.key !== IPC_PRIVATE && this.byKey.get(o.perm.key) === o) this.byKey.delete(o.perm.key);
    o.perm.key = IPC_PRIVATE;
  }

  /** Forgets `o` (its key first); false if it was gone already. */
  remove(o: T): boolean {
    if (this.byIndex.get(o.index) !== o) return false;
    this.unkey(o);
    this.byIndex.delete(o.index);
    return true;
  }
}

/** An object a System V operation waits on (a semaphore set, a message queue): notified on every change and at its removal. */
export interface WaitableIpc extends IpcObject {
  readonly queue: WaitQueue;
  readonly removed: boolean;
  readonly id: number;
}

/**
 * Who waits on which object of a namespace, with what (`D`: the semaphore
 * operation for GETNCNT/GETZCNT). A waiter's syscall runs again when the
 * object changes; if the object was removed meanwhile, that re-run is
 * EIDRM rather than the EINVAL of an unknown id.
 */
export class IpcWaiters<T extends WaitableIpc, D> {
  private readonly entries = new Map<object, { o: T; data: D; parked: () => boolean }>();

  /** The start of `who`'s (re-)run on id `id`: its wait is over; EIDRM if the object it waited on went away. */
  resume(who: object, id: number): void {
    const w = this.entries.get(who);
    this.entries.delete(who);
    if (w?.o.removed && w.o.id === id) fail('EIDRM', `${id} was removed while waiting`);
  }

  /**
   * Parks `who` on `o` until it changes: a signal ends the wait with
   * EINTR (never restarted, as System V IPC calls are not), `deadlineNs`
   * with EAGAIN. `parked` tells whether it still waits (for counts).
   */
  park(who: object, o: T, data: D, parked: () => boolean, deadlineNs?: bigint): never {
    this.entries.set(who, { o, data, parked });
    throw new Block([o.queue], deadlineNs, { errno: Errno.EAGAIN }, 'eintr', () => this.entries.delete(who));
  }

  /** How many still wait on `o` with data that `match`es. */
  count(o: T, match: (d: D) => boolean): number {
    let n = 0;
    for (const w of this.entries.values()) if (w.o === o && match(w.data) && w.parked()) n++;
    return n;
  }
}

/**
 * ipcget(): IPC_PRIVATE always creates; a key finds its object or, with
 * IPC_CREAT, creates one (ENOENT without). An existing one is EEXIST with
 * IPC_CREAT|IPC_EXCL, then `check`s the call (the size or count asked
 * for), then needs the permission bits asked for in `flags` (EACCES).
 */
export function ipcGet<T extends IpcObject>(ids: IpcIds<T>, key: number, flags: number, creds: IpcCreds, create: () => T, check: (o: T) => void): T {
  if (key === IPC_PRIVATE) return create();
  const existing = ids.findKey(key);
  if (existing === undefined) {
    if ((flags & IPC.CREAT) === 0) fail('ENOENT', `no object with key ${key}`);
    return create();
  }
  if ((flags & IPC.CREAT) !== 0 && (flags & IPC.EXCL) !== 0) fail('EEXIST', `key ${key} exists`);
  check(existing);
  if (!ipcAllowed(creds, existing.perm, flags)) fail('EACCES', 'permissions');
  return existing;
}
