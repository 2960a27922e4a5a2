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

const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

export class Futexes {
  /**
   * Waiters per key, oldest first, with their bitsets: a Map keeps insertion
   * order and finds a task at once (with a thousand threads on one futex, a
   * list made every re-run and timeout a scan of the thousand).
   */
  private readonly lists = new Map<string, Map<Task, number>>();
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
    return this.lists.get(key)?.has(t) ?? false;
  }

  enqueue(key: string, t: Task, bitset = FUTEX_BITSET_MATCH_ANY): void {
    const list = this.lists.get(key);
    if (list) list.set(t, bitset);
    else this.lists.set(key, new Map([[t, bitset]]));
  }

  remove(key: string, t: Task): void {
    const list = this.lists.get(key);
    if (!list) return;
    list.delete(t);
    if (list.size === 0) this.lists.delete(key);
  }

  /** Wakes up to `n` waiters (oldest first) whose bitset intersects `bitset`; returns how many. */
  wake(key: string, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
    const list = this.lists.get(key);
    if (!list) return 0;
    let woken = 0;
    for (const [task, mask] of list) {
      if (woken >= n) break;
      if ((mask & bitset) === 0) continue;
      list.delete(task);
      this.woken.add(task);
      task.kernel.sched.wake(task);
      woken++;
    }
    if (list.size === 0) this.lists.delete(key);
    return woken;
  }

  /** Wakes `nWake` waiters of `from`, then moves up to `nMove` others to `to`. Returns woken + moved. */
  requeue(from: string, to: string, nWake: number, nMove: number): number {
    const woken = this.wake(from, nWake);
    const list = this.lists.get(from);
    if (!list) return woken;
    // Taken first: `to` may be `from` itself, whose map would then meet the moved ones again.
    const moving = [...list].slice(0, nMove);
    for (const [task, mask] of moving) {
      list.delete(task);
      this.enqueue(to, task, mask);
    }
    if (list.size === 0) this.lists.delete(from);
    return woken + moving.length;
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
