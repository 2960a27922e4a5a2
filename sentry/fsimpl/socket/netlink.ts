/**
 * AF_NETLINK sockets of protocol NETLINK_ROUTE (SOCK_RAW or SOCK_DGRAM,
 * which netlink treats alike): a program talks to the sandbox's kernel
 * (port 0), whose answers (rtnetlink.ts) are queued on the socket as
 * datagrams, as Linux's af_netlink does.
 *
 * - Port ids: bind with nl_pid 0 (or the first send/connect) picks the
 *   process's pid, or a random negative id if a socket already has it
 *   (netlink_autobind); an explicit nl_pid is taken if free (EADDRINUSE).
 * - Multicast groups (bind's nl_groups, NETLINK_ADD_MEMBERSHIP) are
 *   accepted and listed, but no notification is ever sent: nothing in the
 *   sandbox changes an interface, address or route.
 * - Sending anywhere but the kernel (another port, a group) is EPERM, as
 *   for a program without CAP_NET_ADMIN; so is NETLINK_LISTEN_ALL_NSID.
 * - Dumps are answered in chunks of whole messages, the next one queued
 *   when the program has read down to half its receive buffer; a chunk is
 *   at most the size of the largest receive so far (at least a page less
 *   the kernel's overhead, at most 32 KiB less it), so a reader with a
 *   page-sized buffer (glibc) never sees truncation. NLMSG_DONE comes in
 *   a datagram of its own. One dump at a time per socket (EBUSY).
 * - A reply that finds the receive buffer full is dropped and the next
 *   receive fails with ENOBUFS (unless NETLINK_NO_ENOBUFS).
 * - NETLINK_EXT_ACK adds the error messages Linux gives (NLMSGERR_ATTR_MSG);
 *   NETLINK_CAP_ACK caps echoed requests; NETLINK_GET_STRICT_CHK validates
 *   and filters dump requests; NETLINK_PKTINFO and SO_PASSCRED add their
 *   control messages; NETLINK_BROADCAST_ERROR is only remembered.
 */
import { Errno } from '../../abi/linux/errno';
import { NETLINK_OPT, NLM_F, NLMSG, RTNLGRP_MAX } from '../../abi/linux/netlink';
import { POLL } from '../../abi/linux/poll';
import { SOCK_BUF_DEFAULT } from '../../abi/linux/socket';
import { fail, LinuxError } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import type { Task } from '../../kernel/task';
import { WaitQueue } from '../../kernel/wait';
import type { SockIds } from './inet';
import { ackMessage, type AckOptions, doneMessage, type NlError, packMessages, splitMessages } from './nlmsg';
import { type RouteView, rtnetlinkRequest } from './rtnetlink';
import { SocketFile } from './sockfile';
import { blockOn, type Waiting } from './waiting';

/** NLMSG_GOODSIZE: a page less the kernel's per-buffer overhead (struct skb_shared_info), the smallest dump chunk. */
export const DUMP_CHUNK_MIN = 4096 - 320;
/** The largest dump chunk: 32 KiB less the same overhead. */
export const DUMP_CHUNK_MAX = 32768 - 320;

/** sockaddr_nl's nl_pid and nl_groups. */
export interface NetlinkAddr {
  pid: number;
  groups: number;
}

/** Who is calling, for the calls that need it. */
export interface NetlinkCaller {
  pid: number;
  uid: number;
}

/** The sandbox's netlink port ids (one network namespace per kernel). */
export class NetlinkPorts {
  private readonly ports = new Map<number, NetlinkSocket>();

  constructor(readonly view: () => RouteView) {}

  has(id: number): boolean {
    return this.ports.has(id);
  }

  insert(id: number, s: NetlinkSocket): void {
    if (this.ports.has(id)) fail('EADDRINUSE', `netlink port ${id >>> 0}`);
    this.ports.set(id, s);
  }

