/**
 * A new AF_INET socket of the kernel's network mode: over the sandbox's
 * own stack, or (`--network=host`) a host socket in the Sentry's network
 * namespace. Shared by socket(2) and the Sentry's own connections
 * (port-forward), so both always use the same stack.
 */
import { IPPROTO } from '../../abi/linux/inet';
import type { Kernel } from '../../kernel/kernel';
import { HostInetSocket } from './hostinet';
import { type InetSocket, type SockIds, TcpSocket, UdpSocket } from './inet';
import { netStack } from './netstack';

/** `type` SOCK_STREAM or SOCK_DGRAM with `protocol` already resolved (TCP or UDP). */
export function newInetSocket(kernel: Kernel, type: number, protocol: number, nonblock: boolean, ids: SockIds): InetSocket {
  if (kernel.opts.network?.mode === 'host') return HostInetSocket.create(type, protocol, nonblock, ids);
  const stack = netStack(kernel);
  return protocol === IPPROTO.TCP ? new TcpSocket(stack.tcpSocket(), nonblock, ids) : new UdpSocket(stack.udpSocket(), nonblock, ids);
}
