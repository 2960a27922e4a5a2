/**
 * System V semaphore sets of one IPC namespace (one per kernel, shared by
 * a pod's containers), with Linux's ipc/sem.c rules: sets by key or id,
 * semop's all-or-nothing operations in order (waiting while one cannot
 * proceed, EAGAIN with IPC_NOWAIT, ERANGE past SEMVMX), SEM_UNDO
 * adjustments applied when the last process holding the undo list exits,
 * and the kernel.sem limits (SEMMSL, SEMMNS, SEMOPM, SEMMNI). Pure logic:
 * the syscalls (syscalls/sem.ts) block on a set's wait queue and run
 * again, and ask which waiters count for GETNCNT/GETZCNT here.
 */
import { IPC, SEM, SEMVMX } from '../../abi/linux/ipc';
import { fail } from '../../errors/linuxerr';
import { WaitQueue } from '../wait';
import { type IpcCreds, ipcGet, ipcId, IpcIds, type IpcObject, type IpcPerm, IpcWaiters, newPerm } from './ipc';

/** kernel.sem: SEMMSL (semaphores per set), SEMMNS (in all sets), SEMOPM (operations per semop), SEMMNI (sets). */
export interface SemLimits {
  semmsl: number;
  semmns: number;
  semopm: number;
  semmni: number;
}

export interface Semaphore {
  value: number;
  /** The pid of the last operation on it. */
  pid: number;
  /** When an operation last succeeded on it (seconds). */
  otime: number;
}

/** One operation of a semop call (struct sembuf). */
export interface SemOp {
  num: number;
  op: number;
  flags: number;
}

export class SemSet implements IpcObject {
  /** Notified on every change of a value (semop, SETVAL, SETALL, exit undo) and on removal. */
  readonly queue = new WaitQueue();
  removed = false;
  ctime: number;

  constructor(
    readonly index: number,
    readonly perm: IpcPerm,
    readonly sems: Semaphore[],
    now: number,
  ) {
    this.ctime = now;
  }

  get id(): number {
    return ipcId(this);
  }

  /** sem_otime of IPC_STAT: the latest of the semaphores'. */
  get otime(): number {
    return Math.max(0, ...this.sems.map((s) => s.otime));
  }
}

/**
 * A process's SEM_UNDO adjustments (struct sem_undo_list): threads share
 * it, and so do processes made with CLONE_SYSVSEM; applied when the last
 * of them exits.
 */
export class SemUndoList {
  users = 1;
  readonly adjust = new Map<SemSet, number[]>();

  of(set: SemSet): number[] {
    let a = this.adjust.get(set);
    if (!a) this.adjust.set(set, (a = new Array<number>(set.sems.length).fill(0)));
    return a;
  }
}

/** What a semop's evaluation found: done, or the operation it must wait on. */
export type SemopOutcome = { done: true } | { done: false; blocking: SemOp };

export class SemNamespace {
  private readonly ids = new IpcIds<SemSet>('semaphore set');
  /** Semaphores in all sets (used_sems), checked against SEMMNS. */
  usedSems = 0;
  /** Every undo list that holds adjustments (for SETVAL/SETALL/IPC_RMID to clear them). */
  private readonly undoLists = new Set<SemUndoList>();
  /** Who waits in semop, on which set and operation (GETNCNT, GETZCNT; EIDRM when the set goes). */
  readonly waiting = new IpcWaiters<SemSet, SemOp>();

  constructor(
    readonly limits: () => SemLimits,
    /** Seconds since the epoch for otime/ctime. */
    readonly now: () => number,
  ) {}

  sets(): SemSet[] {
    return this.ids.all();
  }

  maxIndex(): number {
    return this.ids.maxIndex();
  }

  get count(): number {
    return this.ids.count;
  }