  remove(id: number, s: NetlinkSocket): void {
    if (this.ports.get(id) === s) this.ports.delete(id);
  }

  /** netlink_autobind: the caller's pid, else random ids in [-2^31, -4097]. */
  autobind(s: NetlinkSocket, pid: number): number {
    let id = pid;
    while (this.ports.has(id)) id = -4097 - Math.floor(Math.random() * (2 ** 31 - 4096));
    this.insert(id, s);
    return id;
  }
}

const ports = new WeakMap<Kernel, NetlinkPorts>();

/** The kernel's port table; `view` describes the sandbox's network for the answers. */
export function netlinkPorts(k: Kernel, view: () => RouteView): NetlinkPorts {
  let p = ports.get(k);
  if (!p) {
    p = new NetlinkPorts(view);
    ports.set(k, p);
  }
  return p;
}

interface PendingDump {
  messages: Buffer[];
  next: number;
  seq: number;
  doneFlags: number;
  error?: NlError;
}

export interface NetlinkReceived {
  data: Buffer;
  /** The datagram's whole length (MSG_TRUNC). */
  fullLength: number;
}

/** The SOL_NETLINK options that are plain flags. */
const FLAG_OPTIONS: ReadonlySet<number> = new Set([
  NETLINK_OPT.PKTINFO, NETLINK_OPT.BROADCAST_ERROR, NETLINK_OPT.NO_ENOBUFS, NETLINK_OPT.LISTEN_ALL_NSID,
  NETLINK_OPT.CAP_ACK, NETLINK_OPT.EXT_ACK, NETLINK_OPT.GET_STRICT_CHK,
]);

export class NetlinkSocket extends SocketFile {
  readonly waitQueue = new WaitQueue();
  /** 0 until bound; Linux's port ids are s32 (negative ones come from autobind collisions). */
  portId = 0;
  private bound = false;
  /** Multicast subscriptions, bit n-1 for group n. */
  private groups = 0n;
  private dstPortId = 0;
  private dstGroup = 0;
  rcvbuf = SOCK_BUF_DEFAULT;
  sndbuf = SOCK_BUF_DEFAULT;
  rcvtimeoNs = 0n;
  sndtimeoNs = 0n;
  passcred = false;
  private readonly flagOptions = new Set<number>();
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private dump: PendingDump | undefined;
  private maxRecvLen = 0;
  /** A pending socket error (ENOBUFS after an overrun), reported once. */
  private error = 0;

  constructor(
    private readonly ports: NetlinkPorts,
    readonly type: number,
    nonblock: boolean,
    ids: SockIds,
  ) {
    super(ids, nonblock);
  }

  private autobind(caller: NetlinkCaller): void {
    if (this.bound) return;
    this.portId = this.ports.autobind(this, caller.pid);
    this.bound = true;
  }

  /** netlink_bind: a port id (once: EINVAL if it differs later) and the first 32 groups. */
  bind(a: NetlinkAddr, caller: NetlinkCaller): void {
    if (this.bound && a.pid !== this.portId) fail('EINVAL', 'netlink socket already bound to another port');
    if (!this.bound) {
      if (a.pid !== 0) {
        this.ports.insert(a.pid, this);
        this.portId = a.pid;
        this.bound = true;
      } else this.autobind(caller);
    }
    this.groups = (this.groups & ~0xffffffffn) | BigInt(a.groups >>> 0);
  }

  /** netlink_connect: the default destination (only the kernel may be named); undefined is AF_UNSPEC. */
  connect(a: NetlinkAddr | undefined, caller: NetlinkCaller): void {
    if (a === undefined) {
      this.dstPortId = 0;
      this.dstGroup = 0;
      return;
    }
    if (a.pid !== 0 || a.groups !== 0) fail('EPERM', 'netlink: only the kernel (port 0) may be sent to');
    this.autobind(caller);
    this.dstPortId = 0;
    this.dstGroup = 0;
  }

