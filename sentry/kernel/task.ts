import type { MemPolicy } from './mempolicy';
import { Context, MemoryIO, Registers } from '../platform/platform';
import { MemoryManager } from '../mm/mm';
import { FdTable } from '../vfs/fdtable';
import { FsContext } from '../vfs/fscontext';
import type { Vfs } from '../vfs/vfs';
import { defaultSchedAttr, type SchedAttr } from './schedattr';
import { semNamespace } from './ipc/namespace';
import type { SemUndoList } from './ipc/sem';
import { Credentials } from './creds';
import { Rlimit } from './limits';
import { SignalActions, SignalMask, SignalQueue } from './signals';
import { Block, WaitQueue } from './wait';
import { monotonicNs } from './timers';
import { clearChildTid } from './futex';
import { timersOnExit } from './signal/itimers';
import { exitRobustList } from './robust';
import { creatorThreadExited, parentExited } from './pdeath';
import { NO_SECCOMP, type SeccompState } from './seccomp/filter';
import type { Kernel } from './kernel';

/** A thread group: what Linux calls a process. Pids are virtual (the first is 1). */
export class Process {
  /** argv/envp of the current image, for /proc/[pid]/cmdline and environ. */
  argv: string[] = [];
  envp: string[] = [];
  /** Sandbox path of the current executable (/proc/[pid]/exe). */
  exe = '';
  /** comm (PR_SET_NAME, /proc/[pid]/comm): basename of exe, 15 bytes at most. */
  comm = '';
  pgid: number;
  sid: number;
  /** Set once the whole group has exited: wait status in Linux's encoding. */
  exitStatus: number | undefined;
  readonly tasks = new Set<Task>();
  readonly sigactions = new SignalActions();
  /** Process-directed pending signals. */
  readonly sigPending = new SignalQueue();
  /** The parent (undefined for the sandbox's init) and the children not yet reaped. */
  parent: Process | undefined;
  readonly children = new Set<Process>();
  /** Notified when a child exits, stops or continues (wait4/waitid wait here). */
  readonly childEvents = new WaitQueue();
  /** Notified when this process exits and when it is reaped (its pidfds' readiness). */
  readonly exitEvents = new WaitQueue();
  /** Signal sent to the parent at exit (SIGCHLD unless clone() said otherwise; 0: none). */
  exitSignal = 17;
  /** personality(2): PER_LINUX, with ADDR_NO_RANDOMIZE or not; inherited by children, kept across exec. */
  personality = 0;
  /** /proc/[pid]/oom_score_adj and the floor below which writing it needs CAP_SYS_RESOURCE (kernel/oom.ts); inherited, kept across exec. */
  oomScoreAdj = 0;
  oomScoreAdjMin = 0;
  /** SEM_UNDO adjustments (kernel/ipc/sem.ts): made at the first SEM_UNDO; shared with CLONE_SYSVSEM children; applied at the last holder's exit. */
  semUndo: SemUndoList | undefined;
  /** PR_SET_DUMPABLE / PR_SET_NO_NEW_PRIVS state. */
  dumpable = 1;
  noNewPrivs = 0;
  /** seccomp mode and filters (kernel/seccomp/filter.ts): inherited by children, kept across exec. */
  seccomp: SeccompState = NO_SECCOMP;
  /** The thread of the parent that created this process (its death sends PR_SET_PDEATHSIG signals). */
  creatorTid = 0;
  /** The mount namespace: the root filesystem of the container this process belongs to. */
  mounts: Vfs;
  /** The pod container this process belongs to ('' in a single-command sandbox). */
  container = '';
  /**
   * Set for a process the Sentry plays itself, which runs no code (the
   * pod's pause, sentry/pod/pause.ts): signals sent to it come here instead
   * of being queued. Returns whether the signal took effect.
   */
  takeSignal: ((signo: number) => boolean) | undefined;
  /**
   * The stub's host leader thread after the group leader's task exited
   * while other threads live on (the task with tid == pid always runs on
   * it). The host reports a leader's exit only after its whole group's, so
   * it stays stopped here, as Linux keeps a zombie leader, until the
   * process ends or an execve takes it over (kernel/dethread.ts).
   */
  idleLeader: Context | undefined;
  /** When the process was made (kernel uptime): /proc/[pid]/stat's starttime, kept across exec as in Linux. */
  readonly startNs: bigint;

  constructor(
    readonly kernel: Kernel,
    readonly pid: number,
    public ppid: number,
    public mm: MemoryManager,
    public fds: FdTable,
    public fs: FsContext,
    public creds: Credentials,
    public limits: Rlimit[],
  ) {
    this.pgid = pid;
    this.sid = pid;
    this.mounts = kernel.vfs;
    this.startNs = kernel.uptimeNs();
  }

  /**
   * CPU time the process's app code has used: the host's process clock of
   * its stub, read through the leader's host thread (the host gives a
   * process clock only for a group leader's pid).
   */
  cpuTimeNs(): bigint {
    return (this.leader?.ctx ?? this.idleLeader)?.cpuTimeNs() ?? 0n;
  }

