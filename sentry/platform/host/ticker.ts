/**
 * A periodic tick that interrupts the Sentry's waitpid(-1). While app code
 * runs, the scheduler blocks in waitpid until some stub stops; a task that
 * computes without making a syscall would otherwise keep the Sentry from
 * its kernel timers, its host fds (the pod's control socket, the network
 * link) and every other task for as long as it computes. A per-thread POSIX
 * timer sends a real-time signal to the tracer thread only; its handler
 * does nothing and is installed without SA_RESTART, so the blocked waitpid
 * returns EINTR and the scheduler loop takes its turn. Every blocking host
 * call the Sentry makes retries or tolerates EINTR (hostfd, fdio, unixsock,
 * Tracee.wait, poll and sleep).
 *
 * When every task is parked the scheduler sleeps in poll or nanosleep until
 * its next timer or host fd, and nothing needs interrupting: it pauses the
 * tick then (pauseWaitTicker) and resumes it before it next waits for a
 * stop. Ticking through an idle sandbox woke the Sentry 100 times a second:
 * 1 % of a CPU per sleeping `tsvisor do`, and a stream of garbage that kept
 * an idle pod's young generation resident (kernel/idlegc.ts).
 */
import koffi from './koffi';
import { check } from './libc';

const libc = koffi.load('libc.so.6');
const fns = {
  sigaction: libc.func('int sigaction(int sig, void *act, void *old)'),
  dlsym: libc.func('uintptr_t dlsym(uintptr_t handle, const char *name)'),
  gettid: libc.func('int gettid()'),
  timerCreate: libc.func('long syscall(long nr, long clock, void *sevp, void *timerid)'),
  timerSettime: libc.func('long syscall(long nr, long timerid, long flags, void *value, void *old)'),
};

/** SIGRTMIN+8 (glibc keeps 32 and 33): no part of Node or libuv uses it. */
export const TICK_SIGNAL = 42;
const SYS_TIMER_CREATE = 222;
const SYS_TIMER_SETTIME = 223;
const CLOCK_MONOTONIC = 1;
const SIGEV_THREAD_ID = 4;
/** glibc's struct sigaction: handler, 128-byte mask, flags, restorer. */
const SIGACTION = { SIZE: 152, HANDLER: 0, FLAGS: 136 } as const;
/** struct sigevent: value (8), signo, notify, then the target thread id. */
const SIGEVENT = { SIZE: 64, SIGNO: 8, NOTIFY: 12, TID: 16 } as const;

let timerId: number | undefined;
/** struct itimerspec: interval, then first expiry; the ticking one, and all zero (disarmed). */
const tickSpec = Buffer.alloc(32);
const stopSpec = Buffer.alloc(32);
let ticking = false;

function setTicker(spec: Buffer): void {
  check('timer_settime', Number(fns.timerSettime(SYS_TIMER_SETTIME, timerId, 0, spec, null)));
}

/** Starts ticking every `intervalMs` on the calling thread (the tracer thread); once per process. */
export function startWaitTicker(intervalMs: number): void {
  if (timerId !== undefined) return;
  // A handler that only returns: any async-signal-safe libc function taking an int will do.
  const handler = fns.dlsym(0, 'getpid') as number | bigint;
  if (!handler) throw new Error('dlsym(getpid) failed');
  const act = Buffer.alloc(SIGACTION.SIZE);
  act.writeBigUInt64LE(BigInt(handler), SIGACTION.HANDLER);
  act.writeInt32LE(0, SIGACTION.FLAGS); // no SA_RESTART: interrupted waits return EINTR
  check('sigaction', fns.sigaction(TICK_SIGNAL, act, null) as number);
  const ev = Buffer.alloc(SIGEVENT.SIZE);
  ev.writeInt32LE(TICK_SIGNAL, SIGEVENT.SIGNO);
  ev.writeInt32LE(SIGEV_THREAD_ID, SIGEVENT.NOTIFY);
  ev.writeInt32LE(fns.gettid() as number, SIGEVENT.TID);
  const id = Buffer.alloc(4);
  check('timer_create', Number(fns.timerCreate(SYS_TIMER_CREATE, CLOCK_MONOTONIC, ev, id)));
  const ns = BigInt(intervalMs) * 1_000_000n;
  tickSpec.writeBigInt64LE(ns / 1_000_000_000n, 0);
  tickSpec.writeBigInt64LE(ns % 1_000_000_000n, 8);
  tickSpec.writeBigInt64LE(ns / 1_000_000_000n, 16);
  tickSpec.writeBigInt64LE(ns % 1_000_000_000n, 24);
  timerId = id.readInt32LE(0);
  setTicker(tickSpec);
  ticking = true;
}

/** Whether the tick runs (started and not paused). */
export function waitTickerRunning(): boolean {
  return ticking;
}

/** Stops the tick (no-op unless it runs). */
export function pauseWaitTicker(): void {
  if (!ticking) return;
  setTicker(stopSpec);
  ticking = false;
}

/** Restarts a paused tick, a full interval from now (no-op unless paused). */
export function resumeWaitTicker(): void {
  if (ticking || timerId === undefined) return;
  setTicker(tickSpec);
  ticking = true;
}