  localName(): NetlinkAddr {
    return { pid: this.portId, groups: Number(this.groups & 0xffffffffn) };
  }

  peerName(): NetlinkAddr {
    return { pid: this.dstPortId, groups: this.dstGroup ? (1 << (this.dstGroup - 1)) >>> 0 : 0 };
  }

  private get ackOptions(): AckOptions {
    return { capAck: this.flagOptions.has(NETLINK_OPT.CAP_ACK), extAck: this.flagOptions.has(NETLINK_OPT.EXT_ACK) };
  }

  /**
   * netlink_sendmsg to the kernel: `dest` (sendto's address, if any)
   * must be port 0 with no groups. The requests are answered before this
   * returns; the whole length is always taken.
   */
  send(data: Buffer, dest: NetlinkAddr | undefined, caller: NetlinkCaller): number {
    if (dest !== undefined && (dest.pid !== 0 || dest.groups !== 0)) fail('EPERM', 'netlink: only the kernel (port 0) may be sent to');
    this.autobind(caller);
    if (data.length > this.sndbuf - 32) fail('EMSGSIZE', `${data.length} bytes`);
    this.kernelInput(data, caller.uid);
    return data.length;
  }

  /** netlink_rcv_skb: each request answered in turn; acks for NLM_F_ACK and for every error. */
  private kernelInput(data: Buffer, uid: number): void {
    const strict = this.flagOptions.has(NETLINK_OPT.GET_STRICT_CHK);
    for (const msg of splitMessages(data)) {
      let error: NlError | undefined;
      let acked = true;
      // Only requests are handled; replies and control messages are only acked if asked.
      if (msg.flags & NLM_F.REQUEST && msg.type >= NLMSG.MIN_TYPE) {
        const r = rtnetlinkRequest({ msg, portId: this.portId, strict, uid, view: this.ports.view });
        if (r.kind === 'error') error = r.error;
        else if (r.kind === 'reply') for (const m of r.messages) this.deliver(m);
        else if (r.kind === 'dump') {
          if (this.dump) error = { errno: Errno.EBUSY };
          else {
            // A dump's end is its NLMSG_DONE: no ack.
            this.dump = { messages: r.messages, next: 0, seq: msg.seq, doneFlags: r.doneFlags, error: r.error };
            this.continueDump();
            acked = false;
          }
        }
      }
      if (acked && (msg.flags & NLM_F.ACK || error)) this.deliver(ackMessage(msg, this.portId, error, this.ackOptions));
    }
  }

  /** Queues a reply, or drops it and flags ENOBUFS if the receive buffer is already over its size. */
  private deliver(datagram: Buffer): void {
    if (this.queued > this.rcvbuf) {
      if (!this.flagOptions.has(NETLINK_OPT.NO_ENOBUFS)) this.error = Errno.ENOBUFS;
      this.waitQueue.notify();
      return;
    }
    this.enqueue(datagram);
  }

  private enqueue(datagram: Buffer): void {
    this.queue.push(datagram);
    this.queued += datagram.length;
    this.waitQueue.notify();
  }

  /** netlink_dump: the next chunk of whole messages, or NLMSG_DONE once they are all out. */
  private continueDump(): void {
    const d = this.dump;
    if (!d) return;
    if (d.next >= d.messages.length) {
      this.dump = undefined;
      this.enqueue(doneMessage(d.seq, this.portId, d.doneFlags, d.error, this.ackOptions));
      return;
    }
    const room = Math.max(DUMP_CHUNK_MIN, this.maxRecvLen);
    const chunk: Buffer[] = [];
    let size = 0;
    while (d.next < d.messages.length) {
      const m = d.messages[d.next];
      const len = (m.length + 3) & ~3;
      if (chunk.length > 0 && size + len > room) break;
      chunk.push(m);
      size += len;
      d.next++;
    }
    this.enqueue(packMessages(chunk));
  }

