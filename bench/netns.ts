/**
 * The network benchmark's test hosts: two network namespaces joined by a
 * veth pair, named after this process so concurrent runs never collide.
 * Namespace A holds the runner under test, B the native peer. Offloads stay
 * at the veth's defaults (TSO/GSO on), as a pod's veth has them.
 *
 * A sandbox that takes over A's interface (tsvisor `sandbox`, runsc's
 * netstack) removes its address from A's host stack and does not give it
 * back, so `resetA` puts it back before every run.
 */
import { spawnSync } from 'node:child_process';

const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';
const PREFIX = 24;

export interface Topology {
  /** /var/run/netns/... paths, for nsenter and an OCI spec. */
  readonly pathA: string;
  readonly pathB: string;
  readonly addrA: string;
  readonly addrB: string;
  /** Gives A's veth its address again (a sandbox run took it). */
  resetA(): void;
  /** argv that runs `argv` natively in B. */
  inB(argv: string[]): string[];
  /** Deletes both namespaces (and so the veth pair); safe to call twice. */
  close(): void;
}

function ip(args: string[]): void {
  const r = spawnSync(IP, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

export function createTopology(): Topology {
  const tag = `tsvnb-${process.pid}`;
  const nsA = `${tag}-a`;
  const nsB = `${tag}-b`;
  // Interface names are at most 15 bytes.
  const devA = `nba${process.pid}`;
  const devB = `nbb${process.pid}`;
  const addrA = '10.77.0.1';
  const addrB = '10.77.0.2';
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const ns of [nsA, nsB]) spawnSync(IP, ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', devA, 'netns', nsA, 'type', 'veth', 'peer', 'name', devB, 'netns', nsB]);
    for (const [ns, dev, addr] of [[nsA, devA, addrA], [nsB, devB, addrB]]) {
      // IPv4 only: no router solicitations or DAD traffic during the runs.
      const r = spawnSync(IP, ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sysctl in ${ns}: ${r.stderr.trim()}`);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${addr}/${PREFIX}`, 'dev', dev]);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (e) {
    close();
    throw e;
  }
  return {
    pathA: `/var/run/netns/${nsA}`,
    pathB: `/var/run/netns/${nsB}`,
    addrA,
    addrB,
    resetA: () => ip(['-n', nsA, 'addr', 'replace', `${addrA}/${PREFIX}`, 'dev', devA]),
    // nsenter rather than `ip netns exec`, which also remounts /sys.
    inB: (argv) => [NSENTER, `--net=/var/run/netns/${nsB}`, ...argv],
    close,
  };
}