  /**
   * semget(2): EINVAL for a count past SEMMSL (or negative), for an
   * existing set with fewer semaphores, or for 0 when creating; ENOSPC
   * past SEMMNS or SEMMNI. Returns the set.
   */
  get(key: number, nsems: number, flags: number, creds: IpcCreds): SemSet {
    const lim = this.limits();
    if (nsems < 0 || nsems > lim.semmsl) fail('EINVAL', `nsems ${nsems}`);
    const create = (): SemSet => {
      if (nsems === 0) fail('EINVAL', 'a new set needs semaphores');
      if (this.usedSems + nsems > lim.semmns) fail('ENOSPC', 'SEMMNS reached');
      if (this.ids.count >= lim.semmni) fail('ENOSPC', 'SEMMNI reached');
      const sems = Array.from({ length: nsems }, (): Semaphore => ({ value: 0, pid: 0, otime: 0 }));
      const set = this.ids.add(key, (index, seq) => new SemSet(index, newPerm(key, flags, creds, seq), sems, this.now()));
      this.usedSems += nsems;
      return set;
    };
    return ipcGet(this.ids, key, flags, creds, create, (set) => {
      if (nsems > set.sems.length) fail('EINVAL', 'more semaphores than the set has');
    });
  }

  byId(id: number): SemSet {
    return this.ids.byId(id);
  }

  atIndex(index: number): SemSet {
    return this.ids.atIndex(index);
  }

  /**
   * perform_atomic_semop: the operations in order on trial values; all
   * apply (values, pids, otime, undo adjustments) or none. ERANGE for a
   * value past SEMVMX or an adjustment past SEMAEM; a decrement below 0 or
   * a wait for zero that is not met blocks (EAGAIN with IPC_NOWAIT).
   */
  operate(set: SemSet, ops: SemOp[], pid: number, undo: SemUndoList | undefined): SemopOutcome {
    const values = set.sems.map((s) => s.value);
    const adjust = undo && ops.some((o) => o.flags & SEM.UNDO) ? [...undo.of(set)] : undefined;
    for (const o of ops) {
      const cur = values[o.num];
      const result = cur + o.op;
      if ((o.op === 0 && cur !== 0) || result < 0) {
        if (o.flags & IPC.NOWAIT) fail('EAGAIN', 'semop would wait');
        return { done: false, blocking: o };
      }
      if (result > SEMVMX) fail('ERANGE', `semaphore ${o.num} past SEMVMX`);
      if (o.flags & SEM.UNDO && adjust) {
        const a = adjust[o.num] - o.op;
        if (a < -SEMVMX - 1 || a > SEMVMX) fail('ERANGE', 'undo adjustment past SEMAEM');
        adjust[o.num] = a;
      }
      values[o.num] = result;
    }
    const now = this.now();
    values.forEach((v, i) => (set.sems[i].value = v));
    for (const o of ops) set.sems[o.num].pid = pid;
    set.sems[ops[0].num].otime = now;
    if (undo && adjust) {
      undo.adjust.set(set, adjust);
      this.undoLists.add(undo);
    }
    if (ops.some((o) => o.op !== 0)) set.queue.notify();
    return { done: true };
  }

  /** SETVAL/SETALL: the values (checked by the caller), the pid, ctime, every undo adjustment of them cleared, waiters woken. */
  setValues(set: SemSet, values: Map<number, number>, pid: number): void {
    for (const [i, v] of values) {
      set.sems[i].value = v;
      set.sems[i].pid = pid;
      for (const u of this.undoLists) {
        const a = u.adjust.get(set);
        if (a) a[i] = 0;
      }
    }
    set.ctime = this.now();
    set.queue.notify();
  }

  /** GETNCNT (`zero` false: waiting for the value to grow) or GETZCNT (waiting for it to be 0) of semaphore `num`. */
  waiters(set: SemSet, num: number, zero: boolean): number {
    return this.waiting.count(set, (op) => op.num === num && (op.op === 0) === zero);
  }

  /** IPC_RMID: gone at once; its waiters wake to EIDRM and undo lists forget it. */
  remove(set: SemSet): void {
    if (!this.ids.remove(set)) return;
    set.removed = true;
    this.usedSems -= set.sems.length;
    for (const u of this.undoLists) u.adjust.delete(set);
    set.queue.notify();
  }

  /**
   * exit_sem: the last holder of `undo` exited; each adjustment is added
   * to its semaphore (clamped to 0..SEMVMX), whose pid becomes `pid`.
   */
  applyUndo(undo: SemUndoList, pid: number): void {
    for (const [set, adjust] of undo.adjust) {
      if (set.removed || !adjust.some((a) => a !== 0)) continue;
      adjust.forEach((a, i) => {
        if (a === 0) return;
        const s = set.sems[i];
        s.value = Math.min(SEMVMX, Math.max(0, s.value + a));
        s.pid = pid;
      });
      set.queue.notify();
    }
    undo.adjust.clear();
    this.undoLists.delete(undo);
  }
}