  /** The group leader's task (tid == pid), while it has not exited. */
  get leader(): Task | undefined {
    for (const t of this.tasks) if (t.tid === this.pid) return t;
    return undefined;
  }

  /**
   * Ends every task of the group with wait status `status` (exit code << 8,
   * or the terminating signal | 0x80 for a core dump) and kills their host
   * threads.
   */
  exit(status: number): void {
    if (this.exitStatus !== undefined) return;
    this.exitStatus = status;
    const spent = this.kernel.exitedCpuNs;
    spent.set(this.container, (spent.get(this.container) ?? 0n) + this.cpuTimeNs()); // before its host threads go
    // The leader last: Linux reports a thread-group leader's death only after
    // every other thread of the group has been reaped.
    const leaderLast = [...this.tasks].sort((a, b) => Number(a.tid === this.pid) - Number(b.tid === this.pid));
    for (const t of leaderLast) {
      exitRobustList(t);
      t.ctx.kill();
      t.sigPending.clear();
      this.kernel.removeTask(t.tid);
    }
    this.tasks.clear();
    this.sigPending.clear();
    this.idleLeader?.kill();
    this.idleLeader = undefined;
    this.mm.releaseCaches();
    if (this.semUndo && --this.semUndo.users === 0) semNamespace(this.kernel).applyUndo(this.semUndo, this.pid);
    timersOnExit(this);
    this.fds.closeAll();
    parentExited(this);
    this.kernel.orphan(this);
    this.kernel.onProcessExit(this);
    this.exitEvents.notify();
  }

  /** Whether wait4/waitid (or an ignored SIGCHLD) took this exited process away: its pid may be reused. */
  get reaped(): boolean {
    return this.kernel.processes.get(this.pid) !== this;
  }
}

/** One application thread, running on a platform Context. */
export class Task {
  /** set_tid_address(2): cleared and futex-woken at exit. */
  clearChildTid = 0;
  /** set_robust_list(2) head (walked at exit and exec: kernel/robust.ts). */
  robustList = 0;
  /** prctl(PR_SET_PDEATHSIG): per thread, 0 in every new task (kernel/pdeath.ts). */
  pdeathSignal = 0;
  sigmask: SignalMask = 0n;
  /** sigaltstack(2): ss_sp, ss_flags, ss_size. */
  altStack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  /** Nice, policy, priorities: kept and reported, not acted on (kernel/schedattr.ts). */
  schedAttr: SchedAttr = defaultSchedAttr();
  /** set_mempolicy(2)'s policy for this thread (none: MPOL_DEFAULT); clones inherit it, exec keeps it. */
  memPolicy: MemPolicy | undefined;
  /** Thread-directed pending signals. */
  readonly sigPending = new SignalQueue();
  /** Set while the task is parked in a syscall (see kernel/wait.ts). */
  blocked: Block | undefined;
  /** The deadline the current syscall chose on its first run (kept across re-runs). */
  private syscallDeadline: bigint | undefined;

  /**
   * `tid` and `ctx` change only when an execve from this thread makes it
   * the group leader (kernel/dethread.ts).
   */
  constructor(
    readonly kernel: Kernel,
    public tid: number,
    readonly process: Process,
    public ctx: Context,
  ) {
    process.tasks.add(this);
  }

  /**
   * Absolute deadline for a syscall that waits at most `relativeNs`: fixed
   * on the syscall's first run, so re-runs after wake-ups keep it.
   */
  deadline(relativeNs: bigint): bigint {
    return (this.syscallDeadline ??= monotonicNs() + relativeNs);
  }

  /** Called by the dispatcher when a syscall completes (not when it blocks). */
  syscallDone(): void {
    this.syscallDeadline = undefined;
    this.blocked = undefined;
  }

  /**
   * Ends this thread alone (exit(2) of one thread): its host thread goes,
   * the address space stays. The last thread's exit ends the process.
   */
  exitThread(status: number): void {
    if (this.process.tasks.size === 1) {
      this.process.exit(status);
      return;
    }
    this.leaveGroup();
  }

  /**
   * Ends this task's host thread while others of the stub live on; the
   * leader's is only halted and kept (Process.idleLeader).
   */
  private endHostThread(): void {
    if (this.tid !== this.process.pid) {
      this.ctx.exitThread();
      return;
    }
    this.ctx.halt();
    this.process.idleLeader = this.ctx;
  }

  /**
   * What Linux does for a thread that exits while its group lives on: the
   * robust list and clear_child_tid (read and written through its own host
   * thread, so before that ends), the children it created go to another
   * thread, and it leaves the scheduler's queues and the tid table. `heir`
   * adopts its children.
   */
  leaveGroup(heir?: Task): void {
    this.ctx.halt(); // no app code of its own runs while its locks are released
    exitRobustList(this);
    clearChildTid(this);
    this.endHostThread();
    this.sigPending.clear(); // its own pending signals end with it, as in Linux
    this.process.tasks.delete(this);
    this.kernel.removeTask(this.tid);
    this.kernel.sched.forget(this);
    creatorThreadExited(this, heir ?? [...this.process.tasks][0]);
  }

  get mem(): MemoryIO {
    return this.ctx.mem;
  }

  get regs(): Registers {
    return this.ctx.regs;
  }
}
