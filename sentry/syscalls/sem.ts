/**
 * System V semaphores: semget(2), semop(2), semtimedop(2), semctl(2) over
 * the kernel's IPC namespace (kernel/ipc/sem.ts). A semop that cannot
 * proceed parks on the set's wait queue and runs again whenever a value
 * changes; a signal ends it with EINTR (semop is never restarted), a
 * timeout with EAGAIN, the set's removal with EIDRM. Pids are the
 * sandbox's.
 */
import { IPC, SEM, SEMBUF_SIZE, SEMID_DS_OFF, SEMID_DS_SIZE, SEMINFO_SIZE, SEMMNS_BUILD, SEMOPM_BUILD, SEMUSZ, SEMVMX } from '../abi/linux/ipc';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { encodePerm, ipcAllowed } from '../kernel/ipc/ipc';
import { semNamespace } from '../kernel/ipc/namespace';
import { type SemNamespace, type SemOp, type SemSet, SemUndoList } from '../kernel/ipc/sem';
import type { Task } from '../kernel/task';
import type { SyscallArgs } from './args';
import { commonIpcCtl, type IpcKind, parked } from './ipcctl';
import { FamilyRows, partial } from './rows';

const READ = 0o444;
const ALTER = 0o222;

function ns(t: Task): SemNamespace {
  return semNamespace(t.kernel);
}

/** semget(2): IPC_PRIVATE or a key (IPC_CREAT, IPC_EXCL); the low 9 bits of semflg are the mode. */
function semget(t: Task, a: SyscallArgs): number {
  return ns(t).get(a.int(0), a.int(1), a.int(2), t.process.creds).id;
}

/**
 * semop/semtimedop after the argument checks Linux makes first (EINVAL,
 * E2BIG for more than SEMOPM operations, EFAULT, a bad timeout EINVAL),
 * then the set (EINVAL), the semaphore numbers (EFBIG) and permission
 * (EACCES: write to alter, read to wait for zero).
 */
