/**
 * A pod container's memory limit (`linux.resources.memory_limit_in_bytes`
 * of CreateContainer / UpdateContainerResources): kernel/memcg.ts's
 * accounting over the container's live processes and its files in memory
 * (writable layer, /tmp, /dev/shm), checked after each of its syscalls
 * (Kernel.afterSyscall) and, while they run, by interrupting them
 * (requestStops). Over the limit,
 * the process with the highest badness (its size moved by its
 * oom_score_adj) gets SIGKILL, logged in the debug log and counted;
 * the container then reports it (exit event `oomKilled`), as containerd
 * reports a container any of whose processes the OOM killer killed.
 */
import { Charged, MEASURE_INTERVAL_NS, MemoryCgroup } from '../kernel/memcg';
import type { Kernel } from '../kernel/kernel';
import type { Process, Task } from '../kernel/task';
import type { Context } from '../platform/platform';
import type { MemoryManager } from '../mm/mm';
import { monotonicNs, type TimerHandle } from '../kernel/timers';
import { sendSignal } from '../kernel/signal/send';
import { measureResident } from '../kernel/resident';
import { type CgroupMemoryUsage, cpuUsageNs, members } from '../kernel/cgroup';
import { type FilesInMemory, filesBytes } from '../vfs/memfiles';

const SIGKILL = 9;
/**
 * While the container is under its bound, a syscall of a process whose
 * areas did not change since the last check is not checked again, up to
 * this many times in a row (the writable layer may grow meanwhile).
 */
const QUICK_PASSES = 1000;

function areaBytes(areas: ReadonlyArray<{ start: number; end: number }>): number {
  let n = 0;
  for (const a of areas) n += a.end - a.start;
  return n;
}

/** A process as charged: its mapped bound, and its resident memory through one of its stopped threads. */
class ProcessCharge implements Charged {
  /** The bound, kept while the process's areas stay as they were (it is asked after every syscall). */
  private bound: { mm: MemoryManager; generation: number; bytes: number } | undefined;
  /** A forked image's pages shared with its parent, as first measured (not charged to it). */
  private shared: { mm: MemoryManager; bytes: number } | undefined;

  constructor(
    readonly process: Process,
    /** Whether a thread is stopped, so the platform can inject into it. */
    private readonly stopped: (t: Task) => boolean,
  ) {}

  get oomScoreAdj(): number {
    return this.process.oomScoreAdj;
  }

  /** Whether the bound still describes the process's areas (nothing mapped or unmapped since). */
  current(): boolean {
    const mm = this.process.mm;
    return this.bound?.mm === mm && this.bound.generation === mm.vmas.generation;
  }

  committed(): number {
    const mm = this.process.mm;
    const b = this.bound;
    if (b !== undefined && this.current()) return b.bytes;
    const bytes = areaBytes(mm.chargedAreas());
    this.bound = { mm, generation: mm.vmas.generation, bytes };
    return bytes;
  }

  /**
   * Resident bytes, less for a fork's child (until it execs) what it
   * shares with its parent copy-on-write: Linux charges those pages once.
   * mincore cannot tell shared from copied pages, so what the child holds
   * when first measured, up to all the parent had mapped, counts as shared
   * (a child rewriting inherited pages is undercharged).
   */
  measure(): number | undefined {
    const mm = this.process.mm;
    const resident = measureResident(this.process, mm.chargedAreas(), this.stopped);
    if (resident === undefined || mm.inheritedBytes === 0) return resident;
    if (this.shared?.mm !== mm) this.shared = { mm, bytes: Math.min(resident, mm.inheritedBytes) };
    return Math.max(0, resident - this.shared.bytes);
  }
}

