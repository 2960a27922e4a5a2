/**
 * The sandbox's network at start-up, before the seccomp filter and the
 * privilege drop. `sandbox` (the default) gives the Sentry's own stack the
 * Ethernet interface of the network namespace it starts in (the pod's
 * veth): a packet socket on it, and its IPv4 address, prefix, default
 * gateway and MTU, which the host stack gives up so that only the sandbox
 * answers for that address. Only a veth is ever taken, and nothing in the
 * host's own network namespace (told by pid 1's namespace, or, where that
 * is unreadable as in some VMs, by the initial namespace's fixed inode
 * number on recent kernels), so a host's NIC is never cut off; the
 * sandbox then has only `lo`, as with `none`. `host` is handled by the
 * socket layer.
 */
import { readlinkSync } from 'node:fs';
import { defaultGateway, describeInterface, type HostInterface, interfaceNames, isEthernet, PacketSocket, releaseAddresses } from './platform/host/netif';
import { PacketLink } from './fsimpl/socket/packetlink';
import { HostProcNet } from './platform/host/procnet';
import type { NetworkOptions } from './fsimpl/socket/netstack';

export const NETWORK_MODES = ['sandbox', 'none', 'host'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** The environment variable bin/tsvisor passes the host's network namespace in (its own /proc hides pid 1's). */
export const HOST_NETNS_ENV = 'TSVISOR_HOST_NETNS';

/**
 * The initial network namespace's nsfs name on kernels that give it a fixed
 * inode number (0xEFFFFFF9, next to the fixed PROC_*_INIT_INO numbers of
 * the other initial namespaces); older kernels allocate it dynamically, at
 * or above 0xF0000000, so this never matches another namespace there.
 */
const INIT_NETNS = 'net:[4026531833]';

function netnsOf(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The interface the sandbox takes: the first veth that is up and has an IPv4 address. */
function chooseInterface(ifaces: readonly HostInterface[]): HostInterface | undefined {
  return ifaces.find((i) => isEthernet(i) && i.driver === 'veth' && i.up && i.ipv4 !== undefined);
}

export function prepareNetwork(mode: NetworkMode, hostNetns: string | undefined, log: (line: string) => void): NetworkOptions {
  // Host mode: the app's sockets are the host's, and so are the tables /proc/net lists them in.
  if (mode === 'host') return { mode, hostTables: HostProcNet.open() };
  if (mode !== 'sandbox') return { mode };
  const own = netnsOf('/proc/self/ns/net');
  // Set (maybe empty: unreadable) when bin/tsvisor made our PID namespace, where pid 1 is this process.
  const host = hostNetns !== undefined ? hostNetns || undefined : netnsOf('/proc/1/ns/net');
  if (own === undefined || own === host || own === INIT_NETNS) {
    log('network: sandbox mode in the host network namespace: only lo (no interface is taken from the host)');
    return { mode };
  }
  const iface = chooseInterface(interfaceNames().map(describeInterface));
  if (!iface?.ipv4) {
    log('network: no veth with an IPv4 address: only lo');
    return { mode };
  }
  let socket: PacketSocket;
  try {
    socket = new PacketSocket(iface.index);
  } catch (e) {
    throw new Error(`network: cannot open a packet socket on ${iface.name} (${(e as Error).message}); the sandbox network needs CAP_NET_RAW (or use --network=none)`);
  }
  const gateway = defaultGateway(iface.name);
  releaseAddresses(iface.name);
  const { address, prefixLength } = iface.ipv4;
  log(`network: ${iface.name} ${address}/${prefixLength}${gateway ? ` via ${gateway}` : ''} mtu ${iface.mtu} taken over by the sandbox stack`);
  return { mode, nic: { link: new PacketLink(socket, iface.mac, iface.mtu), name: iface.name, address, prefixLength, gateway } };
}
