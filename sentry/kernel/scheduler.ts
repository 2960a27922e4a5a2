/**
 * The Sentry's scheduler: one loop on the tracer thread drives every task.
 *
 *   ready ──resume()──▶ running (app code in its stub)
 *     ▲                    │ waitAny(): a syscall or signal stop
 *     │                    ▼
 *     ├──── done ──── dispatch ──── Block ───▶ parked
 *     │                                          │ queue notified → re-run the syscall
 *     └────── timeout (onTimeout) / interrupt ◀──┘
 *
 * Only this loop resumes stubs and waits for them (ptrace requests must
 * come from the thread that attached). While any task runs, the loop
 * blocks in waitpid(-1); when every task is parked it sleeps until the
 * next kernel timer. Blocking syscalls never block the loop itself: they
 * throw Block and are re-run when woken (see wait.ts).
 *
 * The loop works in rounds, so that every task gets its turn: it collects
 * all the stops the host has (waitpid(-1) reports them in the order of
 * its list of tracees, not the order they stopped, so taking one at a
 * time would serve the same few busy tasks forever), serves them, then
 * the tasks that became ready, then collects again.
 */
import { REG } from '../abi/linux/ptrace';
import { sleepNs } from '../platform/host/clock';
import { hostPoll } from '../platform/host/hostfd';
import { pauseWaitTicker, resumeWaitTicker, waitTickerRunning } from '../platform/host/ticker';
import { HostError } from '../platform/host/libc';
import { hostWaiters } from './hostwait';
import { collectGarbage, IdleCollector } from './idlegc';
import { Context, StopEvent } from '../platform/platform';
import { dispatch } from '../syscalls/dispatch';
import { deliverPending, syscallInterrupted } from './signal/deliver';
import { childExited, platformSignal } from './signal/send';
import { isStopped, jobControl } from './signal/state';
import { Kernel, TaskControl } from './kernel';
import { killedStatus } from './signals';
import { Task } from './task';
import { monotonicNs, TimerHandle } from './timers';
import { Block, Waker } from './wait';

const ESRCH = 3;
const SIGKILL = 9;

/** The longest the loop sleeps when every task is parked and no timer is due. */
const IDLE_NS = 1_000_000_000n;
/** Idle sleeps at least this long pause the wait ticker (ticker.ts); shorter ones, which it interrupts at most once, keep it. */
const PAUSE_TICK_NS = 20_000_000n;
/** How often host fds are polled between stops while tasks run. */
const HOST_POLL_NS = 10_000_000n;

interface Parked {
  block: Block;
  waker: Waker;
  timer?: TimerHandle;
}

/**
 * Polls the host fds that tasks (or the pod's control channel) wait on, for
 * up to `timeoutMs`, and notifies the ready ones. False when none is watched.
 */
function pollHostWaiters(timeoutMs: number): boolean {
  const watched = [...hostWaiters].filter((w) => w.queue.size > 0);
  if (watched.length === 0) return false;
  const revents = hostPoll(watched, timeoutMs);
  watched.forEach((w, i) => revents[i] !== 0 && w.queue.notify());
  return true;
}

export class Scheduler implements TaskControl {
  /** Tasks to handle next: re-run their syscall, or just resume them. */
  private readonly ready = new Map<Task, 'syscall' | 'resume'>();
  private readonly running = new Set<Task>();
  /** Stops collected from the host, to serve in this round. */
  private readonly stopped: { t: Task; ev: StopEvent }[] = [];
  private readonly parked = new Map<Task, Parked>();
  private readonly byContext = new Map<Context, Task>();
  /** Collects garbage once the sandbox has idled a while (see idlegc.ts). */
  private readonly collector = new IdleCollector((phase) => this.kernel.debug(collectGarbage(phase)));

  constructor(private readonly kernel: Kernel) {
    kernel.sched = this;
    kernel.onChildExit = childExited;
  }

  /** Takes a new task (the first one, or a fork/clone child ready to return to user mode). */
  adopt(t: Task): void {
    this.byContext.set(t.ctx, t);
    this.ready.set(t, 'resume');
  }

  /** Runs every task until `init`'s process exits; then ends the rest. Returns init's wait status. */
  run(init: Task): number {
    this.adopt(init);
    const p = init.process;
    this.loop(() => p.exitStatus !== undefined);
    this.endAll();
    return p.exitStatus ?? 0;
  }

  /**
   * The pod Sentry's loop: runs tasks (containers come and go) until
   * `done()`, then ends them all. Host fds the pod waits on (its control
   * socket) are registered in `hostWaiters` and polled when idle.
   */
  serve(done: () => boolean): void {
    this.loop(done);
    this.endAll();
  }