export class ContainerMemory {
  private readonly cgroup = new MemoryCgroup<ProcessCharge>();
  private readonly charges = new WeakMap<Process, ProcessCharge>();
  /** What its files take in memory (data and inodes) at the last full check. */
  private fileBytes = 0;
  /** When running processes may next be asked to stop for a measurement. */
  private nextStopRequest = 0n;
  /** A thread stopped on our request (interrupted()), measurable though the scheduler has it running. */
  private stoppedNow: Context | undefined;
  private readonly isStopped = (t: Task): boolean => t.ctx === this.stoppedNow || !this.kernel.sched.runsAppCode(t);
  /** The pending re-check (recheckLater) and the container's CPU time (cpu.stat's) at the last one. */
  private recheck: TimerHandle | undefined;
  private cpuAtRecheck = -1n;
  /** Syscalls let through since the last full check (every member's bound is current after one). */
  private quickPasses = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly id: string,
    /** The container's files held in Sentry memory (its writable layer and tmpfs mounts). */
    private readonly files: () => FilesInMemory,
    limit: number,
    /** Called before the victim is killed (its death may end the container at once). */
    private readonly onOomKill: (p: Process) => void,
  ) {
    this.setLimit(limit);
  }

  get limit(): number {
    return this.cgroup.limit;
  }

  get oomKills(): number {
    return this.cgroup.oomKills;
  }

  /** Its files in memory and its processes' resident memory, measured now (a process running app code counts 0). */
  usage(): CgroupMemoryUsage {
    return { anonBytes: this.members().reduce((sum, m) => sum + (m.measure() ?? 0), 0), ...this.files() };
  }

  /** 0 (or less) means unlimited. */
  setLimit(bytes: number): void {
    if (!Number.isSafeInteger(bytes)) throw new Error(`memory limit ${bytes} is not an integer`);
    this.cgroup.limit = Math.max(0, bytes);
  }

  /**
   * After a syscall of one of the container's processes (`caller`): kills
   * the worst one if the container is over its limit. The common case,
   * a container under its bound whose caller mapped nothing, costs two
   * property reads (this runs after every syscall).
   */
  check(caller?: Process): void {
    if (this.cgroup.limit <= 0) return;
    if (caller !== undefined && this.cgroup.underBound && this.quickPasses < QUICK_PASSES) {
      if (this.charges.get(caller)?.current()) {
        this.quickPasses++;
        return;
      }
    }
    this.quickPasses = 0;
    const now = monotonicNs();
    this.fileBytes = filesBytes(this.files());
    const members = this.members();
    const verdict = this.cgroup.check(members, this.fileBytes, now);
    if (!verdict) {
      if (!this.cgroup.underBound) this.recheckLater(now);
      return;
    }
    const p = verdict.victim.process;
    this.cgroup.killed(verdict.victim);
    this.kernel.debug(
      `oom-kill: container ${this.id} uses ${verdict.usage} bytes, over its limit of ${this.cgroup.limit} ` +
        `(files ${this.fileBytes}): killed process ${p.pid} (${p.comm}) with oom_score_adj ${p.oomScoreAdj}, the worst; oom_kill ${this.cgroup.oomKills}`,
    );
    this.onOomKill(p);
    sendSignal(p, SIGKILL);
  }

  /**
   * While tasks run app code: a process computing without syscalls is
   * never checked after one, so when the container is over its bound, one
   * thread of each process with no stopped thread is asked to stop
   * (Context.interrupt); interrupted() then measures it. At most every
   * MEASURE_INTERVAL_NS.
   */
  requestStops(): void {
    if (this.cgroup.limit <= 0) return;
    const now = monotonicNs();
    if (now < this.nextStopRequest) return;
    this.nextStopRequest = now + MEASURE_INTERVAL_NS;
    const members = this.members();
    const bound = members.reduce((sum, m) => sum + m.committed(), this.fileBytes);
    if (bound <= this.cgroup.limit) return;
    this.quickPasses = QUICK_PASSES; // a process that grew (a new child) checks fully at its next syscall
    for (const m of members) {
      const tasks = [...m.process.tasks];
      if (!tasks.some(this.isStopped)) tasks[0]?.ctx.interrupt?.();
    }
  }

  /** A thread of the container stopped as requestStops asked: the container is checked with it measurable. */
  interrupted(ctx: Context): void {
    this.stoppedNow = ctx;
    try {
      this.check();
    } finally {
      this.stoppedNow = undefined;
    }
  }

  /**
   * Over its bound but not found over its limit, a container is checked
   * again once the measuring interval has passed, if its processes ran
   * since and all of them are now in system calls: one that touched
   * memory and then went to sleep makes no more system calls to be
   * checked after, nor runs to be interrupted. (While one runs app code,
   * requestStops measures, and a check here would only restart the
   * interval with nothing measured of it; its next system call re-arms
   * this.)
   */
  private recheckLater(now: bigint): void {
    if (this.recheck) return;
    this.recheck = this.kernel.timers.schedule(now + MEASURE_INTERVAL_NS, () => {
      this.recheck = undefined;
      const members = this.members();
      if (!members.every((m) => [...m.process.tasks].every(this.isStopped))) return;
      const cpu = cpuUsageNs(this.kernel, this.id);
      if (cpu === this.cpuAtRecheck) return;
      this.cpuAtRecheck = cpu;
      this.check();
    });
  }

  /** The container's live processes, each with its charge. */
  private members(): ProcessCharge[] {
    return members(this.kernel, this.id).map((p) => {
      let c = this.charges.get(p);
      if (!c) this.charges.set(p, (c = new ProcessCharge(p, this.isStopped)));
      return c;
    });
  }
}
