/**
 * The sandbox's network interfaces as programs see them: the interface
 * ioctls Linux answers on any socket (SIOCGIFCONF, SIOCGIF* by name or
 * index: what busybox ifconfig, glibc's if_nametoindex and getifaddrs'
 * fallbacks use) and /proc/net/dev and /proc/net/route. They describe the
 * stack's interfaces: `lo` (index 1) and, when the sandbox took one over,
 * its Ethernet interface (index 2), then the bridges programs made
 * (bridges.ts: down, without addresses). Changing an interface (SIOCSIF*)
 * is refused: the sandbox's addresses are the ones the runtime gave it.
 * rtnetlink (netlink.ts) describes the same interfaces.
 * Not supported: SIOCGIFMETRIC/MAP, and other interfaces in host mode.
 */
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFCONF, IFF, IFNAMSIZ, IFREQ, ifName, RTF, SIOC } from '../../abi/linux/netdevice';
import { fail } from '../../errors/linuxerr';
import type { Credentials } from '../../kernel/creds';
import type { Kernel } from '../../kernel/kernel';
import { prefixMask, type Ipv4 } from '../../net/addr';
import type { Nic, NicCounters } from '../../net/nic';
import type { Stack } from '../../net/stack';
import type { MemoryIO } from '../../platform/platform';
import { BRIDGE_FLAGS, type BridgeDevice, bridgeIoctl, type BridgeTable, bridgeTable, isBridgeIoctl } from './bridges';
import { encodeInetAddr } from './inet_address';
import { netStack } from './netstack';

export interface SandboxInterface {
  index: number;
  name: string;
  flags: number;
  hwType: number;
  mac: Buffer;
  mtu: number;
  /** The IPv4 address; 0: none (a bridge). */
  address: Ipv4;
  prefixLength: number;
  /** The subnet's broadcast address (0 on lo, which has none). */
  broadcast: Ipv4;
  counters: NicCounters;
  /** A bridge (bridges.ts). */
  bridge?: true;
}

function describe(index: number, nic: Nic, ethernet?: { mac: Buffer }): SandboxInterface {
  const mask = prefixMask(nic.prefixLength);
  return {
    index, name: nic.name, mtu: nic.mtu, address: nic.address, prefixLength: nic.prefixLength, counters: nic.counters,
    flags: ethernet ? IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.MULTICAST : IFF.UP | IFF.LOOPBACK | IFF.RUNNING,
    hwType: ethernet ? ARPHRD_ETHER : ARPHRD_LOOPBACK,
    mac: ethernet ? ethernet.mac : Buffer.alloc(6),
    broadcast: ethernet ? (nic.address | ~mask) >>> 0 : 0,
  };
}

/** Every interface's transmit queue length: the default of Linux's Ethernet devices (veth) and of lo. */
export const TXQLEN = 1000;

/** A bridge without ports has the Ethernet default MTU. */
const ETHERNET_MTU = 1500;

function describeBridge(b: BridgeDevice): SandboxInterface {
  return { ...b, bridge: true, flags: BRIDGE_FLAGS, hwType: ARPHRD_ETHER, mtu: ETHERNET_MTU, address: 0, prefixLength: 0, broadcast: 0 };
}

export function sandboxInterfaces(stack: Stack, bridges: readonly BridgeDevice[] = []): SandboxInterface[] {
  const eth = stack.ethernet;
  return [describe(1, stack.loopback), ...(eth ? [describe(2, eth, eth)] : []), ...bridges.map(describeBridge)];
}

/** The bridges of `k`'s namespace, numbered after lo and the Ethernet interface. */
function kernelBridges(k: Kernel): BridgeTable {
  return bridgeTable(k, netStack(k).ethernet ? 3 : 2);
}

/** The interfaces of `k`'s network namespace. */
export function kernelInterfaces(k: Kernel): SandboxInterface[] {
  return sandboxInterfaces(netStack(k), kernelBridges(k).list());
}

/** Whether an interface has its carrier (lo and the Ethernet interface, always; a bridge, never: it is down). */
export const isRunning = (i: SandboxInterface): boolean => (i.flags & IFF.RUNNING) !== 0;

const ETHER_BROADCAST = Buffer.alloc(6, 0xff);

