/**
 * The pod Sentry (`tsvisor sandbox`): one per pod, started by the CRI
 * server. It starts with no container; the CRI server connects to its
 * control socket and starts containers and exec'd processes in it, each
 * container on the Gofer connections it passes. It runs until told to
 * shut down (or killed with its PID namespace).
 */
import { PtracePlatform } from '../platform/ptrace/ptrace';
import { installSentryFilter } from '../platform/host/seccomp';
import { dropPrivileges } from '../platform/host/privileges';
import { listenUnix } from '../platform/host/unixsock';
import { Kernel } from '../kernel/kernel';
import { Scheduler } from '../kernel/scheduler';
import { ControlServer } from '../control/server';
import { cpuCount } from '../fsimpl/proc/procfs';
import { readHostInfo } from '../vfs/mounts';
import { Vfs } from '../vfs/vfs';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import { Pod } from './pod';
import { seccompSelfCheck, WAIT_TICK_MS } from '../sandbox';
import { startWaitTicker } from '../platform/host/ticker';
import { type NetworkMode, prepareNetwork } from '../network';
import { netStack } from '../fsimpl/socket/netstack';
import { HOST_NETWORK_NOTE } from '../fsimpl/socket/hostinet';

export interface PodOptions {
  /** Path of the control socket to create (its directory must exist and be private). */
  controlPath: string;
  hostname: string;
  network?: NetworkMode;
  hostNetns?: string;
  /** The pod's containers share one PID namespace, whose pid 1 is a pause process (CRI pid mode POD). */
  sharedPidNamespace?: boolean;
  strace?: (line: string) => void;
  debug?: (line: string) => void;
}

/** The mount namespace of no container: an empty tmpfs (containers get their own). */
function emptyVfs(): Vfs {
  const vfs = new Vfs();
  vfs.mount('/', new Tmpfs(vfs.allocDev(), 0o755).root, 'tmpfs');
  return vfs;
}

export function runPod(o: PodOptions): void {
  const network = prepareNetwork(o.network ?? 'sandbox', o.hostNetns, (line) => o.debug?.(line));
  const platform = new PtracePlatform();
  startWaitTicker(WAIT_TICK_MS);
  const template = platform.newContext();
  const host = readHostInfo();
  const listenFd = listenUnix(o.controlPath);
  const kernel = new Kernel(platform, emptyVfs, { hostname: o.hostname, cpus: cpuCount(host.cpuinfo), strace: o.strace, debug: o.debug, network });
  if (network.nic) netStack(kernel);
  dropPrivileges();
  installSentryFilter({ acceptFd: listenFd, hostNetwork: network.mode === 'host' });
  kernel.debug(`seccomp filter installed; self-check: ${seccompSelfCheck()}`);
  if (network.mode === 'host') kernel.debug(HOST_NETWORK_NOTE);
  const sched = new Scheduler(kernel);
  const pod = new Pod(kernel, template, host, sched);
  if (o.sharedPidNamespace) pod.startPause();
  const server = new ControlServer(listenFd, (req, fds) => pod.handle(req, fds), (line) => kernel.debug(line));
  pod.emit = (e) => server.broadcast(e);
  kernel.debug(`pod sentry ready on ${o.controlPath}`);
  try {
    sched.serve(() => pod.shuttingDown);
  } finally {
    template.kill();
    server.close();
    for (const line of kernel.unsupportedReport()) kernel.debug(line);
  }
}
