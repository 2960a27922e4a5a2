import { createVdso, Vdso } from './vdso/vdso';
import { Context, Platform } from '../platform/platform';
import { Vfs } from '../vfs/vfs';
import { Process, Task } from './task';
import { Timers } from './timers';
import { Futexes } from './futex';
import { SIG_IGN } from './signals';
import { Sysctls } from './sysctl';
import { DEFAULT_MAX_TASKS } from './limits';
import type { CgroupState } from './cgroup';
import type { NetworkOptions } from '../fsimpl/socket/netstack';

const SIGCHLD = 17;
const SA_NOCLDWAIT = 2n;

/** What syscalls and files need from the scheduler (sentry/kernel/scheduler.ts). */
export interface TaskControl {
  /** Takes a new task (a fork/clone child) and runs it from its current registers. */
  adopt(t: Task): void;
  /** Makes a parked task run its syscall again (WaitQueue wakers call this). */
  wake(t: Task): void;
  /** A signal became pending for `t`: a parked task stops waiting as its Block says. */
  interrupt(t: Task): void;
  /** `t` ended outside the loop (another thread's execve killed it): it leaves every queue. */
  forget(t: Task): void;
  /** `t` now runs on `t.ctx` instead of `from` (execve took over the leader's host thread). */
  moved(t: Task, from: Context): void;
  /** Whether `t` runs app code now (its stub cannot take injected syscalls until it stops). */
  runsAppCode(t: Task): boolean;
  /** The task running on host context `ctx`, if the scheduler has one there. */
  taskOf(ctx: Context): Task | undefined;
}

export interface KernelOptions {
  hostname: string;
  /** Print every syscall with decoded arguments (--strace) to this sink. */
  strace?: (line: string) => void;
  /** Debug log sink (--debug-log). */
  debug?: (line: string) => void;
  /** The network mode and the interface taken over for it (default: sandbox mode with only lo). */
  network?: NetworkOptions;
  /** CPUs the sandbox shows (procfs cpuCount of the host's /proc/cpuinfo; default 1). */
  cpus?: number;
  /** The most tasks the sandbox holds (threads-max; default DEFAULT_MAX_TASKS). */
  maxTasks?: number;
  /** The vDSO made earlier on this kernel's platform (createVdso), so its clock calibrated meanwhile; default: made now. */
  vdso?: ReturnType<typeof createVdso>;
}

/**
 * The per-sandbox kernel: task/pid bookkeeping, identity (uname, boot
 * time), the VFS, and the record of unsupported syscalls.
 */
export class Kernel {
  readonly bootTimeNs = process.hrtime.bigint();
  readonly bootRealtimeMs = Date.now();
  /** CPU time of the processes that have exited, per container (their share of /proc/stat and cpu.stat). */
  readonly exitedCpuNs = new Map<string, bigint>();
  readonly processes = new Map<number, Process>();
  readonly tasks = new Map<number, Task>();
  /** Real-time signals queued by senders, per real uid of the receiving process (RLIMIT_SIGPENDING: kernel/signal/send.ts). */
  readonly rtSignalsQueued = new Map<number, number>();
  /** Unsupported syscall name -> count, reported in the debug log at exit. */
  readonly unsupported = new Map<string, number>();
  readonly timers = new Timers();
  readonly futexes = new Futexes();
  /** Set by the scheduler that runs this kernel's tasks. */
  sched: TaskControl = {
    adopt: () => undefined, wake: () => undefined, interrupt: () => undefined, forget: () => undefined, moved: () => undefined,
    runsAppCode: () => false, taskOf: () => undefined,
  };
  readonly vfs: Vfs;
  private nextTid = 1;

  /**
   * CPUs the sandbox shows, one number for every view of it: /proc/stat,
   * /sys/devices/system/cpu and sched_getaffinity.
   */
  readonly cpus: number;
  /** threads-max: fork and clone fail with EAGAIN once taskCount() reaches it. */
  readonly maxTasks: number;
  /** The vDSO every exec maps, and the clock trapped time calls share with it (undefined: none on this platform or host). */
  readonly vdso: Vdso | undefined;

  /** `makeVfs` builds the mount table; it gets the kernel because /proc reads it. */
  constructor(
    readonly platform: Platform,
    makeVfs: (k: Kernel) => Vfs,
    readonly opts: KernelOptions,
  ) {
    this.cpus = opts.cpus ?? 1;
    this.maxTasks = opts.maxTasks ?? DEFAULT_MAX_TASKS;
    const vdso = opts.vdso ?? createVdso(platform.sharedMemory);
    this.vdso = typeof vdso === 'string' ? undefined : vdso;
    this.debug(typeof vdso === 'string' ? `vDSO off: time calls are trapped (${vdso})` : 'vDSO on: clock_gettime, gettimeofday and time run in the app');
    this.uts = { hostname: Buffer.from(opts.hostname, 'utf8').toString('latin1'), domainname: '(none)' };
    this.sysctls = new Sysctls(this.uts);
    this.vfs = makeVfs(this);
  }

