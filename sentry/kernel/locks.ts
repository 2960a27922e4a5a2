/**
 * Advisory file locks, kept in the Sentry only (never forwarded to the
 * Gofer or the host): flock(2) locks and fcntl(2) record locks, per file
 * identity (a key the caller derives from st_dev/st_ino).
 *
 * - flock locks belong to an open file description: shared or exclusive,
 *   whole file; converting one first drops the old lock (as Linux does,
 *   so a failed conversion leaves no lock).
 * - Record locks belong to an owner: the fd table for POSIX locks
 *   (F_SETLK: one per "process", shared by its threads), the open file
 *   description for OFD locks (F_OFD_SETLK). They cover inclusive byte
 *   ranges; an owner's locks never overlap, and its adjacent or
 *   overlapping locks of one type are merged, so a request splits, trims
 *   or absorbs what the owner held. POSIX and OFD locks conflict with each
 *   other; flock locks are a separate space.
 *
 * Pure bookkeeping with no kernel dependencies: the syscall layer decides
 * whether a conflict fails (EAGAIN), blocks (parking on `queue(key)`, which
 * is notified whenever a lock is dropped or weakened) or is a deadlock.
 */
import { WaitQueue } from './wait';

/** The largest file offset: a lock with l_len 0 ends here ("to EOF and beyond"). */
export const OFFSET_MAX = (1n << 63n) - 1n;

export type RecordType = 'read' | 'write';
export type FlockType = 'shared' | 'exclusive';

/** A record lock request: [start, end] inclusive; type undefined means unlock. */
export interface RecordRequest {
  /** The fd table (POSIX) or the open file description (OFD). */
  owner: object;
  ofd: boolean;
  /** Reported by F_GETLK as l_pid (POSIX: the sandbox pid; OFD: -1). */
  pid: number;
  type: RecordType | undefined;
  start: bigint;
  end: bigint;
}

export interface RecordLock {
  readonly owner: object;
  readonly ofd: boolean;
  readonly pid: number;
  readonly type: RecordType;
  readonly start: bigint;
  readonly end: bigint;
}

/** What F_SETLKW waiters are blocked on, for deadlock detection (Linux: MAX_DEADLK_ITERATIONS). */
const MAX_DEADLOCK_STEPS = 10;

class FileLocks {
  /** Record locks by owner; owners in the order they first locked, each owner's locks sorted by start. */
  readonly records = new Map<object, RecordLock[]>();
  readonly flocks = new Map<object, FlockType>();
  readonly changed = new WaitQueue();

  get empty(): boolean {
    return this.records.size === 0 && this.flocks.size === 0 && this.changed.size === 0;
  }
}

