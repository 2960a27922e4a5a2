/**
 * The host side of the sandbox network: what an interface of the
 * Sentry's network namespace looks like (ioctls on a throwaway socket,
 * /proc/self/net for names and routes), taking its IPv4 address away from
 * the host stack, and the AF_PACKET socket the Sentry's own stack sends
 * and receives raw frames on. All of it runs before the seccomp filter
 * (which denies socket(2)) and before the privilege drop (packet sockets
 * and address changes need CAP_NET_RAW / CAP_NET_ADMIN).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import koffi from './koffi';
import {
  ARPHRD_ETHER, ETH_P_ALL_BE, ETHTOOL_DRVINFO, ETHTOOL_GDRVINFO, IFF, IFNAMSIZ, IFREQ, PACKET_OPT, SIOC, SOCKADDR_LL, SOL_PACKET,
  VIRTIO_NET_HDR, VIRTIO_NET_HDR_F, VIRTIO_NET_HDR_GSO,
} from '../../abi/linux/netdevice';
import { AF, SOCK } from '../../abi/linux/socket';
import { IOVEC_SIZE, MSG, SOL_SOCKET } from '../../abi/linux/scm';
import { addressOf, check, errno, HostError, raw } from './libc';

const libc = koffi.load('libc.so.6');
const fns = {
  recv: libc.func('long recv(int fd, void *buf, size_t len, int flags)'),
  writev: libc.func('long writev(int fd, void *iov, int iovcnt)'),
};

const EINTR = 4;
const EAGAIN = 11;
const EINVAL = 22;
const ENOBUFS = 105;
const SO_RCVBUFFORCE = 33;
const SO_SNDBUFFORCE = 32;

export interface HostInterface {
  name: string;
  index: number;
  up: boolean;
  loopback: boolean;
  /** The link-layer type (ARPHRD_ETHER for Ethernet and veth). */
  hwType: number;
  mac: Buffer;
  mtu: number;
  /** The kernel driver (ethtool), e.g. `veth`; '' when the device has none. */
  driver: string;
  /** Its primary IPv4 address, dotted, with the prefix length of its netmask. */
  ipv4?: { address: string; prefixLength: number };
}

/** The interface names of this process's network namespace (/proc/self/net/dev). */
export function interfaceNames(): string[] {
  return readFileSync('/proc/self/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter((n) => n !== '');
}

const dotted = (b: Buffer, off: number) => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

function prefixOf(mask: Buffer, off: number): number {
  const m = mask.readUInt32BE(off);
  let n = 0;
  while (n < 32 && m & (0x80000000 >>> n)) n++;
  return n;
}

/** An AF_INET datagram socket, the handle the interface ioctls are made on. */
function withControlSocket<T>(fn: (fd: number) => T): T {
  const fd = check('socket', raw.socket(AF.INET, SOCK.DGRAM | SOCK.CLOEXEC, 0) as number);
  try {
    return fn(fd);
  } finally {
    raw.close(fd);
  }
}

function ifreq(name: string): Buffer {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`interface name too long: ${name}`);
  const r = Buffer.alloc(IFREQ.SIZE);
  r.write(name, IFREQ.NAME);
  return r;
}

/** One SIOCG* ioctl; undefined when the kernel says the device has no such thing (EADDRNOTAVAIL, EOPNOTSUPP…). */
function query(fd: number, name: string, req: number): Buffer | undefined {
  const r = ifreq(name);
  return Number(raw.ioctlP(fd, req, r)) < 0 ? undefined : r;
}

function driverOf(fd: number, name: string): string {
  const info = Buffer.alloc(ETHTOOL_DRVINFO.SIZE);
  info.writeUInt32LE(ETHTOOL_GDRVINFO, ETHTOOL_DRVINFO.CMD);
  const r = ifreq(name);
  r.writeBigUInt64LE(addressOf(info), IFREQ.UNION);
  if (Number(raw.ioctlP(fd, SIOC.ETHTOOL, r)) < 0) return '';
  const d = info.subarray(ETHTOOL_DRVINFO.DRIVER, ETHTOOL_DRVINFO.DRIVER + ETHTOOL_DRVINFO.DRIVER_LEN);
  return d.subarray(0, d.indexOf(0) < 0 ? d.length : d.indexOf(0)).toString();
}