  /**
   * netlink_recvmsg: the next datagram (cut to `len`), or a pending error;
   * blocks (or EAGAIN) while the queue is empty. Reading lets a running
   * dump queue its next chunk.
   */
  recv(len: number, peek: boolean, w: Waiting): NetlinkReceived {
    if (this.error) {
      const e = this.error;
      this.error = 0;
      throw new LinuxError(e, 'netlink receive buffer overrun');
    }
    const d = this.queue[0];
    if (d === undefined) return blockOn(w, [this.waitQueue], 'netlink recv');
    this.maxRecvLen = Math.min(Math.max(this.maxRecvLen, len), DUMP_CHUNK_MAX);
    if (!peek) {
      this.queue.shift();
      this.queued -= d.length;
    }
    if (this.dump && this.queued <= this.rcvbuf / 2) this.continueDump();
    return { data: d.subarray(0, len), fullLength: d.length };
  }

  /** SO_ERROR: the pending error, cleared. */
  takeError(): number {
    const e = this.error;
    this.error = 0;
    return e;
  }

  /** Whether NETLINK_PKTINFO asks for the group of each received message. */
  get wantsPktinfo(): boolean {
    return this.flagOptions.has(NETLINK_OPT.PKTINFO);
  }

  readiness(): number {
    return (this.queue.length > 0 ? POLL.IN | POLL.RDNORM : 0) | POLL.OUT | POLL.WRNORM | POLL.WRBAND | (this.error ? POLL.ERR : 0);
  }

  /** setsockopt(SOL_NETLINK): `value` is the option's int (0 when optlen was short, as Linux reads it). */
  setOption(name: number, value: number): void {
    if (name === NETLINK_OPT.ADD_MEMBERSHIP || name === NETLINK_OPT.DROP_MEMBERSHIP) {
      if (value <= 0 || value > RTNLGRP_MAX) fail('EINVAL', `netlink group ${value}`);
      const bit = 1n << BigInt(value - 1);
      this.groups = name === NETLINK_OPT.ADD_MEMBERSHIP ? this.groups | bit : this.groups & ~bit;
      return;
    }
    if (!FLAG_OPTIONS.has(name)) fail('ENOPROTOOPT', `SOL_NETLINK option ${name}`);
    if (name === NETLINK_OPT.LISTEN_ALL_NSID) fail('EPERM', 'NETLINK_LISTEN_ALL_NSID needs CAP_NET_BROADCAST');
    if (value) this.flagOptions.add(name);
    else this.flagOptions.delete(name);
  }

  /** getsockopt(SOL_NETLINK) of a flag option: 0 or 1. */
  flagOption(name: number): number {
    if (!FLAG_OPTIONS.has(name)) fail('ENOPROTOOPT', `SOL_NETLINK option ${name}`);
    return this.flagOptions.has(name) ? 1 : 0;
  }

  /** NETLINK_LIST_MEMBERSHIPS: the group bitmap as u32 words (RTNLGRP_MAX bits, rounded up to a word). */
  memberships(): Buffer {
    const words = Math.ceil(Math.ceil(RTNLGRP_MAX / 8) / 4);
    const b = Buffer.alloc(words * 4);
    for (let i = 0; i < words; i++) b.writeUInt32LE(Number((this.groups >> BigInt(32 * i)) & 0xffffffffn), i * 4);
    return b;
  }

  read(dst: Buffer): number {
    const r = this.recv(dst.length, false, { nonblock: this.nonblocking });
    r.data.copy(dst);
    return r.data.length;
  }

  /** write(2) is a send to the default destination (the kernel). */
  write(src: Buffer, caller?: Task): number {
    return this.send(Buffer.from(src), undefined, { pid: caller?.process.pid ?? 1, uid: caller?.process.creds.uid ?? 0 });
  }

  protected override release(): void {
    if (this.bound) this.ports.remove(this.portId, this);
    this.queue.length = 0;
    this.dump = undefined;
  }
}
