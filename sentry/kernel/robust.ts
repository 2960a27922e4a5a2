/**
 * Robust futex lists (set_robust_list(2)): when a thread dies (exit, a
 * fatal signal, the end of its process) or execs, the kernel walks the
 * list of locks it held and marks each one whose owner field is the dying
 * thread's tid: FUTEX_OWNER_DIED is set, FUTEX_WAITERS kept, the tid
 * cleared, and one waiter woken if there were waiters. The next locker
 * then sees EOWNERDEAD (pthread robust mutexes).
 *
 * User-space layout (x86_64):
 *   struct robust_list_head { struct robust_list *next; long futex_offset;
 *                             struct robust_list *list_op_pending; }
 * Entries form a circular list through `next`, ending back at the head;
 * each lock's futex word is at entry + futex_offset. Bit 0 of a pointer
 * marks a priority-inheritance futex. list_op_pending is the lock the
 * thread was in the middle of taking or releasing.
 *
 * The word is updated with a read and a write from the Sentry: no futex
 * syscall can run in between (the Sentry handles them one at a time), and
 * a concurrent user-space compare-and-swap can only add FUTEX_WAITERS, in
 * which case its FUTEX_WAIT fails with EAGAIN because the word changed and
 * the waiter looks again.
 */
import type { Task } from './task';

const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;
/** The most entries walked, so a corrupt or cyclic list cannot hang the Sentry (Linux's ROBUST_LIST_LIMIT). */
export const ROBUST_LIST_LIMIT = 2048;
const HEAD_SIZE = 24;

function readPtr(t: Task, addr: number): { entry: number; pi: boolean } {
  const v = t.mem.read(addr, 8).readBigUInt64LE();
  return { entry: Number(v & ~1n), pi: (v & 1n) !== 0n };
}

/**
 * The dying thread's part for one futex word. `pending` is the
 * list_op_pending entry: if its owner field is already 0 the thread died
 * after releasing it but before waking anyone, so a waiter is woken and
 * the word left alone.
 */
function ownerDied(t: Task, addr: number, pi: boolean, pending: boolean): void {
  if (addr % 4 !== 0) throw new Error('unaligned robust futex'); // ends the walk, as Linux's does
  const word = t.mem.read(addr, 4).readUInt32LE(0);
  const futexes = t.kernel.futexes;
  const key = futexes.key(t.process.mm, addr);
  const owner = word & FUTEX_TID_MASK;
  if (pending && !pi && owner === 0) {
    futexes.wake(key, 1);
    return;
  }
  if (owner !== t.tid) return;
  const next = Buffer.alloc(4);
  next.writeUInt32LE(((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0);
  t.mem.write(addr, next);
  // Priority-inheritance futexes are not supported, so only plain ones have waiters to wake.
  if (!pi && word & FUTEX_WAITERS) futexes.wake(key, 1);
}

/**
 * Walks `t`'s robust list (if it registered one) and marks the locks it
 * still holds; bounded by ROBUST_LIST_LIMIT. A fault ends the walk, as in
 * Linux; so does a stub that is already gone (its memory cannot be read).
 * The registration is dropped: exec and exit both end it.
 */
export function exitRobustList(t: Task): void {
  const head = t.robustList;
  if (head === 0) return;
  t.robustList = 0;
  try {
    walk(t, head);
  } catch {
    // Unreadable list or word: nothing more to do for a dying thread.
  }
}

function walk(t: Task, head: number): void {
  const h = t.mem.read(head, HEAD_SIZE);
  const offset = Number(h.readBigInt64LE(8));
  const first = h.readBigUInt64LE(0);
  let cur = { entry: Number(first & ~1n), pi: (first & 1n) !== 0n };
  const pendingRaw = h.readBigUInt64LE(16);
  const pending = { entry: Number(pendingRaw & ~1n), pi: (pendingRaw & 1n) !== 0n };
  for (let n = 0; cur.entry !== head && n < ROBUST_LIST_LIMIT; n++) {
    // Read the next link first: marking the lock lets another thread take and unlink it.
    let next: { entry: number; pi: boolean } | undefined;
    try {
      next = readPtr(t, cur.entry);
    } catch {
      next = undefined; // this entry is still handled, then the walk ends
    }
    if (cur.entry !== pending.entry) ownerDied(t, cur.entry + offset, cur.pi, false);
    if (!next) return;
    cur = next;
  }
  if (pending.entry !== 0) ownerDied(t, pending.entry + offset, pending.pi, true);
}