export function describeInterface(name: string): HostInterface {
  return withControlSocket((fd) => {
    const need = (req: number, what: string) => query(fd, name, req) ?? (() => { throw new HostError(`${what} ${name}`, errno()); })();
    const flags = need(SIOC.GIFFLAGS, 'SIOCGIFFLAGS').readUInt16LE(IFREQ.UNION);
    const hw = need(SIOC.GIFHWADDR, 'SIOCGIFHWADDR');
    const addr = query(fd, name, SIOC.GIFADDR);
    const mask = query(fd, name, SIOC.GIFNETMASK);
    return {
      name,
      index: need(SIOC.GIFINDEX, 'SIOCGIFINDEX').readInt32LE(IFREQ.UNION),
      up: (flags & IFF.UP) !== 0,
      loopback: (flags & IFF.LOOPBACK) !== 0,
      hwType: hw.readUInt16LE(IFREQ.UNION),
      mac: Buffer.from(hw.subarray(IFREQ.UNION + 2, IFREQ.UNION + 8)),
      mtu: need(SIOC.GIFMTU, 'SIOCGIFMTU').readInt32LE(IFREQ.UNION),
      driver: driverOf(fd, name),
      // struct sockaddr_in in the union: the address at offset 4.
      ipv4: addr && mask ? { address: dotted(addr, IFREQ.UNION + 4), prefixLength: prefixOf(mask, IFREQ.UNION + 4) } : undefined,
    };
  });
}

export const isEthernet = (i: HostInterface) => i.hwType === ARPHRD_ETHER && !i.loopback;

/** The default route's gateway through `name` (/proc/self/net/route: little-endian hex), if any. */
export function defaultGateway(name: string): string | undefined {
  for (const line of readFileSync('/proc/self/net/route', 'utf8').split('\n').slice(1)) {
    const [iface, dest, gw, , , , , mask] = line.trim().split(/\s+/);
    if (iface !== name || dest !== '00000000' || mask !== '00000000') continue;
    const b = Buffer.alloc(4);
    b.writeUInt32LE(Number.parseInt(gw, 16));
    return dotted(b, 0);
  }
  return undefined;
}

/**
 * Takes the interface's IPv4 address (and with it its routes) away from
 * the host stack, which would otherwise answer ARP and send RSTs for the
 * sandbox's ports; and turns IPv6 off on it (no link-local address, no
 * neighbour discovery answers) where the kernel has IPv6.
 */
