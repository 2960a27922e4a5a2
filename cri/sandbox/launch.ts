/**
 * Starting a pod's Sentry and its containers' Gofers. The Sentry runs
 * through bin/tsvisor (PID and mount namespaces of its own), in the pod's
 * network namespace (nsenter) and cgroup, detached from the CRI server so
 * that it survives a server restart; its stderr and debug log go to
 * <runDir>/sentry.log.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GoferTree, spawnGated, startTreesGofer } from '../../gofer/launch';
import type { NetworkMode } from '../../sentry/network';
import { SentryClient } from './control';

/** bin/tsvisor of this installation (dist/cri/sandbox → repo root). */
const TSVISOR = path.resolve(__dirname, '../../../bin/tsvisor');
const CONTROL_TIMEOUT_MS = 15_000;
const LOG_TAIL_CHARS = 2000;

export interface SentryLaunch {
  /** Private directory for the control socket and the Sentry's log. */
  runDir: string;
  hostname: string;
  /** The pod's network namespace; none: the Sentry stays in the node's (a hostNetwork pod, with `network` host). */
  netnsPath?: string;
  /** The Sentry's network mode (bin/tsvisor sandbox --network; default sandbox). */
  network?: NetworkMode;
  /** The pod's containers share one PID namespace (CRI pid mode POD): its pid 1 is a pause process. */
  sharedPidNamespace?: boolean;
  /** Moves the (gated) Sentry into the pod cgroup before it runs. */
  joinCgroup?: (pid: number) => void;
}

export interface RunningSentry {
  /** Host pid of the Sentry's outermost process (the bin/tsvisor shell). */
  pid: number;
  controlPath: string;
  client: SentryClient;
}

export function controlPathOf(runDir: string): string {
  return path.join(runDir, 'control.sock');
}

export async function startSentry(o: SentryLaunch): Promise<RunningSentry> {
  mkdirSync(o.runDir, { recursive: true, mode: 0o700 });
  const controlPath = controlPathOf(o.runDir);
  const logPath = path.join(o.runDir, 'sentry.log');
  const log = openSync(logPath, 'a');
  const args = ['sandbox', '--control', controlPath, '--hostname', o.hostname, '--debug-log', logPath];
  if (o.sharedPidNamespace) args.push('--shared-pid-namespace');
  if (o.network) args.push(`--network=${o.network}`);
  const [cmd, argv] = o.netnsPath ? ['nsenter', [`--net=${o.netnsPath}`, '--', TSVISOR, ...args]] : [TSVISOR, args];
  let child;
  try {
    child = spawnGated(cmd, argv, [log, log], o.joinCgroup, { detached: true });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) throw new Error('failed to start the pod sentry');
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + CONTROL_TIMEOUT_MS;
  for (;;) {
    // The socket file appears at bind(), just before listen(): retry a refused connect.
    if (existsSync(controlPath)) {
      try {
        return { pid: child.pid, controlPath, client: SentryClient.connect(controlPath) };
      } catch {
        /* not listening yet */
      }
    }
    if (exited !== undefined) throw new Error(`the pod sentry exited (status ${exited}) before it was ready: ${logTail(logPath)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the pod sentry did not listen on ${controlPath} within ${CONTROL_TIMEOUT_MS} ms: ${logTail(logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The end of the Sentry's log, for the error (the caller removes the run directory). */
function logTail(logPath: string): string {
  try {
    const text = readFileSync(logPath, 'utf8').trim();
    return text ? text.slice(-LOG_TAIL_CHARS) : 'its log is empty';
  } catch (e) {
    return `no log (${(e as Error).message})`;
  }
}

/**
 * A container's Gofer: one process for its root and every directory mount.
 * Returns the fds to pass to the Sentry, one per tree in order (the caller
 * closes its copies after).
 */
export function startContainerGofers(trees: readonly GoferTree[], joinCgroup?: (pid: number) => void): number[] {
  return startTreesGofer(trees, joinCgroup).fds;
}

/** A Gofer for `root` alone; returns the fd to pass to the Sentry. */
export function startContainerGofer(root: string, readOnly: boolean, joinCgroup?: (pid: number) => void): number {
  return startContainerGofers([{ root, readOnly }], joinCgroup)[0];
}
