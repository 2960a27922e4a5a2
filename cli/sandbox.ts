/**
 * `tsvisor sandbox`: a pod's Sentry, started by the CRI server (not meant
 * for people). It listens on --control and runs containers on request.
 */
import { parseFlags, UsageError } from './flags';
import { saveStartupCache } from './startcache';
import { openDebugLog } from './debuglog';
import { HOST_NETWORK_WARNING, HOSTNAME_RE, parseNetworkMode, takeHostNetns } from './do';

export const SANDBOX_USAGE = `usage: tsvisor sandbox --control SOCKET [--hostname NAME] [--network=sandbox|none|host] [--shared-pid-namespace] [--debug-log FILE] [--strace]
`;

export function sandboxCommand(args: string[]): void {
  const { flags, rest } = parseFlags(args, {
    boolean: new Set(['strace', 'help', 'shared-pid-namespace']),
    valued: new Set(['control', 'hostname', 'debug-log', 'network']),
  });
  if (flags.has('help')) throw new UsageError(SANDBOX_USAGE);
  if (rest.length) throw new UsageError(`sandbox: unexpected argument ${rest[0]}`);
  const control = flags.get('control');
  if (typeof control !== 'string') throw new UsageError('sandbox: --control SOCKET is required');
  const hostname = String(flags.get('hostname') ?? 'tsvisor');
  const network = parseNetworkMode(flags.get('network'));
  if (network === 'host') process.stderr.write(HOST_NETWORK_WARNING);
  if (!HOSTNAME_RE.test(hostname)) throw new UsageError(`--hostname ${hostname}: not a valid hostname`);
  const debugLog = flags.get('debug-log');
  const debug = openDebugLog(typeof debugLog === 'string' ? debugLog : undefined);
  const { runPod } = require('../sentry/pod/run') as typeof import('../sentry/pod/run');
  saveStartupCache();
  runPod({
    controlPath: control,
    hostname,
    network,
    hostNetns: takeHostNetns(),
    sharedPidNamespace: flags.has('shared-pid-namespace'),
    debug,
    strace: flags.has('strace') ? (line) => debug?.(line) : undefined,
  });
}
