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
 * trims the C heap, and if the quiet lasts IDLE_RELEASE_AFTER_NS more,
 * collects again to give back the young generation; once each per idle
 * streak. Measured with bench/cri.ts's idle pods: about 3 MiB less PSS per
 * pod Sentry from the first; the second takes `tsvisor do` of a sleeping
 * shell's Sentry from 13.1 to 11.1 MiB anonymous, its Gofer from 7.5 to 6.5.
 *
 * The grace period keeps collections off busy workloads: a task that sleeps
 * for less than that between bursts never triggers one (V8 collects as it
 * allocates there anyway), and a server waiting for its next request only
 * pays once it has been quiet that long.
 *
 * The Gofer, whose requests come in bursts too (a container starting, then
 * nothing), collects the same way from its poll loop (gofer/serve.ts).
 */
import type * as V8 from 'node:v8';
import { trimMalloc } from '../platform/host/malloc';

/** How long every task must have been parked, after some work, before the Sentry collects. */
export const IDLE_COLLECT_AFTER_NS = 2_000_000_000n;

/**
 * How much longer the quiet must last, after that collection, before the
 * young generation can be given back. V8 shrinks the young generation and
 * unmaps its spare semi-space only in a full collection that finds the
 * allocation rate of its last 5 s low (Heap::ReduceNewSpaceSize), so those
 * 5 s must not include the burst; measured: 3 s after a collection that
 * came 2 s after the burst is enough, 2 s is not.
 */
export const IDLE_RELEASE_AFTER_NS = 5_000_000_000n;

/**
 * The first collection of a quiet spell frees and compacts; the second,
 * once the allocation rate has settled, also gives back the young
 * generation (two semi-spaces of 1 MiB each with the flags the Sentry and
 * the Gofer run with, resident since the first burst and nearly empty when
 * idle): 2 MiB less per process, measured with `node
 * --max-semi-space-size=1 --single-threaded --expose-gc`.
 */
export type IdlePhase = 'collect' | 'release';

const MiB = 1024 * 1024;

/**
 * Called before each idle collection: caches that keep memory for reuse
 * under load (a link's receive slabs) let go of what they do not use.
 */
export const beforeIdleCollection = new Set<() => void>();

/** node:v8 loads at the first idle collection, not at every Sentry and Gofer start (~5 ms of CPU each). */
const v8 = (): typeof V8 => require('node:v8') as typeof V8;

/**
 * A full, compacting garbage collection (when node runs with --expose-gc, as
 * bin/tsvisor starts the Sentry and gofer/launch.ts the Gofer; skipped
 * otherwise), then malloc_trim for the Buffer memory it freed. Returns a
 * line for the debug log.
 *
 * A full collection frees objects but leaves the old generation's pages as
 * fragmented as it found them: V8 only compacts pages it judges fragmented
 * enough to pay for the move. Idle, the move is worth it, so these
 * collections run with --compact-on-every-full-gc (switched back off after,
 * so collections under load stay as V8 schedules them): an idle pod's Sentry
 * keeps 2.3 MiB less (old space 10.0 -> 7.7 MiB of pages for 7.5 MiB of
 * objects), its Gofer about 0.3 MiB less.
 *
 * 'release' collects twice: the first shrinks the young generation and
 * unmaps the semi-space it is not using, the second, after the flip, the
 * other's unused pages. Both run with --stress-flush-code, which drops the
 * bytecode of every function not on the stack (V8 otherwise drops only
 * what has not run for several collections under load): an idle Sentry
 * keeps 0.75 MiB less (heap in use 7.6 -> 6.9 MiB). Functions compile
 * again when next called; the first exec after such an idle spell took
 * 22-30 ms with it and 23-25 ms without (noise on a shared host).
 */
export function collectGarbage(phase: IdlePhase = 'collect'): string {
  for (const release of beforeIdleCollection) release();
  const { getHeapStatistics, setFlagsFromString } = v8();
  const before = getHeapStatistics();
  if (typeof gc !== 'function') {
    trimMalloc();
    return `idle ${phase}: malloc trimmed; no garbage collection (node was started without --expose-gc)`;
  }
  const youngBefore = youngPages();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    if (phase === 'release') setFlagsFromString('--stress-flush-code');
    gc();
    if (phase === 'release') gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
    if (phase === 'release') setFlagsFromString('--no-stress-flush-code');
  }
  trimMalloc();
  const after = getHeapStatistics();
  const mib = (n: number): string => (n / MiB).toFixed(1);
  return (
    `idle ${phase}: garbage collected, V8 heap in use ${mib(before.used_heap_size)} -> ${mib(after.used_heap_size)} MiB, ` +
    `young generation's pages ${mib(youngBefore)} -> ${mib(youngPages())} MiB, ` +
    `external ${mib(before.external_memory)} -> ${mib(after.external_memory)} MiB; malloc trimmed`
  );
}

/** Resident bytes of V8's young generation. */
function youngPages(): number {
  return v8().getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
}

/**
 * When the Sentry collects: once all its tasks have been parked for
 * IDLE_COLLECT_AFTER_NS after some work, and again, to give back the young
 * generation, IDLE_RELEASE_AFTER_NS later if they still are. Each at most
 * once per idle streak.
 */
export class IdleCollector {
  /** What the current idle streak still has to do (start-up counts as work). */
  private next: IdlePhase | undefined = 'collect';
  /** When the current idle streak began, or when its first collection ended. */
  private sinceNs: bigint | undefined;

  constructor(private readonly collect: (phase: IdlePhase) => void) {}

  /** The scheduler ran a task (a syscall or a resume): the idle streak, if any, is over. */
  noteWork(): void {
    this.next = 'collect';
    this.sinceNs = undefined;
  }

  /**
   * Every task is parked and the scheduler means to sleep `waitNs` from
   * `nowNs`. Collects if the streak is long enough (then returns 0 so the
   * caller recomputes its wait: the collection took time), else returns the
   * sleep shortened to wake up when the next collection is due.
   */
  beforeSleep(nowNs: bigint, waitNs: bigint): bigint {
    const phase = this.next;
    if (phase === undefined) return waitNs;
    this.sinceNs ??= nowNs;
    const due = phase === 'collect' ? IDLE_COLLECT_AFTER_NS : IDLE_RELEASE_AFTER_NS;
    const quietFor = nowNs - this.sinceNs;
    if (quietFor >= due) {
      this.collect(phase);
      this.next = phase === 'collect' ? 'release' : undefined;
      this.sinceNs = undefined;
      return 0n;
    }
    const left = due - quietFor;
    return waitNs < left ? waitNs : left;
  }
}