  private loop(done: () => boolean): void {
    while (!done()) {
      this.kernel.timers.fire();
      if (this.stopped.length > 0 || this.ready.size > 0) {
        this.serveNext();
        this.collector.noteWork();
        this.idleSinceNs = undefined;
      } else if (this.pruneRunning() > 0) {
        this.idleSinceNs = undefined;
        resumeWaitTicker();
        this.collectStops();
        this.pollHost();
        this.collector.noteWork();
      } else {
        this.idle();
      }
    }
  }

  /** This round's stops first, then the ready tasks. */
  private serveNext(): void {
    const stop = this.stopped.shift();
    if (stop) {
      if (this.alive(stop.t)) this.guard(stop.t, () => this.handle(stop.t, stop.ev));
      return;
    }
    const [t, what] = this.ready.entries().next().value!;
    this.ready.delete(t);
    if (this.alive(t)) this.guard(t, () => (what === 'syscall' ? this.runSyscall(t) : this.resume(t)));
  }

  private lastHostPollNs = 0n;
  /** When the current streak of idle turns began; undefined while tasks run. */
  private idleSinceNs?: bigint;

  /**
   * While tasks run, host fds with waiters are checked at most every
   * HOST_POLL_NS between stops, so input reaches a parked task even when
   * others keep the loop busy; the kernel's whileRunning hook runs then
   * too, and the vDSO's clock follows the host's (at most once a second).
   */
  private pollHost(): void {
    const now = monotonicNs();
    if (now - this.lastHostPollNs < HOST_POLL_NS) return;
    this.lastHostPollNs = now;
    this.kernel.vdso?.clock.tick(now);
    pollHostWaiters(0);
    this.kernel.whileRunning?.();
  }

  private alive(t: Task): boolean {
    return this.kernel.tasks.get(t.tid) === t;
  }

  /** kernel.taskRemovals at the last pruneRunning. */
  private prunedAt = 0;

  /** Drops tasks that ended while running (killed with their process, or by exec); returns how many run. */
  private pruneRunning(): number {
    if (this.prunedAt !== this.kernel.taskRemovals) {
      this.prunedAt = this.kernel.taskRemovals;
      for (const t of this.running) if (!this.alive(t)) this.forget(t);
    }
    return this.running.size;
  }

  private runSyscall(t: Task): void {
    const outcome = dispatch(t);
    if (outcome === 'exited' || !this.alive(t)) return;
    // Also before parking: a process that filled memory and went to sleep is caught now.
    this.kernel.afterSyscall?.(t);
    if (!this.alive(t)) return;
    if (outcome instanceof Block) this.park(t, outcome);
    else this.resume(t);
  }

  runsAppCode(t: Task): boolean {
    return this.running.has(t);
  }

  taskOf(ctx: Context): Task | undefined {
    return this.byContext.get(ctx);
  }

  /** Back to user mode: pending signals first (handler frames, or death), and not while stopped. */
  private resume(t: Task): void {
    if (!deliverPending(t)) return;
    if (isStopped(t.process)) {
      const q = jobControl(t.process).continued;
      const w = (): void => {
        q.remove(w);
        this.ready.set(t, 'resume');
      };
      q.add(w);
      return;
    }
    t.ctx.resume();
    this.running.add(t);
  }

  /**
   * Waits for a stop, then takes every other running task's that is already
   * there, asking for each by its pid (waitpid WNOHANG), which the host
   * answers at once: waitpid(-1) walks its whole list of tracees, parked
   * ones too, on every call (a thousand Python threads woken at once took
   * 2.0-2.4 s to join that way, 1.1-1.4 s this way). A task that runs app
   * code meanwhile, on the same CPU, costs far more than its poll.
   */
  private collectStops(): void {
    const platform = this.kernel.platform;
    if (!this.take(platform.waitAny())) return; // also for a wait the ticker cut short: timers fire first
    for (const t of [...this.running]) this.take(platform.waitAny(false, t.ctx));
  }

  /** Queues a collected stop for this round; false if there was none. */
  private take(stop: { ctx: Context; event: StopEvent } | undefined): boolean {
    const t = stop && this.byContext.get(stop.ctx);
    if (!t) return false;
    this.running.delete(t);
    this.stopped.push({ t, ev: stop.event });
    return true;
  }