function overlaps(a: { start: bigint; end: bigint }, b: { start: bigint; end: bigint }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function conflicts(held: RecordLock, want: RecordRequest): boolean {
  return held.owner !== want.owner && overlaps(held, want) && (held.type === 'write' || want.type === 'write');
}

export class LockManager {
  private readonly files = new Map<string, FileLocks>();
  /** POSIX owner → files it holds record locks on (so a close can skip owners with none). */
  private readonly held = new Map<object, Set<string>>();
  /** A waiter (the parked task) → its owner and the owner of the lock it waits for. */
  private readonly waiting = new Map<object, { owner: object; blocker: object }>();

  private file(key: string): FileLocks {
    let f = this.files.get(key);
    if (!f) this.files.set(key, (f = new FileLocks()));
    return f;
  }

  /** Drops the state of a file nobody locks or waits on. */
  private tidy(key: string): void {
    if (this.files.get(key)?.empty) this.files.delete(key);
  }

  /** Notified whenever a lock of `key` is dropped or weakened: blocked requests retry. */
  queue(key: string): WaitQueue {
    return this.file(key).changed;
  }

  /** F_GETLK: the first lock of another owner that conflicts with `req`, if any. */
  testRecord(key: string, req: RecordRequest): RecordLock | undefined {
    const f = this.files.get(key);
    if (!f) return undefined;
    for (const locks of f.records.values()) {
      const c = locks.find((l) => conflicts(l, req));
      if (c) return c;
    }
    return undefined;
  }

  /**
   * F_SETLK: applies `req` (a lock or an unlock) for its owner, unless
   * another owner holds a conflicting lock: then nothing changes and that
   * lock is returned.
   */
  setRecord(key: string, req: RecordRequest): RecordLock | undefined {
    if (req.type !== undefined) {
      const c = this.testRecord(key, req);
      if (c) return c;
    }
    const f = this.files.get(key);
    const mine = f?.records.get(req.owner) ?? [];
    if (req.type === undefined && mine.length === 0) return undefined;
    const { kept, weakened } = this.apply(mine, req);
    const file = f ?? this.file(key);
    if (kept.length === 0) file.records.delete(req.owner);
    else file.records.set(req.owner, kept);
    this.noteHeld(req.owner, key, kept.length > 0);
    if (weakened) file.changed.notify();
    this.tidy(key);
    return undefined;
  }

  /**
   * An owner's locks after `req`: same-type locks touching the request
   * are absorbed into it, everything else it covers is cut away.
   * `weakened` says whether some lock was released or downgraded.
   */
  private apply(mine: readonly RecordLock[], req: RecordRequest): { kept: RecordLock[]; weakened: boolean } {
    let { start, end } = req;
    let rest = [...mine];
    if (req.type !== undefined) {
      for (;;) {
        const touching = (l: RecordLock) => l.type === req.type && l.start <= end + 1n && start <= l.end + 1n;
        const absorbed = rest.filter(touching);
        if (absorbed.length === 0) break;
        for (const l of absorbed) {
          if (l.start < start) start = l.start;
          if (l.end > end) end = l.end;
        }
        rest = rest.filter((l) => !touching(l));
      }
    }
    const cut = { start, end };
    const kept: RecordLock[] = [];
    let weakened = false;
    for (const l of rest) {
      if (!overlaps(l, cut)) {
        kept.push(l);
        continue;
      }
      // A different type (or an unlock) over part of this lock: keep what sticks out.
      weakened ||= req.type === undefined || l.type === 'write';
      if (l.start < start) kept.push({ ...l, end: start - 1n });
      if (l.end > end) kept.push({ ...l, start: end + 1n });
    }
    if (req.type !== undefined) kept.push({ owner: req.owner, ofd: req.ofd, pid: req.pid, type: req.type, start, end });
    kept.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return { kept, weakened };
  }

  private noteHeld(owner: object, key: string, holds: boolean): void {
    const keys = this.held.get(owner);
    if (holds) {
      if (keys) keys.add(key);
      else this.held.set(owner, new Set([key]));
    } else if (keys) {
      keys.delete(key);
      if (keys.size === 0) this.held.delete(owner);
    }
  }

  /** Whether `owner` holds any record lock at all (cheap: close(2) asks on every descriptor). */
  holdsRecords(owner: object): boolean {
    return this.held.has(owner);
  }

  /** Drops every record lock `owner` holds on `key` (POSIX: any close of the file; OFD: the last close). */
  releaseRecords(owner: object, key: string): void {
    this.setRecord(key, { owner, ofd: false, pid: 0, type: undefined, start: 0n, end: OFFSET_MAX });
  }

  /**
   * Deadlock check for a POSIX F_SETLKW by `owner` that found `blocker`:
   * follows "the owner of that lock waits for a lock of …" and reports
   * a cycle back to `owner` (bounded, like Linux).
   */
  wouldDeadlock(owner: object, blocker: RecordLock): boolean {
    if (blocker.ofd) return false;
    let next: object = blocker.owner;
    for (let i = 0; i < MAX_DEADLOCK_STEPS; i++) {
      const w = [...this.waiting.values()].find((x) => x.owner === next);
      if (!w) return false;
      if (w.blocker === owner) return true;
      next = w.blocker;
    }
    return false;
  }

  /** Records that `waiter` (a parked task of POSIX owner `owner`) waits for a lock of `blocker`. */
  startWaiting(waiter: object, owner: object, blocker: RecordLock): void {
    if (!blocker.ofd) this.waiting.set(waiter, { owner, blocker: blocker.owner });
  }

  stopWaiting(waiter: object): void {
    this.waiting.delete(waiter);
  }

  /**
   * flock(2) for description `owner`: undefined unlocks. Returns false on
   * a conflict (the caller fails with EWOULDBLOCK or waits); a conversion
   * has then already dropped the old lock.
   */
  flock(key: string, owner: object, type: FlockType | undefined): boolean {
    const f = this.file(key);
    const cur = f.flocks.get(owner);
    if (cur !== undefined && cur === type) return true;
    if (cur !== undefined) {
      f.flocks.delete(owner);
      f.changed.notify();
    }
    let ok = true;
    if (type !== undefined) {
      for (const [o, held] of f.flocks) if (o !== owner && (held === 'exclusive' || type === 'exclusive')) ok = false;
      if (ok) f.flocks.set(owner, type);
    }
    this.tidy(key);
    return ok;
  }

  /** The last close of a description: its flock and OFD record locks end. */
  releaseDescription(owner: object, key: string): void {
    this.flock(key, owner, undefined);
    this.releaseRecords(owner, key);
  }

  /** Record locks of `key`, for tests and /proc/locks-style reports. */
  records(key: string): RecordLock[] {
    return [...(this.files.get(key)?.records.values() ?? [])].flat();
  }
}
