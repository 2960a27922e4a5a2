/**
 * `tsvisor do`: runs one command in a fresh sandbox, like `runsc do`.
 * This process becomes the Sentry: it validates the flags, starts the
 * Gofer for the root filesystem, then hands over to the sandbox runner,
 * which installs the seccomp filter before the app's first instruction.
 */
import { readFileSync, statSync, writeSync } from 'node:fs';
import { parseFlags, UsageError } from './flags';
import { openDebugLog } from './debuglog';
import { startGofer } from '../gofer/launch';
import { waitForExit } from '../sentry/platform/host/spawn';
import { finishCacheTraining, saveStartupCache } from './startcache';
import type { SandboxExit } from '../sentry/sandbox';
import { HOST_NETNS_ENV, NETWORK_MODES, type NetworkMode } from '../sentry/network';
import { type CapSets, parseStatusCaps } from '../sentry/kernel/capabilities';
import { parseProcLimits, RLIMIT, type Rlimit } from '../sentry/kernel/limits';

export const DO_USAGE = `usage: tsvisor do [flags] [--] CMD [ARGS...]

flags:
  --rootfs DIR            root filesystem (default: the host's /)
  --overlay=memory|none   memory: the rootfs is read-only and writes stay in the sandbox (default);
                          none: writes go through to DIR (less safe)
  --hostname NAME         the sandbox's hostname (default: tsvisor)
  --strace                print every syscall with decoded arguments to stderr
  --debug-log FILE        append the Sentry's debug log (incl. unsupported syscalls) to FILE
  --network=sandbox|none|host
                          sandbox (default): the Sentry's own TCP/IP stack; inside a network
                          namespace it takes over that namespace's Ethernet interface (its
                          address moves from the host stack into the sandbox); in the host's
                          namespace only lo. none: only lo. host: the app's IPv4 sockets are
                          host sockets in the network namespace tsvisor runs in (less isolation)
  --tty                   run the command on a sandbox terminal connected to this one
                          (raw mode and window size of a terminal stdin; the command
                          leads a new session with the terminal as controlling tty)
`;

export const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;

export interface DoOptions {
  rootfs: string;
  overlay: 'memory' | 'none';
  hostname: string;
  strace: boolean;
  debugLog?: string;
  tty: boolean;
  network: NetworkMode;
  argv: string[];
}

/** Checks a --network value. */
export function parseNetworkMode(v: string | boolean | undefined): NetworkMode {
  const mode = String(v ?? 'sandbox');
  if (!(NETWORK_MODES as readonly string[]).includes(mode)) throw new UsageError(`--network must be sandbox, none or host, not ${mode}`);
  return mode as NetworkMode;
}

/** Printed on stderr when a sandbox starts with --network=host: the choice must stay visible. */
export const HOST_NETWORK_WARNING = "tsvisor: warning: --network=host: the sandbox uses the host's network stack directly (less isolation)\n";

/** Where bin/tsvisor keeps NODE_EXTRA_CA_CERTS while the Sentry's Node starts without it. */
export const SAVED_CA_CERTS_ENV = 'TSVISOR_NODE_EXTRA_CA_CERTS';

/**
 * Gives the app the NODE_EXTRA_CA_CERTS bin/tsvisor emptied for the
 * Sentry's Node (and so for the Gofer, started before this), in its place.
 */
export function restoreAppEnv(env: NodeJS.ProcessEnv = process.env): void {
  const saved = env[SAVED_CA_CERTS_ENV];
  if (saved === undefined) return;
  delete env[SAVED_CA_CERTS_ENV];
  env.NODE_EXTRA_CA_CERTS = saved;
}

/** bin/tsvisor's note of the caller's soft RLIMIT_NOFILE: Node raises its own to the hard limit as it starts. */
export const NOFILE_SOFT_ENV = 'TSVISOR_NOFILE_SOFT';

/**
 * The caller's resource limits, for the command (as `runsc do` and a
 * command run directly get them): this process's, which it inherited,
 * with the open-file soft limit bin/tsvisor noted (taken out of the
 * environment the app inherits).
 */
