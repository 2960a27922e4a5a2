/**
 * Giving memory back when the sandbox goes idle.
 *
 * The Sentry never returns to Node's event loop (the scheduler blocks in
 * waitpid, poll or a sleep), so V8's idle-time and memory-reducing
 * collections never run. Whatever a burst of work left behind (the copy
 * buffers of ELF loading, control messages, young-generation garbage)
 * would stay resident for as long as the pod idles: for a pod whose
 * container sleeps, forever. So once every task has been parked for
 * IDLE_COLLECT_AFTER_NS after some work, the scheduler collects garbage and
 * trims the C heap, once per idle streak. Measured with bench/cri.ts's idle
 * pods: about 3 MiB less PSS per pod Sentry.
 *
 * The grace period keeps collections off busy workloads: a task that sleeps
 * for less than that between bursts never triggers one (V8 collects as it
 * allocates there anyway), and a server waiting for its next request only
 * pays once it has been quiet that long.
 *
 * The Gofer, which does return to the event loop but whose requests come in
 * bursts (a container starting, then nothing), collects the same way from a
 * timer (idleTimer).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { trimMalloc } from '../platform/host/malloc';

/** How long every task must have been parked, after some work, before the Sentry collects. */
export const IDLE_COLLECT_AFTER_NS = 2_000_000_000n;

const MiB = 1024 * 1024;

/**
 * A full, compacting garbage collection (when node runs with --expose-gc, as
 * bin/tsvisor starts the Sentry and gofer/launch.ts the Gofer; skipped
 * otherwise), then malloc_trim for the Buffer memory it freed. Returns a
 * line for the debug log.
 *
 * A full collection frees objects but leaves the old generation's pages as
 * fragmented as it found them: V8 only compacts pages it judges fragmented
 * enough to pay for the move. Idle, the move is worth it, so this one
 * collection runs with --compact-on-every-full-gc (switched back off after,
 * so collections under load stay as V8 schedules them): an idle pod's Sentry
 * keeps 2.3 MiB less (old space 10.0 -> 7.7 MiB of pages for 7.5 MiB of
 * objects), its Gofer about 0.3 MiB less.
 */
export function collectGarbage(): string {
  const before = getHeapStatistics();
  if (typeof gc !== 'function') {
    trimMalloc();
    return 'idle: malloc trimmed; no garbage collection (node was started without --expose-gc)';
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  trimMalloc();
  const after = getHeapStatistics();
  const mib = (n: number): string => (n / MiB).toFixed(1);
  return `idle: garbage collected, V8 heap in use ${mib(before.used_heap_size)} -> ${mib(after.used_heap_size)} MiB, external ${mib(before.external_memory)} -> ${mib(after.external_memory)} MiB; malloc trimmed`;
}

export class IdleCollector {
  /** Work happened since the last collection (the Sentry's start-up counts). */
  private dirty = true;
  /** When the current idle streak began. */
  private idleSinceNs: bigint | undefined;

  constructor(private readonly collect: () => void) {}

  /** The scheduler ran a task (a syscall or a resume): the idle streak, if any, is over. */
  noteWork(): void {
    this.dirty = true;
    this.idleSinceNs = undefined;
  }

  /**
   * Every task is parked and the scheduler means to sleep `waitNs` from
   * `nowNs`. Collects if the streak is long enough (then returns 0 so the
   * caller recomputes its wait: the collection took time), else returns the
   * sleep shortened to wake up when the collection is due.
   */
  beforeSleep(nowNs: bigint, waitNs: bigint): bigint {
    if (!this.dirty) return waitNs;
    this.idleSinceNs ??= nowNs;
    const idleFor = nowNs - this.idleSinceNs;
    if (idleFor >= IDLE_COLLECT_AFTER_NS) {
      this.dirty = false;
      this.idleSinceNs = undefined;
      this.collect();
      return 0n;
    }
    const left = IDLE_COLLECT_AFTER_NS - idleFor;
    return waitNs < left ? waitNs : left;
  }
}

/**
 * For a process that returns to Node's event loop (the Gofer): runs
 * `collect` once IDLE_COLLECT_AFTER_NS has passed since start-up or the
 * last call of the returned function, which the process calls whenever it
 * does work. Once per idle streak, like IdleCollector; the timer never keeps
 * the process alive.
 */
export function idleTimer(collect: () => void): () => void {
  const timer = setTimeout(collect, Number(IDLE_COLLECT_AFTER_NS / 1_000_000n));
  timer.unref();
  // refresh() re-arms a timer that has already fired, and only moves a pending one.
  return () => void timer.refresh();
}
