/**
 * Bridge devices of the sandbox's network namespace, as the bridge
 * ioctls any socket takes make them (net/bridge/br_ioctl.c):
 * SIOCBRADDBR/SIOCBRDELBR by name, the old deviceless SIOCGIFBR/SIOCSIFBR
 * calls (version, list, add, delete) and SIOCBRADDIF/SIOCBRDELIF on a
 * bridge. Adding and deleting need CAP_NET_ADMIN, as in Linux.
 *
 * A bridge is a real interface of the namespace: it has an index and a
 * random local MAC, and ifaces.ts lists it beside lo and the Ethernet
 * interface (SIOCGIF*, rtnetlink dumps, /proc/net/dev), down and without
 * addresses, as Linux makes it. What is not supported: forwarding. No
 * port can be added (SIOCBRADDIF on the Ethernet interface is EOPNOTSUPP;
 * lo and bridges are EINVAL and ELOOP as in Linux), a bridge cannot be
 * brought up (interfaces are fixed: SIOCSIFFLAGS is EPERM) and rtnetlink
 * stays read-only (`ip link add type bridge` is EPERM).
 */
import { BRCTL, BRCTL_VERSION, SIOC_BRIDGE } from '../../abi/linux/bridge';
import { CAP } from '../../abi/linux/capability';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF, IFNAMSIZ, IFREQ, ifName } from '../../abi/linux/netdevice';
import { fail } from '../../errors/linuxerr';
import type { Credentials } from '../../kernel/creds';
import type { Kernel } from '../../kernel/kernel';
import { NicCounters } from '../../net/nic';
import { randomFill } from '../../platform/host/random';
import type { MemoryIO } from '../../platform/platform';

/** A bridge as ifaces.ts describes interfaces; `bridge` marks it. */
export interface BridgeDevice {
  readonly index: number;
  readonly name: string;
  readonly mac: Buffer;
  readonly counters: NicCounters;
}

/** Linux's own limit for BRCTL_GET_BRIDGES' index array (ENOMEM past it). */
const MAX_LISTED = 2048;

/** The namespace's bridges; indices continue after the namespace's other interfaces and are never reused, as Linux counts them. */
export class BridgeTable {
  private readonly byName = new Map<string, BridgeDevice>();

  constructor(private nextIndex: number) {}

  list(): BridgeDevice[] {
    return [...this.byName.values()];
  }

  /**
   * br_add_bridge: a valid name (dev_valid_name; one `%d` is replaced by
   * the lowest free number, as dev_alloc_name does) not taken by any
   * interface, else EINVAL / EEXIST.
   */
  add(requested: string, taken: (name: string) => boolean): BridgeDevice {
    const name = requested.includes('%') ? this.allocName(requested, taken) : requested;
    if (!validName(name)) fail('EINVAL', `bridge name ${JSON.stringify(requested)}`);
    if (taken(name)) fail('EEXIST', `interface ${name} exists`);
    const mac = Buffer.alloc(6);
    randomFill(mac);
    // eth_random_addr: a locally administered unicast address.
    mac[0] = (mac[0] & 0xfe) | 0x02;
    const dev: BridgeDevice = { index: this.nextIndex++, name, mac, counters: new NicCounters() };
    this.byName.set(name, dev);
    return dev;
  }

  /** br_del_bridge: ENXIO if no interface has the name, EPERM if it is not a bridge (bridges are never up here, so never EBUSY). */
  remove(name: string, taken: (name: string) => boolean): void {
    if (this.byName.delete(name)) return;
    fail(taken(name) ? 'EPERM' : 'ENXIO', `${name} is not a bridge`);
  }

  private allocName(pattern: string, taken: (name: string) => boolean): string {
    const at = pattern.indexOf('%');
    if (pattern.slice(at, at + 2) !== '%d' || pattern.indexOf('%', at + 1) >= 0) fail('EINVAL', `bridge name ${JSON.stringify(pattern)}`);
    for (let n = 0; ; n++) {
      const name = pattern.slice(0, at) + n + pattern.slice(at + 2);
      if (name.length >= IFNAMSIZ) fail('ENFILE', `no free name for ${pattern}`);
      if (!taken(name)) return name;
    }
  }
}

