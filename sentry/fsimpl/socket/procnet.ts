/**
 * /proc/net/tcp, tcp6, udp, udp6 (and raw, raw6, empty): the sandbox's sockets in Linux's
 * format (net/ipv4/tcp_ipv4.c get_tcp4_sock, udp.c udp4_format_sock), so
 * netstat and friends list them. The sandbox stack is IPv4 only: the
 * IPv6 tables have their header and no rows. In `host` network mode the
 * app's sockets are host sockets, and the host's tables of the Sentry's
 * network namespace are shown as they are.
 *
 * Not reproduced: timers (tr, tm->when, retrnsmt are 0), reference counts
 * (1), socket pointers (0, as with kptr_restrict), and per-connection
 * RTO/ATO/cwnd/ssthresh (Linux's initial values are printed).
 */
import type { Kernel } from '../../kernel/kernel';
import type { Ipv4 } from '../../net/addr';
import { TcpState, type TcpEndpoint } from '../../net/tcp/endpoint';
import type { UdpEndpoint } from '../../net/udp';
import { PROC_NET_TABLES } from '../../platform/host/procnet';
import { routeHex } from './ifaces';
import { socketIdsOf } from './inet';
import { netStack } from './netstack';

/** Linux's TCP state numbers (include/net/tcp_states.h). */
const LINUX_TCP_STATE: Record<TcpState, number> = {
  [TcpState.ESTABLISHED]: 1, [TcpState.SYN_SENT]: 2, [TcpState.SYN_RCVD]: 3, [TcpState.FIN_WAIT_1]: 4, [TcpState.FIN_WAIT_2]: 5,
  [TcpState.TIME_WAIT]: 6, [TcpState.CLOSED]: 7, [TcpState.CLOSE_WAIT]: 8, [TcpState.LAST_ACK]: 9, [TcpState.LISTEN]: 10, [TcpState.CLOSING]: 11,
};

/** Row widths: seq_pad fills each line to TMPSZ - 1 (tcp 150, udp 128). */
const TCP_WIDTH = 149;
const UDP_WIDTH = 127;
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UDP_HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const V6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

const hex = (n: number, width: number): string => (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
const addr = (a: Ipv4, port: number): string => `${routeHex(a)}:${hex(port, 4)}`;
const dec = (n: number, width: number): string => String(n).padStart(width, ' ');

function tcpRow(i: number, e: TcpEndpoint): string {
  const ids = socketIdsOf(e);
  const listening = e.state === TcpState.LISTEN;
  // A listener's receive queue is its accept queue (it sends nothing); a connection's queues are unacknowledged and unread bytes.
  const { tx, rx } = listening ? { tx: 0, rx: e.acceptBacklog } : { tx: e.outQueue, rx: e.inQueue };
  const tail = listening ? '100 0 0 10 0' : '20 4 0 10 -1';
  return `${dec(i, 4)}: ${addr(e.localAddr, e.localPort)} ${addr(e.remoteAddr, e.remotePort)} ${hex(LINUX_TCP_STATE[e.state], 2)} ` +
    `${hex(tx, 8)}:${hex(rx, 8)} 00:00000000 00000000 ${dec(ids?.uid ?? 0, 5)} ${dec(0, 8)} ${ids?.ino ?? 0} 1 0000000000000000 ${tail}`;
}

function udpRow(i: number, e: UdpEndpoint): string {
  const ids = socketIdsOf(e);
  // As udp4_format_sock: a connected socket shows TCP_ESTABLISHED, others TCP_CLOSE.
  const state = LINUX_TCP_STATE[e.remotePort !== 0 ? TcpState.ESTABLISHED : TcpState.CLOSED];
  return `${dec(i, 5)}: ${addr(e.localAddr, e.localPort)} ${addr(e.remoteAddr, e.remotePort)} ${hex(state, 2)} ` +
    `${hex(0, 8)}:${hex(e.queuedBytes, 8)} 00:00000000 00000000 ${dec(ids?.uid ?? 0, 5)} ${dec(0, 8)} ${ids?.ino ?? 0} 2 0000000000000000 0`;
}

const table = (header: string, rows: string[], width: number): string => [header, ...rows].map((l) => `${l.padEnd(width)}\n`).join('');

/** The tables /proc/net has: the host's ones, and the raw sockets' (always empty: apps cannot make raw sockets). */
export const SOCKET_TABLES = [...PROC_NET_TABLES, 'raw', 'raw6'] as const;
export type SocketTable = (typeof SOCKET_TABLES)[number];

/** Each table without rows (only the IPv4 TCP and UDP ones are padded). */
const EMPTY: Record<SocketTable, string> = {
  tcp: table(TCP_HEADER, [], TCP_WIDTH), udp: table(UDP_HEADER, [], UDP_WIDTH), tcp6: `${V6_HEADER}\n`, udp6: `${V6_HEADER} ref pointer drops\n`,
  raw: `${UDP_HEADER.slice(1)}\n`, raw6: `${V6_HEADER} ref pointer drops\n`,
};

/** The text of /proc/net/`name` for the sandbox. */
export function procNetSockets(kernel: Kernel, name: SocketTable): string {
  if (name === 'raw' || name === 'raw6') return EMPTY[name];
  const host = kernel.opts.network?.hostTables;
  if (host) return host.read(name) ?? EMPTY[name];
  if (name === 'tcp6' || name === 'udp6') return EMPTY[name];
  const stack = netStack(kernel);
  if (name === 'udp') return table(UDP_HEADER, [...stack.udp.ports.all()].map((e, i) => udpRow(i, e)), UDP_WIDTH);
  // Listeners first, as Linux walks its listening hash before the established one.
  const eps = [...stack.tcp.ports.all()].filter((e) => e.state !== TcpState.CLOSED);
  eps.sort((a, b) => Number(b.state === TcpState.LISTEN) - Number(a.state === TcpState.LISTEN));
  return table(TCP_HEADER, eps.map((e, i) => tcpRow(i, e)), TCP_WIDTH);
}