/** The link-layer broadcast address: Ethernet's all-ones, none (zeros) on lo. */
export const broadcastMac = (i: SandboxInterface): Buffer => (i.flags & IFF.LOOPBACK ? Buffer.alloc(6) : ETHER_BROADCAST);

/** Whether an interface has an IPv4 address (a bridge has none). */
export const hasAddress = (i: SandboxInterface): boolean => i.address !== 0;

/** RFC 2863 operational state, as rtnetlink's IFLA_OPERSTATE and sysfs' operstate give it: lo has none of its own. */
export function operState(i: SandboxInterface): 'up' | 'down' | 'unknown' {
  if (!isRunning(i)) return 'down';
  return i.flags & IFF.LOOPBACK ? 'unknown' : 'up';
}

/** Whether `cmd` is an interface ioctl of this module. */
function isInterfaceIoctl(cmd: number): boolean {
  return GETTERS.has(cmd) || cmd === SIOC.GIFCONF || cmd === SIOC.GIFNAME || SETTERS.has(cmd);
}

/** Whether `cmd` is an interface or bridge ioctl: any socket answers them (sock_ioctl hands them to the device layer). */
export function isNetdevIoctl(cmd: number): boolean {
  return isInterfaceIoctl(cmd) || isBridgeIoctl(cmd);
}

/** SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFBRDADDR, SIOCSIFNETMASK, SIOCSIFMTU, SIOCSIFHWADDR. */
const SETTERS = new Set([0x8914, 0x8916, 0x891a, 0x891c, 0x8922, 0x8924]);

/** An interface address as the ifreq union holds it: a sockaddr_in with port 0. */
function sockaddrIn(b: Buffer, off: number, a: Ipv4): void {
  encodeInetAddr({ addr: a, port: 0 }).copy(b, off);
}

/** What each SIOCGIF* request writes into the ifreq's union. */
const GETTERS = new Map<number, (r: Buffer, i: SandboxInterface) => void>([
  [SIOC.GIFFLAGS, (r, i) => r.writeUInt16LE(i.flags, IFREQ.UNION)],
  [SIOC.GIFADDR, (r, i) => sockaddrIn(r, IFREQ.UNION, i.address)],
  [SIOC.GIFNETMASK, (r, i) => sockaddrIn(r, IFREQ.UNION, prefixMask(i.prefixLength))],
  [SIOC.GIFBRDADDR, (r, i) => sockaddrIn(r, IFREQ.UNION, i.broadcast)],
  [SIOC.GIFMTU, (r, i) => r.writeInt32LE(i.mtu, IFREQ.UNION)],
  [SIOC.GIFINDEX, (r, i) => r.writeInt32LE(i.index, IFREQ.UNION)],
  [SIOC.GIFTXQLEN, (r) => r.writeInt32LE(TXQLEN, IFREQ.UNION)],
  [SIOC.GIFHWADDR, (r, i) => {
    r.fill(0, IFREQ.UNION, IFREQ.SIZE);
    r.writeUInt16LE(i.hwType, IFREQ.UNION);
    i.mac.copy(r, IFREQ.UNION + 2);
  }],
]);

/** The requests about an IPv4 address: EADDRNOTAVAIL on an interface without one (devinet_ioctl). */
const ADDRESS_GETTERS: ReadonlySet<number> = new Set([SIOC.GIFADDR, SIOC.GIFNETMASK, SIOC.GIFBRDADDR]);

/** SIOCGIFCONF: an ifreq (name, IPv4 address) per interface with an address that fits; a NULL buffer asks for the length needed. */
function interfaceConf(mem: MemoryIO, all: SandboxInterface[], arg: number): number {
  const ifaces = all.filter(hasAddress);
  const conf = mem.read(arg, IFCONF.SIZE);
  const len = conf.readInt32LE(IFCONF.LEN);
  const buf = Number(conf.readBigUInt64LE(IFCONF.BUF));
  if (buf === 0) {
    conf.writeInt32LE(ifaces.length * IFREQ.SIZE, IFCONF.LEN);
  } else {
    const fit = ifaces.slice(0, Math.max(0, Math.floor(len / IFREQ.SIZE)));
    const out = Buffer.alloc(fit.length * IFREQ.SIZE);
    fit.forEach((i, k) => {
      out.write(i.name, k * IFREQ.SIZE + IFREQ.NAME, 'latin1');
      sockaddrIn(out, k * IFREQ.SIZE + IFREQ.UNION, i.address);
    });
    if (out.length) mem.write(buf, out);
    conf.writeInt32LE(out.length, IFCONF.LEN);
  }
  mem.write(arg, conf.subarray(0, 4));
  return 0;
}

