/**
 * Starts a Gofer for one container root. Called by the CLI before the
 * Sentry installs its seccomp filter (it needs socketpair and fork/exec).
 * The Gofer gets fresh mount (a slave of the host's, so a pod's network
 * namespace unmounted on the host is not kept alive by it), network, IPC and UTS namespaces and then
 * chroots itself into the root.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { closeFd, socketPair } from '../sentry/platform/host/fdio';

export interface GoferOptions {
  root: string;
  readOnly: boolean;
  /** Called with the Gofer's pid before it runs (e.g. to move it into the pod's cgroup). */
  beforeStart?: (pid: number) => void;
}

/**
 * Spawns `cmd args` held at a gate: a shell waits for a line on its stdin
 * before exec'ing the command, so `beforeStart(pid)` (joining a cgroup)
 * applies to the command and everything it starts from their first
 * instruction. The command's stdin is then at end of file.
 */
export function spawnGated(
  cmd: string, args: string[], stdio: Array<'ignore' | 'inherit' | number>, beforeStart?: (pid: number) => void,
  options: { detached?: boolean } = {},
): ChildProcess {
  if (!beforeStart) return spawn(cmd, args, { stdio: ['ignore', ...stdio], ...options });
  const child = spawn('/bin/sh', ['-c', 'read _ && exec "$@"', 'sh', cmd, ...args], { stdio: ['pipe', ...stdio], ...options });
  child.once('error', () => undefined);
  if (child.pid === undefined) throw new Error(`failed to start ${cmd}`);
  try {
    beforeStart(child.pid);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.stdin?.end('\n');
  return child;
}

export interface GoferHandle {
  /** The Sentry's end of the connected 9P socket (close-on-exec). */
  fd: number;
  pid: number;
}

/** Child fd the Gofer finds its socket on. */
const GOFER_FD = 3;

export function startGofer(opts: GoferOptions): GoferHandle {
  const [sentryEnd, goferEnd] = socketPair();
  try {
    const args = ['--mount', '--net', '--ipc', '--uts', '--propagation', 'slave', '--', process.execPath];
    args.push(path.join(__dirname, 'main.js'), '--root', path.resolve(opts.root), '--fd', String(GOFER_FD));
    if (opts.readOnly) args.push('--ro');
    const child = spawnGated('unshare', args, ['ignore', 'inherit', goferEnd], opts.beforeStart);
    // Spawn failures surface as a missing pid below; the async 'error' event must not crash the Sentry.
    child.once('error', () => undefined);
    if (child.pid === undefined) throw new Error('failed to start the gofer (unshare)');
    // The Gofer must not keep the Sentry's event loop alive; it exits when its socket closes.
    child.unref();
    return { fd: sentryEnd, pid: child.pid };
  } catch (e) {
    closeFd(sentryEnd);
    throw e;
  } finally {
    closeFd(goferEnd);
  }
}
