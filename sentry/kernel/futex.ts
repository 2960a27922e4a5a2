/**
 * Futex wait lists. A waiter is keyed by its address space and the futex
 * word's address (threads share their process's MemoryManager), except
 * that a shared (non-FUTEX_PRIVATE_FLAG) futex in MAP_SHARED anonymous
 * memory is keyed by the shared object and the offset in it, as Linux
 * keys it by the backing page, so processes that share it (fork) meet.
 * So is one in a shared file mapping (by the file's shared copy,
 * mm/filecache.ts); private file copies are keyed by address space. A wake marks the waiter woken before waking it, so its
 * re-run FUTEX_WAIT returns 0 whatever the word holds now, as Linux's
 * does; a waiter that times out or is interrupted takes itself off the list.
 */
import type { MemoryManager } from '../mm/mm';
import type { Task } from './task';

interface Waiter {
  task: Task;
  bitset: number;
}

const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

export class Futexes {
  private readonly lists = new Map<string, Waiter[]>();
  private readonly woken = new WeakSet<Task>();
  private readonly spaceIds = new WeakMap<MemoryManager, number>();
  private nextSpace = 1;

  /** `shared`: the futex was not FUTEX_PRIVATE_FLAG (robust-list and clear_child_tid wakes are shared, as in Linux). */
  key(mm: MemoryManager, addr: number, shared = true): string {
    const v = shared ? mm.vmas.find(addr) : undefined;
    if (v?.backing.kind === 'sysvshm') return `sysv${v.backing.seg.uid}:${v.backing.offset + (addr - v.start)}`;
    if (v?.backing.kind === 'shmem') return `shm${v.backing.id}:${v.backing.offset + (addr - v.start)}`;
    if (v?.backing.kind === 'file' && v.backing.cache !== undefined) return `file${v.backing.cache}:${v.backing.offset + (addr - v.start)}`;
    let id = this.spaceIds.get(mm);
    if (id === undefined) this.spaceIds.set(mm, (id = this.nextSpace++));
    return `${id}:${addr}`;
  }

  /** True once, if `t` was woken since it started waiting. */
  takeWoken(t: Task): boolean {
    const w = this.woken.has(t);
    this.woken.delete(t);
    return w;
  }

  isWaiting(key: string, t: Task): boolean {
    return this.lists.get(key)?.some((w) => w.task === t) ?? false;
  }

  enqueue(key: string, t: Task, bitset = FUTEX_BITSET_MATCH_ANY): void {
    const list = this.lists.get(key) ?? [];
    list.push({ task: t, bitset });
    this.lists.set(key, list);
  }

  remove(key: string, t: Task): void {
    const list = this.lists.get(key);
    if (!list) return;
    const i = list.findIndex((w) => w.task === t);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.lists.delete(key);
  }

  /** Wakes up to `n` waiters (oldest first) whose bitset intersects `bitset`; returns how many. */
  wake(key: string, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
    const list = this.lists.get(key);
    if (!list) return 0;
    let woken = 0;
    for (let i = 0; i < list.length && woken < n; ) {
      const w = list[i];
      if ((w.bitset & bitset) === 0) {
        i++;
        continue;
      }
      list.splice(i, 1);
      this.woken.add(w.task);
      w.task.kernel.sched.wake(w.task);
      woken++;
    }
    if (list.length === 0) this.lists.delete(key);
    return woken;
  }

  /** Wakes `nWake` waiters of `from`, then moves up to `nMove` others to `to`. Returns woken + moved. */
  requeue(from: string, to: string, nWake: number, nMove: number): number {
    const woken = this.wake(from, nWake);
    const list = this.lists.get(from) ?? [];
    const moved = list.splice(0, nMove);
    if (list.length === 0) this.lists.delete(from);
    if (moved.length > 0) this.lists.set(to, [...(this.lists.get(to) ?? []), ...moved]);
    return woken + moved.length;
  }
}

/**
 * Thread exit with CLONE_CHILD_CLEARTID / set_tid_address: zero the word
 * and wake one waiter (this is what pthread_join sleeps on).
 */
export function clearChildTid(t: Task): void {
  if (t.clearChildTid === 0) return;
  try {
    t.mem.write(t.clearChildTid, Buffer.alloc(4));
  } catch {
    return; // an unmapped address is ignored, as Linux ignores the fault
  }
  t.kernel.futexes.wake(t.kernel.futexes.key(t.process.mm, t.clearChildTid), 1);
}
