/**
 * Starts a Gofer for one container root. Called by the CLI before the
 * Sentry installs its seccomp filter (it needs socketpair and fork/exec).
 * The Gofer gets fresh mount, network, IPC and UTS namespaces and then
 * chroots itself into the root.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { closeFd, socketPair } from '../sentry/platform/host/fdio';

export interface GoferOptions {
  root: string;
  readOnly: boolean;
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
    const args = ['--mount', '--net', '--ipc', '--uts', '--propagation', 'private', '--', process.execPath];
    args.push(path.join(__dirname, 'main.js'), '--root', path.resolve(opts.root), '--fd', String(GOFER_FD));
    if (opts.readOnly) args.push('--ro');
    const child = spawn('unshare', args, { stdio: ['ignore', 'ignore', 'inherit', goferEnd] });
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