export function releaseAddresses(name: string): void {
  withControlSocket((fd) => {
    const r = ifreq(name);
    r.writeUInt16LE(AF.INET, IFREQ.UNION); // sockaddr_in 0.0.0.0: delete the address
    check(`SIOCSIFADDR ${name}`, raw.ioctlP(fd, SIOC.SIFADDR, r) as number);
  });
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** What one receive returned: where the frame starts in the buffer, its length (beyond the buffer when truncated), what the kernel said of it. */
export interface ReceivedFrame {
  /** The frame follows the virtio_net_hdr at the start of the buffer. */
  start: number;
  length: number;
  /** Its TCP/UDP checksum needs no check: partial from a local sender (NEEDS_CSUM), or verified (DATA_VALID). */
  checksumOk: boolean;
}

/** What the link asks the kernel to finish for one sent frame (virtio_net_hdr's fields, offsets from the frame's start). */
export interface FrameOffload {
  csumStart: number;
  csumOffset: number;
  /** TCP/IPv4 segment payload size, 0: no segmentation. */
  gsoSize: number;
  headerLength: number;
}

/**
 * A non-blocking AF_PACKET socket bound to one interface: every frame the
 * interface receives, none it sends. With PACKET_VNET_HDR each frame comes
 * and goes behind a struct virtio_net_hdr: received frames say whether
 * their checksum still needs checking, and GSO frames of a local sender
 * arrive whole; sent frames may leave their TCP checksum and their
 * segmentation to the kernel (done in software where the device cannot).
 */
export class PacketSocket {
  readonly fd: number;
  private readonly txHeader = Buffer.alloc(VIRTIO_NET_HDR.SIZE);
  private readonly iov = Buffer.alloc(2 * IOVEC_SIZE);

  constructor(ifindex: number, bufferBytes = 4 << 20) {
    // Protocol 0 until bound: no frame of another interface gets queued in between.
    this.fd = check('socket(AF_PACKET)', raw.socket(AF.PACKET, SOCK.RAW | SOCK.NONBLOCK | SOCK.CLOEXEC, 0) as number);
    try {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      this.setopt(SOL_PACKET, PACKET_OPT.VNET_HDR, one, 'PACKET_VNET_HDR');
      this.setopt(SOL_PACKET, PACKET_OPT.IGNORE_OUTGOING, one, 'PACKET_IGNORE_OUTGOING');
      const size = Buffer.alloc(4);
      size.writeInt32LE(bufferBytes);
      this.setopt(SOL_SOCKET, SO_RCVBUFFORCE, size, 'SO_RCVBUFFORCE');
      this.setopt(SOL_SOCKET, SO_SNDBUFFORCE, size, 'SO_SNDBUFFORCE');
      const sll = Buffer.alloc(SOCKADDR_LL.SIZE);
      sll.writeUInt16LE(AF.PACKET, SOCKADDR_LL.FAMILY);
      sll.writeUInt16LE(ETH_P_ALL_BE, SOCKADDR_LL.PROTOCOL);
      sll.writeInt32LE(ifindex, SOCKADDR_LL.IFINDEX);
      check('bind(AF_PACKET)', raw.bind(this.fd, sll, sll.length) as number);
    } catch (e) {
      raw.close(this.fd);
      throw e;
    }
    this.iov.writeBigUInt64LE(addressOf(this.txHeader), 0);
    this.iov.writeBigUInt64LE(BigInt(VIRTIO_NET_HDR.SIZE), 8);
  }

  private setopt(level: number, name: number, val: Buffer, what: string): void {
    check(`setsockopt(${what})`, raw.setsockopt(this.fd, level, name, val, val.length) as number);
  }

  /**
   * The next frame into `buf` (behind its virtio_net_hdr), undefined when
   * none is queued, or 'dropped' when the kernel could not describe one (a
   * GSO type virtio_net_hdr lacks: it consumed the frame with EINVAL).
   */
  receive(buf: Buffer): ReceivedFrame | 'dropped' | undefined {
    for (;;) {
      const n = Number(fns.recv(this.fd, buf, buf.length, MSG.TRUNC));
      if (n >= VIRTIO_NET_HDR.SIZE) {
        const flags = buf[VIRTIO_NET_HDR.FLAGS];
        return { start: VIRTIO_NET_HDR.SIZE, length: n - VIRTIO_NET_HDR.SIZE, checksumOk: (flags & (VIRTIO_NET_HDR_F.NEEDS_CSUM | VIRTIO_NET_HDR_F.DATA_VALID)) !== 0 };
      }
      if (n >= 0) return 'dropped';
      const e = errno();
      if (e === EAGAIN) return undefined;
      if (e === EINVAL) return 'dropped';
      if (e !== EINTR) throw new HostError('recv(AF_PACKET)', e);
    }
  }

  /**
   * Sends one frame, with the kernel finishing what `offload` names; false
   * when the interface's queue is full (the frame is dropped, as a NIC would).
   */
  send(frame: Buffer, offload?: FrameOffload): boolean {
    const h = this.txHeader;
    if (offload) {
      h[VIRTIO_NET_HDR.FLAGS] = VIRTIO_NET_HDR_F.NEEDS_CSUM;
      h[VIRTIO_NET_HDR.GSO_TYPE] = offload.gsoSize > 0 ? VIRTIO_NET_HDR_GSO.TCPV4 : VIRTIO_NET_HDR_GSO.NONE;
      h.writeUInt16LE(offload.headerLength, VIRTIO_NET_HDR.HDR_LEN);
      h.writeUInt16LE(offload.gsoSize, VIRTIO_NET_HDR.GSO_SIZE);
      h.writeUInt16LE(offload.csumStart, VIRTIO_NET_HDR.CSUM_START);
      h.writeUInt16LE(offload.csumOffset, VIRTIO_NET_HDR.CSUM_OFFSET);
    } else {
      h.fill(0);
    }
    this.iov.writeBigUInt64LE(addressOf(frame), IOVEC_SIZE);
    this.iov.writeBigUInt64LE(BigInt(frame.length), IOVEC_SIZE + 8);
    for (;;) {
      if (Number(fns.writev(this.fd, this.iov, 2)) >= 0) return true;
      const e = errno();
      if (e === EAGAIN || e === ENOBUFS) return false;
      if (e !== EINTR) throw new HostError('writev(AF_PACKET)', e);
    }
  }

  close(): void {
    raw.close(this.fd);
  }
}