  /**
   * The sandbox's UTS namespace (one per kernel: a pod's containers share
   * it, as Kubernetes pods do): its names as byte strings (latin1), which
   * sethostname/setdomainname change.
   */
  readonly uts: { hostname: string; domainname: string };
  /** The namespaced sysctls (/proc/sys, a pod's sysctls). */
  readonly sysctls: Sysctls;

  get hostname(): string {
    return this.uts.hostname;
  }

  /**
   * Tasks as Linux counts them for threads-max and RLIMIT_NPROC (of the
   * processes whose real uid is `uid`, or all): live threads, and a zombie
   * as one until it is reaped.
   */
  taskCount(uid?: number): number {
    let n = 0;
    for (const p of this.processes.values()) if (uid === undefined || p.creds.uid === uid) n += Math.max(p.tasks.size, 1);
    return n;
  }

  /**
   * Counts removals from `tasks`: the scheduler looks for running tasks
   * that ended (killed with their process, replaced by an exec) only when
   * it moved, instead of checking every running task at each stop.
   */
  taskRemovals = 0;

  /** Takes `tid` out of the task table (the thread ended, or took another tid). */
  removeTask(tid: number): void {
    this.tasks.delete(tid);
    this.taskRemovals++;
  }

  allocTid(): number {
    return this.nextTid++;
  }

  /** Nanoseconds since the sandbox booted (CLOCK_MONOTONIC, /proc/uptime). */
  uptimeNs(): bigint {
    return process.hrtime.bigint() - this.bootTimeNs;
  }

  /**
   * After `p` exited: its children go to its container's init (else pid
   * 1, else nobody), its parent is told
   * (wait4 wakes), and a parent that ignores SIGCHLD or set SA_NOCLDWAIT
   * never sees a zombie.
   */
  orphan(p: Process): void {
    const init = this.reaperFor(p);
    for (const c of p.children) {
      c.parent = init;
      c.ppid = init?.pid ?? 0;
      init?.children.add(c);
    }
    p.children.clear();
    if (init && [...init.children].some((c) => c.exitStatus !== undefined)) init.childEvents.notify();
    const parent = p.parent;
    if (!parent) {
      // Nobody can wait for it (a process exec'd into a pod): nothing to keep but the report.
      if (p.pid !== 1) this.reap(p);
      return;
    }
    const act = parent.sigactions.get(SIGCHLD);
    if (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0n) this.reap(p);
    this.onChildExit(p);
    parent.childEvents.notify();
  }

  /**
   * The first process of each pod container with a PID namespace of its own
   * (or of every container when the pod has no pause): it adopts the
   * container's orphans, as a PID namespace's init. In a pod sharing one
   * namespace, orphans go to the pause process, pid 1.
   */
  readonly containerInits = new Map<string, Process>();

  /** Who adopts the children of `p`: its container's init, else the sandbox's pid 1 (if alive and not `p`). */
  private reaperFor(p: Process): Process | undefined {
    const init = this.containerInits.get(p.container) ?? this.processes.get(1);
    return init && init !== p && init.exitStatus === undefined ? init : undefined;
  }

  /**
   * Called after each syscall run, before the task returns to its code or
   * parks: where memory may have grown (the pod Sentry checks its
   * containers' memory limits here).
   */
  afterSyscall: ((t: Task) => void) | undefined;

  /**
   * Called every HOST_POLL_NS (10 ms) while tasks run app code:
   * the pod Sentry asks the running processes of a container over its
   * memory bound to stop for a measurement (Context.interrupt).
   */
  whileRunning: (() => void) | undefined;

  /** A pod container's cgroup: its limits (sysinfo, /proc/meminfo: memview.ts; /sys/fs/cgroup) and usage. */
  containerCgroup: ((p: Process) => CgroupState | undefined) | undefined;

  /** Called after every process exit (the pod Sentry reports container and exec exits). */
  onProcessExit: (p: Process) => void = () => undefined;

  /** Removes a dead process for good (wait4 collected it). */
  reap(p: Process): void {
    p.parent?.children.delete(p);
    this.processes.delete(p.pid);
    p.exitEvents.notify();
  }

  /** Sends SIGCHLD to the parent of an exited process (set by the signal module). */
  onChildExit: (p: Process) => void = () => undefined;

  recordUnsupported(name: string): void {
    this.unsupported.set(name, (this.unsupported.get(name) ?? 0) + 1);
  }

  debug(line: string): void {
    this.opts.debug?.(line);
  }

  /** The summary written to the debug log when the sandbox exits. */
  unsupportedReport(): string[] {
    return [...this.unsupported.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `unsupported syscall ${name}: ${n}`);
  }
}