/** An interface ioctl (isInterfaceIoctl) on a socket of `kernel`'s sandbox. */
function interfaceIoctl(kernel: Kernel, mem: MemoryIO, cmd: number, arg: number): number {
  const ifaces = kernelInterfaces(kernel);
  if (cmd === SIOC.GIFCONF) return interfaceConf(mem, ifaces, arg);
  const r = mem.read(arg, IFREQ.SIZE);
  if (cmd === SIOC.GIFNAME) {
    const index = r.readInt32LE(IFREQ.UNION);
    const i = ifaces.find((x) => x.index === index) ?? fail('ENODEV', `interface index ${index}`);
    r.fill(0, IFREQ.NAME, IFREQ.NAME + IFNAMSIZ);
    r.write(i.name, IFREQ.NAME, 'latin1');
  } else {
    const name = ifName(r);
    const i = ifaces.find((x) => x.name === name) ?? fail('ENODEV', `interface ${JSON.stringify(name)}`);
    if (SETTERS.has(cmd)) fail('EPERM', `ioctl ${cmd.toString(16)}: the sandbox's interfaces are fixed`);
    if (!hasAddress(i) && ADDRESS_GETTERS.has(cmd)) fail('EADDRNOTAVAIL', `${i.name} has no IPv4 address`);
    GETTERS.get(cmd)?.(r, i);
  }
  mem.write(arg, r);
  return 0;
}

/** A netdev ioctl (isNetdevIoctl) on a socket of `kernel`'s sandbox, by a process with `creds` (bridge changes need CAP_NET_ADMIN). */
export function netdevIoctl(kernel: Kernel, creds: Credentials, mem: MemoryIO, cmd: number, arg: number): number {
  if (!isBridgeIoctl(cmd)) return interfaceIoctl(kernel, mem, cmd, arg);
  return bridgeIoctl({ table: kernelBridges(kernel), interfaces: kernelInterfaces(kernel), creds, mem }, cmd, arg);
}

/** /proc/net/dev: Linux's two header lines and its per-interface counter format. */
export function procNetDev(kernel: Kernel): string {
  const head =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const row = (i: SandboxInterface) => {
    const c = i.counters;
    const rx = [`${c.rxBytes}`.padStart(8), `${c.rxPackets}`.padStart(7), '   0', '   0', '   0', '    0', '         0', '        0'];
    const tx = [`${c.txBytes}`.padStart(8), `${c.txPackets}`.padStart(7), '   0', `${c.txDropped}`.padStart(4), '   0', '    0', '      0', '         0'];
    return `${i.name.padStart(6)}:${rx.join(' ')} ${tx.join(' ')}\n`;
  };
  return head + kernelInterfaces(kernel).map(row).join('');
}

/** An address as /proc/net/route and /proc/net/tcp print it: the network-order bytes read as a little-endian word, in hex. */
export const routeHex = (a: Ipv4): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(a);
  return b.readUInt32LE().toString(16).toUpperCase().padStart(8, '0');
};

/** /proc/net/route: the Ethernet interface's subnet and default route (lo's routes live in another table, as in Linux). */
export function procNetRoute(kernel: Kernel): string {
  const stack = netStack(kernel);
  const line = (fields: string) => `${fields.padEnd(127)}\n`;
  let out = line('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT');
  const eth = stack.ethernet;
  if (!eth) return out;
  const mask = prefixMask(eth.prefixLength);
  const gw = stack.defaultGateway;
  if (gw !== undefined) out += line(`${eth.name}\t00000000\t${routeHex(gw)}\t${(RTF.UP | RTF.GATEWAY).toString(16).padStart(4, '0')}\t0\t0\t0\t00000000\t0\t0\t0`);
  out += line(`${eth.name}\t${routeHex((eth.address & mask) >>> 0)}\t00000000\t${RTF.UP.toString(16).padStart(4, '0')}\t0\t0\t0\t${routeHex(mask)}\t0\t0\t0`);
  return out;
}
