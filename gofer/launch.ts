/**
 * Starts a Gofer for one container root, or one for a container's root and
 * all its mounts. Called by the CLI before the Sentry installs its seccomp
 * filter (it needs socketpair and fork/exec). The Gofer gets fresh mount (a
 * slave of the host's, so a pod's network namespace unmounted on the host
 * is not kept alive by it), network, IPC and UTS namespaces and then
 * chroots itself into the root (or into a directory holding only its
 * trees, gofer/stage.ts).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { closeFd, socketPair } from '../sentry/platform/host/fdio';
import { spawnHelper } from '../sentry/platform/host/spawn';

/** node:child_process (with net and streams) loads only for a gated start: `do` spawns its Gofer without it. */
const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

/** A directory a Gofer serves, and whether it refuses writes (EROFS). */
export interface GoferTree {
  root: string;
  readOnly: boolean;
}

export interface GoferOptions extends GoferTree {
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
  options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const { spawn } = childProcess();
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

/**
 * V8 flags for the Gofer, a Node process per container that mostly waits
 * (the Sentry's are in bin/tsvisor). Pss_Anon of one Gofer, measured on its
 * own socket after a start (one walk) or after walking 1,190 files and
 * reading 240 of them, then 4 s of quiet:
 *   --max-semi-space-size=1  young generation capped at 1 MiB semi-spaces
 *   --single-threaded-gc     (the default grows them under load) and no GC
 *                            helper threads: 16.0 -> 11.5 MiB after the
 *                            files, 8.8 -> 8.4 MiB after a start (measured
 *                            with --single-threaded, which also kept
 *                            TurboFan on the serving thread: with compiles
 *                            on a helper thread, `find` over 2,039 Python
 *                            files through a `do` sandbox 1150 -> 935 ms and
 *                            a python3 importing json, hashlib, re, email and
 *                            http.client 664 -> 603 ms (medians of 6
 *                            interleaved runs), for +0.9 MiB of Gofer PSS
 *                            after reading 300 files and 5 s of quiet, none
 *                            in idle CRI pods: 7.0 -> 6.9 MiB per pod)
 *   --expose-gc              lets the Gofer collect, compact and trim malloc
 *                            2 s after its last request (gofer/run.ts):
 *                            11.5 -> 9.9 MiB after the files, 9.3 -> 8.8
 *                            after a start
 * An idle pod-like Gofer (`tsvisor do -- sh -c 'echo; exec sleep'`): 10.3 ->
 * 8.5 MiB. Its CPU for a `find` over 68,939 files through 9P stays 2.2-3.0 s
 * (2.5-2.7 s without flags), and 0.7-0.8 s for a tar of 43 MB. Not
 * --jitless (nor --lite-mode, which implies it): 0.3-0.9 MiB less but 2.3x
 * the Gofer's CPU on that find. Not --v8-pool-size=0: three fewer idle
 * threads, no measurable PSS.
 */
export const GOFER_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded-gc', '--expose-gc'];

/**
 * The environment of a Gofer the CRI server starts: the server's, without
 * NODE_EXTRA_CA_CERTS, which Node loads at start-up although the Gofer makes
 * no TLS connection: a distro bundle cost each pod's Gofer 1.1 MiB of
 * anonymous memory (OpenSSL's parsed certificates). bin/tsvisor clears it
 * for the Sentry, whose environment a `do` Gofer inherits.
 */
function goferEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export function startGofer(opts: GoferOptions): GoferHandle {
  const { fds, pid } = startTreesGofer([opts], opts.beforeStart);
  return { fd: fds[0], pid };
}

export interface GoferTreesHandle {
  /** The Sentry's ends of the trees' 9P sockets, in the order of the trees (close-on-exec). */
  fds: number[];
  pid: number;
}

/**
 * One Gofer process serving every tree, each on a socket of its own (a
 * container's root and mounts: one process instead of one per tree, ~10
 * MiB each). It exits once all the sockets have closed.
 */
export function startTreesGofer(trees: readonly GoferTree[], beforeStart?: (pid: number) => void): GoferTreesHandle {
  if (trees.length === 0) throw new Error('a gofer needs a tree to serve');
  const sentryEnds: number[] = [];
  const goferEnds: number[] = [];
  try {
    while (sentryEnds.length < trees.length) {
      const [s, g] = socketPair();
      sentryEnds.push(s);
      goferEnds.push(g);
    }
    const args = ['--mount', '--net', '--ipc', '--uts', '--propagation', 'slave', '--', process.execPath, ...GOFER_NODE_FLAGS];
    args.push(path.join(__dirname, 'main.js'), ...treeArgs(trees));
    // Without a gate (`do`): posix_spawn, so the Gofer starts before node:child_process would even have loaded.
    if (!beforeStart) return { fds: sentryEnds, pid: spawnHelper('unshare', ['unshare', ...args], ['null', 'null', 2, ...goferEnds]) };
    const child = spawnGated('unshare', args, ['ignore', 'inherit', ...goferEnds], beforeStart, { env: goferEnv() });
    // Spawn failures surface as a missing pid below; the async 'error' event must not crash the Sentry.
    child.once('error', () => undefined);
    if (child.pid === undefined) throw new Error('failed to start the gofer (unshare)');
    // The Gofer must not keep the Sentry's event loop alive; it exits when its sockets close.
    child.unref();
    return { fds: sentryEnds, pid: child.pid };
  } catch (e) {
    for (const fd of sentryEnds) closeFd(fd);
    throw e;
  } finally {
    for (const fd of goferEnds) closeFd(fd);
  }
}

/** gofer/run.ts's arguments: one tree as `--root DIR --fd N [--ro]` (chroot into it), more as `--tree`s. */
function treeArgs(trees: readonly GoferTree[]): string[] {
  if (trees.length === 1) return ['--root', path.resolve(trees[0].root), '--fd', String(GOFER_FD), ...(trees[0].readOnly ? ['--ro'] : [])];
  return trees.flatMap((t, i) => ['--tree', `${GOFER_FD + i}:${t.readOnly ? 'ro' : 'rw'}:${path.resolve(t.root)}`]);
}
