/**
 * A container's memory limit, enforced inside the Sentry as Linux's memory
 * cgroup enforces `memory.max` for runc: when what the container's
 * processes hold exceeds the limit, one of its processes is killed with
 * SIGKILL (the OOM killer), and the kill is counted (memory.events'
 * oom_kill). The victim is the one with the highest badness (kernel/oom.ts:
 * resident memory moved by its oom_score_adj); when every process is at
 * -1000, none is killed and the container stays over its limit.
 *
 * What is charged, as memcg would: the memory each process has resident
 * (its private and anonymous pages it touched, measured by the platform),
 * plus the container's files held in Sentry memory (its writable layer).
 *
 * Measuring is not free (the platform asks the host, through the stub), so
 * the check works from a cheap upper bound: a process can have no more
 * resident than it has mapped privately (`committed`). While the bound of
 * the whole container stays under the limit nothing is measured. Above it,
 * the last measurement plus whatever was mapped since is the estimate;
 * processes are measured again when that estimate crosses the limit or
 * MEASURE_INTERVAL_NS has passed, so a process that keeps touching memory
 * it mapped earlier (dd filling its buffer) is caught within that interval.
 * Only measured numbers ever kill: a process that reserved much but touched
 * little (thread stacks, a Go heap arena) is never killed for its bound.
 *
 * Known gaps: a process touching memory without making system calls is
 * only measured at its next system call; a process running app code when
 * another one is checked keeps its last measurement; pages shared
 * copy-on-write between a parent and its forked child count in both.
 */

import { badness } from './oom';

/** Re-measure a container over its bound at most this often, unless it mapped past the limit since. */
export const MEASURE_INTERVAL_NS = 10_000_000n;

/** A process as the memory cgroup sees it. */
export interface Charged {
  /** Bytes it could have resident at most: its private and anonymous mapped memory. */
  committed(): number;
  /** Bytes it has resident now; undefined when it cannot be measured now (its code is running). */
  measure(): number | undefined;
  /** Its oom_score_adj (kernel/oom.ts): -1000 is never killed. */
  readonly oomScoreAdj: number;
}

interface Measured {
  resident: number;
  committed: number;
}

export interface OomVerdict<P> {
  /** Charged bytes (measured, or the last measurement of what could not be measured now). */
  usage: number;
  victim: P;
}

export class MemoryCgroup<P extends Charged> {
  /** The limit in bytes; 0: unlimited. */
  limit = 0;
  /** Processes killed by the OOM killer (memory.events oom_kill). */
  oomKills = 0;
  /** The highest usage measured (memory.peak, as far as the checks saw it). */
  peak = 0;
  /** The last check found the members' upper bound within the limit (nothing was measured). */
  underBound = false;
  private readonly last = new WeakMap<P, Measured>();
  private lastCheckNs: bigint | undefined;

  /**
   * Checks the members against the limit after their memory may have grown.
   * Returns the process to kill when the container is over its limit.
   */
  check(members: readonly P[], fileBytes: number, nowNs: bigint): OomVerdict<P> | undefined {
    this.underBound = false;
    if (this.limit <= 0) return undefined;
    const committed = members.map((p) => p.committed());
    const bound = fileBytes + committed.reduce((a, b) => a + b, 0);
    this.underBound = bound <= this.limit;
    if (this.underBound) return undefined;
    const fresh = this.lastCheckNs === undefined || nowNs - this.lastCheckNs >= MEASURE_INTERVAL_NS;
    if (!fresh && this.estimate(members, committed, fileBytes) <= this.limit) return undefined;
    this.lastCheckNs = nowNs;
    const resident = members.map((p, i) => {
      const r = p.measure();
      if (r !== undefined) this.last.set(p, { resident: r, committed: committed[i] });
      return r ?? this.last.get(p)?.resident ?? 0;
    });
    const usage = fileBytes + resident.reduce((a, b) => a + b, 0);
    this.peak = Math.max(this.peak, usage);
    if (usage <= this.limit) return undefined;
    // The highest badness (resident pages, moved by oom_score_adj thousandths of the limit), as Linux's memcg OOM.
    let victim: P | undefined;
    let worst = -Infinity;
    members.forEach((p, i) => {
      const points = badness(resident[i], p.oomScoreAdj, this.limit);
      if (points !== undefined && points > worst) [victim, worst] = [p, points];
    });
    return victim && { usage, victim };
  }

  /** The victim was killed: counted, and the next check measures again. */
  killed(victim: P): void {
    this.oomKills++;
    this.last.delete(victim);
    this.lastCheckNs = undefined;
  }

  /** Last measurements plus what was mapped since (never measured: its whole bound). */
  private estimate(members: readonly P[], committed: readonly number[], fileBytes: number): number {
    let total = fileBytes;
    members.forEach((p, i) => {
      const m = this.last.get(p);
      total += m === undefined ? committed[i] : Math.min(committed[i], m.resident + Math.max(0, committed[i] - m.committed));
    });
    return total;
  }
}