/** dev_valid_name: 1–15 bytes, not "." or "..", no '/', ':' or white space. */
function validName(name: string): boolean {
  return name.length > 0 && name.length < IFNAMSIZ && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

const tables = new WeakMap<Kernel, BridgeTable>();

/** The kernel's bridges (the sandbox is one network namespace); `firstIndex` follows its fixed interfaces. */
export function bridgeTable(k: Kernel, firstIndex: number): BridgeTable {
  let t = tables.get(k);
  if (!t) tables.set(k, (t = new BridgeTable(firstIndex)));
  return t;
}

/** What a bridge ioctl needs to know of each interface of the namespace (ifaces.ts's SandboxInterface has it). */
export interface InterfaceInfo {
  readonly index: number;
  readonly name: string;
  readonly hwType: number;
  readonly bridge?: true;
}

export interface BridgeIoctlContext {
  readonly table: BridgeTable;
  /** Every interface of the namespace, bridges included. */
  readonly interfaces: readonly InterfaceInfo[];
  readonly creds: Credentials;
  readonly mem: MemoryIO;
}

const BRIDGE_IOCTLS: ReadonlySet<number> = new Set(Object.values(SIOC_BRIDGE));

/** Whether `cmd` is one of the bridge ioctls every socket takes. */
export function isBridgeIoctl(cmd: number): boolean {
  return BRIDGE_IOCTLS.has(cmd);
}

function needNetAdmin(c: BridgeIoctlContext): void {
  if (!c.creds.hasCap(CAP.NET_ADMIN)) fail('EPERM', 'bridge configuration needs CAP_NET_ADMIN');
}

/** SIOCGIFBR/SIOCSIFBR (old_deviceless): `unsigned long args[3]` at `arg`, args[0] the command. */
function deviceless(c: BridgeIoctlContext, arg: number): number {
  const args = c.mem.read(arg, 24);
  const cmd = Number(args.readBigUInt64LE(0));
  const a1 = Number(args.readBigUInt64LE(8));
  const a2 = args.readBigUInt64LE(16);
  switch (cmd) {
    case BRCTL.GET_VERSION:
      return BRCTL_VERSION;
    case BRCTL.GET_BRIDGES: {
      if (a2 >= BigInt(MAX_LISTED)) fail('ENOMEM', 'BRCTL_GET_BRIDGES: too many slots');
      const indices = c.table.list().slice(0, Number(a2)).map((b) => b.index);
      const out = Buffer.alloc(indices.length * 4);
      indices.forEach((index, k) => out.writeInt32LE(index, k * 4));
      if (out.length) c.mem.write(a1, out);
      return indices.length;
    }
    case BRCTL.ADD_BRIDGE:
    case BRCTL.DEL_BRIDGE:
      needNetAdmin(c);
      return addOrDelete(c, cmd === BRCTL.ADD_BRIDGE, ifName(c.mem.read(a1, IFNAMSIZ)));
    default:
      return fail('EOPNOTSUPP', `bridge command ${cmd}`);
  }
}

function addOrDelete(c: BridgeIoctlContext, add: boolean, name: string): number {
  const taken = (n: string) => c.interfaces.some((i) => i.name === n);
  if (add) c.table.add(name, taken);
  else c.table.remove(name, taken);
  return 0;
}

/**
 * SIOCBRADDIF/SIOCBRDELIF (add_del_if) on the bridge named in the ifreq,
 * the port by ifr_ifindex: EPERM without CAP_NET_ADMIN (checked first, in
 * dev_ioctl), ENODEV if the named interface does not exist, EOPNOTSUPP if
 * it is not a bridge, EINVAL for an unknown port. Deleting: no interface
 * is ever a port (EINVAL). Adding: lo is EINVAL and a bridge ELOOP as in
 * Linux; the Ethernet interface would need forwarding, which the sandbox
 * does not do.
 */
function portIoctl(c: BridgeIoctlContext, add: boolean, arg: number): number {
  needNetAdmin(c);
  const r = c.mem.read(arg, IFREQ.SIZE);
  const name = ifName(r);
  const br = c.interfaces.find((i) => i.name === name) ?? fail('ENODEV', `interface ${JSON.stringify(name)}`);
  if (!br.bridge) fail('EOPNOTSUPP', `${name} is not a bridge`);
  const index = r.readInt32LE(IFREQ.UNION);
  const port = c.interfaces.find((i) => i.index === index) ?? fail('EINVAL', 'no interface with that index');
  if (!add) return fail('EINVAL', `${port.name} is not a port of ${name}`);
  if (port.hwType === ARPHRD_LOOPBACK) fail('EINVAL', 'lo cannot be a bridge port');
  if (port.bridge) fail('ELOOP', 'a bridge cannot be a port of a bridge');
  if (port.hwType !== ARPHRD_ETHER) fail('EINVAL', `${port.name} is not an Ethernet device`);
  return fail('EOPNOTSUPP', 'the sandbox network stack does not forward between interfaces');
}

/** One bridge ioctl (isBridgeIoctl) on a socket. */
export function bridgeIoctl(c: BridgeIoctlContext, cmd: number, arg: number): number {
  switch (cmd) {
    case SIOC_BRIDGE.GIFBR:
    case SIOC_BRIDGE.SIFBR:
      return deviceless(c, arg);
    case SIOC_BRIDGE.BRADDBR:
    case SIOC_BRIDGE.BRDELBR:
      needNetAdmin(c);
      return addOrDelete(c, cmd === SIOC_BRIDGE.BRADDBR, ifName(c.mem.read(arg, IFNAMSIZ)));
    default:
      return portIoctl(c, cmd === SIOC_BRIDGE.BRADDIF, arg);
  }
}

/** A new bridge's interface flags: down, as br_add_bridge leaves it. */
export const BRIDGE_FLAGS = IFF.BROADCAST | IFF.MULTICAST;
