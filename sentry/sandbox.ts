/**
 * Starts a sandbox: the ptrace platform, the kernel with its VFS over the
 * Gofer, the seccomp filter on the Sentry itself, then the first process.
 * Runs until that process exits and reports how it ended.
 */
import { PtracePlatform } from './platform/ptrace/ptrace';
import { pinToCpu } from './platform/ptrace/host';
import { STUB_BASE } from './platform/ptrace/stub';
import { closeSync, openSync } from 'node:fs';
import { installSentryFilter } from './platform/host/seccomp';
import { startWaitTicker } from './platform/host/ticker';
import { dropPrivileges } from './platform/host/privileges';
import { Kernel } from './kernel/kernel';
import { createVdso } from './kernel/vdso/vdso';
import { Process, Task } from './kernel/task';
import type { CapSets } from './kernel/capabilities';
import { Credentials } from './kernel/creds';
import { defaultLimits, type Rlimit } from './kernel/limits';
import { Scheduler } from './kernel/scheduler';
import { MemoryManager } from './mm/mm';
import { FdTable } from './vfs/fdtable';
import { FsContext } from './vfs/fscontext';
import { cpuCount } from './fsimpl/proc/procfs';
import { buildRootVfs, readHostInfo } from './vfs/mounts';
import { stdioFiles } from './fsimpl/host/stdio';
import { attachHostConsole } from './fsimpl/devpts/hostconsole';
import { P9Client } from './fsimpl/gofer/client';
import { setInitialCwd, startProgram } from './loader/start';
import { type NetworkMode, prepareNetwork } from './network';
import { netReport, netStack } from './fsimpl/socket/netstack';
import { HOST_NETWORK_NOTE } from './fsimpl/socket/hostinet';

/** Milliseconds since this process started (node:perf_hooks, for performance.now(), costs ~1.5 ms to load). */
const sinceStart = (): number => process.uptime() * 1000;

/** How often the scheduler gets a turn while app code runs without making syscalls. */
export const WAIT_TICK_MS = 10;

export interface SandboxOptions {
  goferFd: number;
  /** The Gofer's pid, to pin it next to the Sentry once it answers. */
  goferPid?: number;
  overlay: 'memory' | 'none';
  hostname: string;
  argv: string[];
  envp: string[];
  /** Initial working directory inside the sandbox (falls back to /). */
  cwd: string;
  strace?: (line: string) => void;
  debug?: (line: string) => void;
  /** Run on a sandbox pty bridged to the host's stdio (`do --tty`) instead of the host stdio itself. */
  tty?: boolean;
  network?: NetworkMode;
  /** The host's network namespace (`readlink /proc/1/ns/net` outside the Sentry's PID namespace), from bin/tsvisor. */
  hostNetns?: string;
  /** The first process's resource limits (default: Linux's for a container's first process). */
  limits?: Rlimit[];
  /** The first process's capability sets (default: every capability, as root on a host with no limits). */
  caps?: CapSets;
}

/** How the sandbox's first process ended. */
export interface SandboxExit {
  code: number;
  signal?: number;
  /** A one-line explanation when the command could not start. */
  message?: string;
}

