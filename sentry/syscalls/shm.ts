/**
 * System V shared memory: shmget(2), shmat(2), shmdt(2), shmctl(2) over the
 * kernel's IPC namespace (kernel/ipc/shm.ts). A segment is a slot of the
 * platform's shared memory (a host memfd every stub holds), so every
 * attaching process, forked or unrelated, maps the same pages; fork
 * inherits attachments, exec and exit detach (mm/mm.ts). Pids are the
 * sandbox's. Semaphores are syscalls/sem.ts, message queues syscalls/msg.ts.
 */
import { CAP } from '../abi/linux/capability';
import { IPC, SHM, SHM_INFO_OFF, SHM_INFO_SIZE, SHMID_DS_OFF, SHMID_DS_SIZE, SHMINFO_SIZE, SHMLBA, SHMMIN } from '../abi/linux/ipc';
import { PROT } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import { shmNamespace } from '../kernel/ipc/namespace';
import { encodePerm, ipcAllowed } from '../kernel/ipc/ipc';
import { commonIpcCtl, type IpcKind } from './ipcctl';
import { ShmNamespace, ShmSegment } from '../kernel/ipc/shm';
import { RLIMIT } from '../kernel/limits';
import type { Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';

/** shmget's size: a size_t; anything past 2^53 is far beyond a slot anyway (ENOMEM after Linux's EINVAL/ENOSPC checks). */
function sizeArg(a: SyscallArgs, i: number): number {
  return Number(a.u64(i));
}

/**
 * shmget(2): IPC_PRIVATE always creates; a key finds its segment or, with
 * IPC_CREAT, creates one (IPC_EXCL: EEXIST if it exists). The mode is the
 * low 9 bits of shmflg; SHM_NORESERVE is accepted and ignored.
 * SHM_HUGETLB is ENOMEM, as on Linux with no huge pages reserved (which
 * would accept it with SHM_NORESERVE and fault on first touch). Limits:
 * kernel.shmmax (EINVAL), shmall and shmmni (ENOSPC), and a segment must
 * fit a shared memory slot (1 GiB; ENOMEM).
 */
function shmget(t: Task, a: SyscallArgs): number {
  const p = t.process;
  if ((a.int(2) & SHM.HUGETLB) !== 0) fail('ENOMEM', 'no huge pages reserved');
  const mem = p.mm.as.sharedMemory ?? fail('ENOMEM', 'no shared memory in this platform');
  return ns(t).get({ key: a.int(0), size: sizeArg(a, 1), flags: a.int(2), pid: p.pid, creds: p.creds, mem });
}

/**
 * shmat(2): maps the segment MAP_SHARED, read-write or with SHM_RDONLY
 * read-only (SHM_EXEC adds execute). A NULL address picks one; a given
 * one must be SHMLBA-aligned unless SHM_RND rounds it down, and may
 * replace existing mappings only with SHM_REMAP (else EINVAL). Segments
 * marked for removal can still be attached, as Linux allows.
 */
function shmat(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  let addr = a.ptr(1);
  const flags = a.int(2);
  if (addr % SHMLBA !== 0) {
    if ((flags & SHM.RND) === 0) fail('EINVAL', 'shmat address not aligned');
    addr -= addr % SHMLBA;
  }
  if (addr === 0 && (flags & SHM.REMAP) !== 0) fail('EINVAL', 'SHM_REMAP without an address');
  const seg = ns(t).byId(id);
  const rdonly = (flags & SHM.RDONLY) !== 0;
  const exec = (flags & SHM.EXEC) !== 0;
  const access = (rdonly ? 0o444 : 0o666) | (exec ? 0o111 : 0);
  if (!ipcAllowed(t.process.creds, seg.perm, access)) fail('EACCES', 'segment permissions');
  const prot = PROT.READ | (rdonly ? 0 : PROT.WRITE) | (exec ? PROT.EXEC : 0);
  const mm = t.process.mm;
  mm.shmPid = t.process.pid;
  return mm.attachShm(seg, addr, prot, (flags & SHM.REMAP) !== 0);
}

/** shmdt(2): detaches the attachment at `shmaddr` (EINVAL when none starts there). */
function shmdt(t: Task, a: SyscallArgs): number {
  const mm = t.process.mm;
  mm.shmPid = t.process.pid;
  mm.detachShm(a.ptr(0));
  return 0;
}

/**
 * shmctl(2): IPC_STAT/SHM_STAT (read permission; SHM_STAT takes an index
 * and returns the id), SHM_STAT_ANY (no permission check), IPC_SET (uid,
 * gid, the mode's permission bits; owner, creator or CAP_SYS_ADMIN, else
 * EPERM), IPC_RMID (same check; the key is freed at once, the memory at
 * the last detach, SHM_DEST shows in the mode), IPC_INFO and SHM_INFO
 * (return the highest index in use; shm_swp is 0), SHM_LOCK/SHM_UNLOCK (CAP_IPC_LOCK, or the owner with a non-zero
 * RLIMIT_MEMLOCK; only the SHM_LOCKED mode bit changes: nothing is
 * pinned). Other commands (and IPC_64-flagged ones, as on x86_64) EINVAL.
 */
function shmctl(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const cmd = a.int(1);
  const buf = a.ptr(2);
  if (id < 0 || cmd < 0) fail('EINVAL', 'shmctl id or command');
  const space = ns(t);
  const creds = t.process.creds;
  switch (cmd) {
    case IPC.INFO:
      t.mem.write(buf, shminfo(space));
      return Math.max(0, space.maxIndex());
    case SHM.INFO:
      t.mem.write(buf, shmInfo(space));
      return Math.max(0, space.maxIndex());
    case SHM.LOCK:
    case SHM.UNLOCK: {
      const seg = space.byId(id);
      if (!creds.hasCap(CAP.IPC_LOCK)) {
        if (creds.euid !== seg.perm.uid && creds.euid !== seg.perm.cuid) fail('EPERM', 'not the owner');
        if (cmd === SHM.LOCK && t.process.limits[RLIMIT.MEMLOCK].cur === 0n) fail('EPERM', 'RLIMIT_MEMLOCK is 0');
      }
      seg.perm.mode = cmd === SHM.LOCK ? seg.perm.mode | SHM.LOCKED : seg.perm.mode & ~SHM.LOCKED;
      return 0;
    }
    default:
      return commonIpcCtl(t, space, SHM_KIND, cmd, id, buf) ?? fail('EINVAL', `shmctl command ${cmd}`);
  }
}

const SHM_KIND: IpcKind<ShmSegment> = { statCmd: SHM.STAT, statAnyCmd: SHM.STAT_ANY, dsSize: SHMID_DS_SIZE, encode: shmidDs };

function ns(t: Task): ShmNamespace {
  return shmNamespace(t.kernel);
}

/** struct shmid64_ds of `seg`. */
export function shmidDs(seg: ShmSegment): Buffer {
  const b = Buffer.alloc(SHMID_DS_SIZE);
  encodePerm(b, seg.perm);
  b.writeBigUInt64LE(BigInt(seg.size), SHMID_DS_OFF.segsz);
  b.writeBigInt64LE(BigInt(seg.atime), SHMID_DS_OFF.atime);
  b.writeBigInt64LE(BigInt(seg.dtime), SHMID_DS_OFF.dtime);
  b.writeBigInt64LE(BigInt(seg.ctime), SHMID_DS_OFF.ctime);
  b.writeInt32LE(seg.cpid, SHMID_DS_OFF.cpid);
  b.writeInt32LE(seg.lpid, SHMID_DS_OFF.lpid);
  b.writeBigUInt64LE(BigInt(seg.nattch), SHMID_DS_OFF.nattch);
  return b;
}

/** struct shminfo64 (IPC_INFO): shmseg is shmmni, as in Linux. */
function shminfo(space: ShmNamespace): Buffer {
  const l = space.limits();
  const b = Buffer.alloc(SHMINFO_SIZE);
  [l.shmmax, BigInt(SHMMIN), BigInt(l.shmmni), BigInt(l.shmmni), l.shmall].forEach((v, i) => b.writeBigUInt64LE(v, i * 8));
  return b;
}

/** struct shm_info (SHM_INFO): shm_rss is the pages the segments' slots hold; nothing is swapped. */
function shmInfo(space: ShmNamespace): Buffer {
  const b = Buffer.alloc(SHM_INFO_SIZE);
  b.writeInt32LE(space.segments().length, SHM_INFO_OFF.usedIds);
  b.writeBigUInt64LE(BigInt(space.totalPages), SHM_INFO_OFF.tot);
  b.writeBigUInt64LE(BigInt(space.segments().reduce((n, s) => n + s.residentPages, 0)), SHM_INFO_OFF.rss);
  return b;
}

export const shmSyscalls: FamilyRows = {
  shmget: partial(shmget, 'segments up to 1 GiB (ENOMEM beyond); SHM_HUGETLB ENOMEM (no huge pages)'),
  shmat: partial(shmat, 'MAP_SHARED of the segment in the platform shared memory; nattch counts areas'),
  shmdt: supported(shmdt),
  shmctl: partial(shmctl, 'SHM_LOCK/UNLOCK only set the mode bit; kernel.shm_rmid_forced not modelled'),
};