  /**
   * Runs a step on `t`. Its host thread may vanish under us (the host
   * kernel's OOM killer, a kill from outside): ptrace then fails with ESRCH,
   * and the task's process ends as killed, instead of the Sentry failing.
   */
  private guard(t: Task, step: () => void): void {
    try {
      step();
    } catch (e) {
      if (!(e instanceof HostError && e.errno === ESRCH)) throw e;
      this.forget(t);
      t.process.exit(killedStatus(SIGKILL));
    }
  }

  private handle(t: Task, ev: StopEvent): void {
    switch (ev.kind) {
      case 'syscall':
        this.runSyscall(t);
        return;
      case 'signal':
        platformSignal(t, ev.signo, ev.siginfo);
        if (this.alive(t)) this.resume(t);
        return;
      case 'gone':
        // Killed from outside the Sentry: the process ends with what the host said.
        this.forget(t);
        t.process.exit(ev.status & 0x7f ? ev.status & 0xff : ev.status);
        return;
    }
  }

  /**
   * Every task is parked: wait for the next timer (or a while, if none),
   * or for a host fd a task waits on (the sandbox's stdin) to be ready. A
   * long enough idle streak first collects garbage (idlegc.ts).
   *
   * The wait ticker keeps running through the first PAUSE_TICK_NS of an
   * idle streak (the wait is cut there, then paused for the rest): a task
   * woken by a host fd soon after, as a bulk receive's reader is between
   * frames, would otherwise pay two timer_settime calls per wait.
   */
  private idle(): void {
    const next = this.kernel.timers.next();
    const now = monotonicNs();
    const since = (this.idleSinceNs ??= now);
    let wait = this.collector.beforeSleep(now, next === undefined ? IDLE_NS : next > now ? next - now : 0n);
    if (wait >= PAUSE_TICK_NS && waitTickerRunning()) {
      const keep = since + PAUSE_TICK_NS - now;
      if (keep > 0n) wait = keep;
      else pauseWaitTicker();
    }
    if (!pollHostWaiters(Number((wait + 999_999n) / 1_000_000n))) sleepNs(wait);
  }

  private park(t: Task, block: Block): void {
    t.blocked = block;
    const waker = () => this.wake(t);
    for (const q of block.queues) q.add(waker);
    const timer = block.deadlineNs === undefined ? undefined : this.kernel.timers.schedule(block.deadlineNs, () => this.timeout(t));
    this.parked.set(t, { block, waker, timer });
  }

  private unpark(t: Task): Parked | undefined {
    const p = this.parked.get(t);
    if (!p) return undefined;
    this.parked.delete(t);
    for (const q of p.block.queues) q.remove(p.waker);
    if (p.timer) this.kernel.timers.cancel(p.timer);
    t.blocked = undefined;
    return p;
  }

  /** A queue the task waits on was notified: run its syscall again. */
  wake(t: Task): void {
    if (this.unpark(t)) this.ready.set(t, 'syscall');
  }

  private timeout(t: Task): void {
    const p = this.unpark(t);
    if (!p) return;
    p.block.cancel?.();
    const r = p.block.onTimeout;
    this.finish(t, typeof r === 'number' ? BigInt(r) : BigInt(-r.errno));
  }

  /**
   * A signal is pending for `t`. A parked task that may be interrupted
   * ends its syscall; delivery then restarts it or leaves EINTR, as its
   * Block and the handler's SA_RESTART say.
   */
  interrupt(t: Task): void {
    const p = this.parked.get(t);
    if (!p || p.block.interrupt === 'never') return;
    this.unpark(t);
    p.block.cancel?.();
    syscallInterrupted(t, p.block.interrupt);
    this.ready.set(t, 'resume');
  }

  private finish(t: Task, rax: bigint): void {
    t.regs.set(REG.rax, rax);
    t.syscallDone();
    this.ready.set(t, 'resume');
  }

  forget(t: Task): void {
    this.unpark(t)?.block.cancel?.();
    const i = this.stopped.findIndex((s) => s.t === t);
    if (i >= 0) this.stopped.splice(i, 1);
    this.ready.delete(t);
    this.running.delete(t);
    this.byContext.delete(t.ctx);
  }

  moved(t: Task, from: Context): void {
    this.byContext.delete(from);
    this.byContext.set(t.ctx, t);
  }

  /** init is gone: like a PID namespace whose init died, every other process is killed. */
  private endAll(): void {
    for (const p of this.kernel.processes.values()) {
      if (p.exitStatus === undefined) p.exit(killedStatus(9));
    }
    for (const t of [...this.byContext.values()]) this.forget(t);
  }
}