export function runSandbox(o: SandboxOptions): SandboxExit {
  const loaded = sinceStart();
  let network;
  try {
    network = prepareNetwork(o.network ?? 'sandbox', o.hostNetns, (line) => o.debug?.(line));
  } catch (e) {
    return { code: 125, message: (e as Error).message };
  }
  // The stub and the host facts for /proc need no Gofer: get them while it starts.
  const platform = new PtracePlatform();
  // The vDSO clock measures the TSC for 10 ms before its first line: from here, not from the first exec.
  const vdso = createVdso(platform.sharedMemory);
  startWaitTicker(WAIT_TICK_MS);
  const ctx = platform.newContext();
  const host = readHostInfo();
  // Start-up garbage (the start-up cache's 1.8 MB file, the modules' load
  // state) lies in the old generation, which no collection of a short run
  // reaches: collect it while the Gofer is still starting (bin/tsvisor
  // exposes gc). Peak PSS of `do sleep` 47.2 -> 44.9 MiB; the ~8 ms it
  // takes is spent waiting for the Gofer's first reply anyway.
  if (typeof gc === 'function') gc();
  const gofer = P9Client.connect(o.goferFd);
  // The Gofer has started (on the other CPU, while the Sentry loaded): from
  // now on it only answers the Sentry, which waits for each reply, so on the
  // Sentry's CPU every round trip is a same-CPU wake-up (as the stubs' stops
  // are). Measured with a P9Client: 51-53 us per walk and clunk instead of 129-182.
  const pinned = o.goferPid === undefined ? undefined : pinGofer(o.goferPid, platform.cpu);
  const connected = sinceStart();
  const kernel = new Kernel(platform, (k) => buildRootVfs({ gofer, overlay: o.overlay, kernel: k, host }), {
    hostname: o.hostname,
    cpus: cpuCount(host.cpuinfo),
    strace: o.strace,
    debug: o.debug,
    network,
    vdso,
  });
  // The stack answers on the pod's interface from the start, not from the app's first socket.
  if (network.nic) netStack(kernel);
  // Everything is loaded and spawned: drop to an unprivileged uid, then make
  // sure the Sentry can never open a file or socket again.
  dropPrivileges();
  installSentryFilter({ hostNetwork: network.mode === 'host' });
  kernel.debug(`seccomp filter installed; self-check: ${seccompSelfCheck()}`);
  if (pinned) kernel.debug(pinned);
  if (network.mode === 'host') kernel.debug(HOST_NETWORK_NOTE);

  const console = o.tty ? attachHostConsole(kernel) : undefined;
  const fds = new FdTable();
  const stdio = console ? [0, 1, 2].map(() => (console.slave.incRef(), console.slave)) : stdioFiles();
  stdio.forEach((f, fd) => fds.installAt(fd, f, false));
  const proc = new Process(
    kernel, kernel.allocTid(), 0, new MemoryManager(ctx.as, ctx.mem, STUB_BASE), fds,
    new FsContext('/'), new Credentials(0, 0, 0, 0, 0, 0, [], o.caps), o.limits ?? defaultLimits(),
  );
  const task = new Task(kernel, proc.pid, proc, ctx);
  kernel.processes.set(proc.pid, proc);
  kernel.tasks.set(task.tid, task);
  setInitialCwd(task, o.cwd);
  console?.setControlling(proc);
  try {
    const started = startProgram(task, o.argv, o.envp);
    // Start-up timeline, in ms since this process started.
    kernel.debug(`startup: modules ${loaded.toFixed(1)}, gofer ${connected.toFixed(1)}, exec ${sinceStart().toFixed(1)}`);
    if (started) return started;
    const status = new Scheduler(kernel).run(task);
    return (status & 0x7f) === 0 ? { code: (status >> 8) & 0xff } : { code: 128 + (status & 0x7f), signal: status & 0x7f };
  } finally {
    ctx.kill();
    console?.close();
    for (const line of [...kernel.unsupportedReport(), ...netReport(kernel)]) kernel.debug(line);
    gofer.close();
  }
}

/** Pins the Gofer's main thread to `cpu`; a line for the debug log if that failed (the Gofer then just answers more slowly). */
function pinGofer(pid: number, cpu: number): string | undefined {
  try {
    pinToCpu(pid, cpu);
    return undefined;
  } catch (e) {
    return `the Gofer (pid ${pid}) stays unpinned: ${(e as Error).message}`;
  }
}

/** Tries a host file open, which the filter must refuse. */
export function seccompSelfCheck(): string {
  try {
    closeSync(openSync('/proc/self/status', 'r'));
    return 'FAILED: open(/proc/self/status) succeeded';
  } catch (e) {
    return `open(/proc/self/status) denied with ${(e as NodeJS.ErrnoException).code}`;
  }
}