export function callerLimits(env: NodeJS.ProcessEnv = process.env, procLimits = ownLimits()): Rlimit[] {
  const limits = parseProcLimits(procLimits);
  const soft = env[NOFILE_SOFT_ENV];
  delete env[NOFILE_SOFT_ENV];
  const nofile = limits[RLIMIT.NOFILE];
  if (soft !== undefined && /^\d+$/.test(soft) && BigInt(soft) <= nofile.max) nofile.cur = BigInt(soft);
  return limits;
}

/** This process's /proc/self/limits; empty (Linux's container defaults) where /proc cannot be read. */
function ownLimits(): string {
  return ownProcFile('limits');
}

function ownProcFile(name: string): string {
  try {
    return readFileSync(`/proc/self/${name}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The caller's capability sets, for the command (root's on a host that
 * withholds some, as this one withholds CAP_SYS_RESOURCE, are not all of
 * them): a command gets what it would get run directly. Undefined (every
 * capability) where /proc cannot be read.
 */
export function callerCaps(status = ownProcFile('status')): CapSets | undefined {
  return parseStatusCaps(status);
}

/** Takes bin/tsvisor's note of the host network namespace out of the environment the app inherits. */
export function takeHostNetns(): string | undefined {
  const v = process.env[HOST_NETNS_ENV];
  delete process.env[HOST_NETNS_ENV];
  return v;
}

export function parseDoArgs(args: string[]): DoOptions {
  const { flags, rest } = parseFlags(args, {
    boolean: new Set(['strace', 'help', 'tty']),
    valued: new Set(['rootfs', 'overlay', 'hostname', 'debug-log', 'network']),
  });
  if (flags.has('help')) throw new UsageError(DO_USAGE);
  if (rest.length === 0) throw new UsageError('do: missing command');
  const rootfs = String(flags.get('rootfs') ?? '/');
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new UsageError(`--rootfs ${rootfs}: not a directory`);
  const overlay = String(flags.get('overlay') ?? 'memory');
  if (overlay !== 'memory' && overlay !== 'none') throw new UsageError(`--overlay must be memory or none, not ${overlay}`);
  const hostname = String(flags.get('hostname') ?? 'tsvisor');
  if (!HOSTNAME_RE.test(hostname)) throw new UsageError(`--hostname ${hostname}: not a valid hostname`);
  const debugLog = flags.get('debug-log');
  return {
    rootfs,
    overlay,
    hostname,
    strace: flags.has('strace'),
    debugLog: typeof debugLog === 'string' ? debugLog : undefined,
    tty: flags.has('tty'),
    network: parseNetworkMode(flags.get('network')),
    argv: rest,
  };
}

/** The `do` exit code: the app's exit code, or 128+n for death by signal n. */
export function exitCodeOf(e: SandboxExit): number {
  return e.signal !== undefined ? 128 + e.signal : e.code;
}

export function doCommand(args: string[]): void {
  const hostNetns = takeHostNetns();
  const o = parseDoArgs(args);
  if (o.network === 'host') process.stderr.write(HOST_NETWORK_WARNING);
  const debug = openDebugLog(o.debugLog);
  const gofer = startGofer({ root: o.rootfs, readOnly: o.overlay === 'memory' });
  // The Sentry's modules load while the Gofer's Node starts on the other CPU.
  const { runSandbox } = require('../sentry/sandbox') as typeof import('../sentry/sandbox');
  saveStartupCache();
  restoreAppEnv();
  const limits = callerLimits();
  const caps = callerCaps();
  const result = runSandbox({
    goferFd: gofer.fd,
    goferPid: gofer.pid,
    overlay: o.overlay,
    hostname: o.hostname,
    argv: o.argv,
    envp: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
    cwd: o.rootfs === '/' ? process.cwd() : '/',
    strace: o.strace ? (line) => writeSync(2, `${line}\n`) : undefined,
    debug,
    tty: o.tty,
    network: o.network,
    hostNetns,
    limits,
    caps,
  });
  if (result.message) process.stderr.write(`tsvisor: ${result.message}\n`);
  // A training run (cli/train.ts): the Sentry's cache, then the Gofer's, which it writes once its socket has closed.
  if (finishCacheTraining()) waitForExit(gofer.pid);
  // Everything is written (stdio writes are synchronous here) and every stub
  // is gone: exit without Node's orderly teardown of the environment and
  // the heap, ~3 ms of every sandbox run.
  process.exit(exitCodeOf(result));
}