function semtimedopAt(t: Task, semid: number, sopsAddr: number, nsops: number, timeoutAddr: number): number {
  const space = ns(t);
  // A re-run after a wait: the wait is over (and its set may be gone: EIDRM).
  space.waiting.resume(t, semid);
  if (nsops < 1 || semid < 0) fail('EINVAL', `semop of ${nsops} operations on ${semid}`);
  if (nsops > space.limits().semopm) fail('E2BIG', `${nsops} operations past SEMOPM`);
  const raw = t.mem.read(sopsAddr, nsops * SEMBUF_SIZE);
  const ops: SemOp[] = Array.from({ length: nsops }, (_, i) => ({
    num: raw.readUInt16LE(i * SEMBUF_SIZE),
    op: raw.readInt16LE(i * SEMBUF_SIZE + 2),
    flags: raw.readInt16LE(i * SEMBUF_SIZE + 4),
  }));
  const timeout = timeoutAddr === 0 ? undefined : (decodeTimespec(t.mem.read(timeoutAddr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'semtimedop timeout'));
  const set = space.byId(semid);
  if (Math.max(...ops.map((o) => o.num)) >= set.sems.length) fail('EFBIG', 'semaphore number past the set');
  const alter = ops.some((o) => o.op !== 0);
  if (!ipcAllowed(t.process.creds, set.perm, alter ? ALTER : READ)) fail('EACCES', 'semaphore set permissions');
  const p = t.process;
  const undo = ops.some((o) => o.flags & SEM.UNDO) ? (p.semUndo ??= new SemUndoList()) : undefined;
  const outcome = space.operate(set, ops, p.pid, undo);
  if (outcome.done) return 0;
  return space.waiting.park(t, set, outcome.blocking, () => parked(t), timeout === undefined ? undefined : t.deadline(timeout));
}

/** semop(2). */
function semop(t: Task, a: SyscallArgs): number {
  return semtimedopAt(t, a.int(0), a.ptr(1), a.int(2), 0);
}

/** semtimedop(2): a relative timeout (EAGAIN when it passes). */
function semtimedop(t: Task, a: SyscallArgs): number {
  return semtimedopAt(t, a.int(0), a.ptr(1), a.int(2), a.ptr(3));
}

/** struct semid64_ds of `set`. */
function semidDs(set: SemSet): Buffer {
  const b = Buffer.alloc(SEMID_DS_SIZE);
  encodePerm(b, set.perm);
  b.writeBigInt64LE(BigInt(set.otime), SEMID_DS_OFF.otime);
  b.writeBigInt64LE(BigInt(set.ctime), SEMID_DS_OFF.ctime);
  b.writeBigUInt64LE(BigInt(set.sems.length), SEMID_DS_OFF.nsems);
  return b;
}

/** struct seminfo for IPC_INFO and SEM_INFO (which reports sets in use and semaphores in use where IPC_INFO has SEMUSZ and SEMAEM). */
function seminfo(space: SemNamespace, cmd: number): Buffer {
  const l = space.limits();
  const fields = [SEMMNS_BUILD, l.semmni, l.semmns, SEMMNS_BUILD, l.semmsl, l.semopm, SEMOPM_BUILD];
  fields.push(...(cmd === SEM.INFO ? [space.count, SEMVMX, space.usedSems] : [SEMUSZ, SEMVMX, SEMVMX]));
  const b = Buffer.alloc(SEMINFO_SIZE);
  fields.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

/** The set for a command that needs `access` (EINVAL if none, EACCES without it). */
function usable(t: Task, space: SemNamespace, id: number, access: number): SemSet {
  const set = space.byId(id);
  if (!ipcAllowed(t.process.creds, set.perm, access)) fail('EACCES', 'semaphore set permissions');
  return set;
}

function semnum(set: SemSet, n: number): number {
  if (n < 0 || n >= set.sems.length) fail('EINVAL', `semaphore ${n}`);
  return n;
}

/**
 * semctl(2): IPC_STAT, SEM_STAT, SEM_STAT_ANY, IPC_SET and IPC_RMID (the
 * owner, the creator or CAP_SYS_ADMIN; EPERM), IPC_INFO and SEM_INFO,
 * GETVAL, GETPID, GETNCNT, GETZCNT, GETALL (read permission), SETVAL and
 * SETALL (write permission; ERANGE past SEMVMX; they clear the undo
 * adjustments of what they set). The fourth argument is the value for
 * SETVAL and a pointer otherwise.
 */
function semctl(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const num = a.int(1);
  const cmd = a.int(2);
  const arg = a.ptr(3);
  if (id < 0) fail('EINVAL', `semid ${id}`);
  const space = ns(t);
  switch (cmd) {
    case IPC.INFO:
    case SEM.INFO:
      t.mem.write(arg, seminfo(space, cmd));
      return Math.max(0, space.maxIndex());
    case SEM.GETVAL:
    case SEM.GETPID:
    case SEM.GETNCNT:
    case SEM.GETZCNT: {
      const set = usable(t, space, id, READ);
      const n = semnum(set, num);
      if (cmd === SEM.GETVAL) return set.sems[n].value;
      if (cmd === SEM.GETPID) return set.sems[n].pid;
      return space.waiters(set, n, cmd === SEM.GETZCNT);
    }
    case SEM.GETALL: {
      const set = usable(t, space, id, READ);
      const b = Buffer.alloc(set.sems.length * 2);
      set.sems.forEach((s, i) => b.writeUInt16LE(s.value, i * 2));
      t.mem.write(arg, b);
      return 0;
    }
    case SEM.SETVAL: {
      const value = Number(BigInt.asIntN(32, a.u64(3)));
      if (value < 0 || value > SEMVMX) fail('ERANGE', `semaphore value ${value}`);
      const set = usable(t, space, id, ALTER);
      space.setValues(set, new Map([[semnum(set, num), value]]), t.process.pid);
      return 0;
    }
    case SEM.SETALL: {
      const set = usable(t, space, id, ALTER);
      const b = t.mem.read(arg, set.sems.length * 2);
      const values = new Map(set.sems.map((_, i) => [i, b.readUInt16LE(i * 2)]));
      if ([...values.values()].some((v) => v > SEMVMX)) fail('ERANGE', 'a value past SEMVMX');
      space.setValues(set, values, t.process.pid);
      return 0;
    }
    default:
      return commonIpcCtl(t, space, SEM_KIND, cmd, id, arg) ?? fail('EINVAL', `semctl command ${cmd}`);
  }
}

const SEM_KIND: IpcKind<SemSet> = { statCmd: SEM.STAT, statAnyCmd: SEM.STAT_ANY, dsSize: SEMID_DS_SIZE, encode: semidDs };

export const semSyscalls: FamilyRows = {
  semget: partial(semget, 'limits from kernel.sem'),
  semop: partial(semop, 'waiters re-check on every change of their set'),
  semtimedop: partial(semtimedop, 'waiters re-check on every change of their set'),
  semctl: partial(semctl, 'sem_otime is the latest operation on any semaphore of the set'),
};
