/**
 * The sandbox stack's Ethernet link: the packet socket on the pod's
 * interface that the runtime opened before the seccomp filter. Frames are
 * read whenever the scheduler polls its host fds (when every task waits,
 * and between stops while tasks run), so the stack answers ARP, SYNs and
 * ACKs even when no task is blocked on a socket.
 *
 * The socket speaks virtio_net_hdr (PACKET_VNET_HDR), so the link offers
 * the stack what a virtio NIC offers a guest: the host kernel finishes TCP
 * checksums and cuts GSO frames of up to 64 KiB into MSS-sized segments
 * (in the veth or on the far side, or in software where the device has
 * those offloads off), and received frames say whether their checksum is
 * trustworthy already (a local sender's partial checksum, or one the
 * kernel verified), so the stack does no checksum work for them.
 */
import { HostWaiter, hostWaiters } from '../../kernel/hostwait';
import { WaitQueue } from '../../kernel/wait';
import type { LinkEndpoint, LinkOffloads, RxFrameInfo, TxOffload } from '../../net/nic';
import type { Stack } from '../../net/stack';
import { ETH_HEADER } from '../../net/wire/ethernet';
import { VIRTIO_NET_HDR } from '../../abi/linux/netdevice';
import { beforeIdleCollection } from '../../kernel/idlegc';
import { mayKeepInSlab, RxSlabPool } from '../../net/rxslabs';
import { retainFreedHeap } from '../../platform/host/malloc';
import type { PacketSocket } from '../../platform/host/netif';

const POLLIN = 1;
/** The largest frame kept: a 64 KiB GSO packet from a local sender, its Ethernet header and a VLAN tag, behind the virtio_net_hdr. */
const RX_MAX = VIRTIO_NET_HDR.SIZE + 65536 + ETH_HEADER + 4;
/** Frames at least this large (GSO frames) are kept where they were received instead of being copied out. */
const KEEP_MIN = 32 * 1024;
/**
 * Frames are received into slabs this large, one after another, so a bulk
 * receive needs one buffer per ~7 GSO frames instead of one per frame. A
 * kept frame holds its slab until the stack lets go of it (the application
 * read the data); then the slab is received into again (net/rxslabs.ts:
 * fresh slabs made V8 run a full collection every ~150 ms of a transfer).
 * A slab is small enough that a few kept frames scattered over many slabs
 * (out-of-order TCP data) hold at most 16 times their size.
 */
const SLAB = 512 * 1024;
/** Retired slabs kept for use again: TCP's largest receive queue (6 MiB) spans 12. */
const POOL_SLABS = 24;
/**
 * Freed memory the C heap keeps (retainFreedHeap) while the link runs: a
 * bulk receive frees buffers about as fast as it allocates them, and glibc
 * gave them back to the host (munmap, trims) only to fault in fresh zeroed
 * pages for the next ones. Measured receiving 500 MB, 14 interleaved runs:
 * Sentry page faults 27 -> 20 thousand, Sentry CPU 728 -> 686 ms (lower in
 * 12 of 14 pairs). An idle Sentry still trims it all (kernel/idlegc.ts).
 */
const HEAP_RETAIN = 16 << 20;
/** Kept frames start at a cache line. */
const ALIGN = 64;
/** Frames handled per poll, so a flood cannot keep tasks from running. */
const RX_BATCH = 256;
const TRUSTED: RxFrameInfo = { l4ChecksumOk: true };
const UNTRUSTED: RxFrameInfo = { l4ChecksumOk: false };

export class PacketLink implements LinkEndpoint {
  readonly offloads: LinkOffloads = { txChecksum: true, gso: true };
  private readonly slabs = new RxSlabPool(SLAB, POOL_SLABS);
  /** Idle: the slabs nothing holds go back with the collection. */
  private readonly trimSlabs = (): void => this.slabs.trim();
  private slab = this.slabs.take();
  /** Where the next frame is received in `slab`. */
  private slabOff = 0;
  private readonly waiter: HostWaiter;
  private stack?: Stack;

  constructor(
    private readonly socket: PacketSocket,
    readonly mac: Buffer,
    readonly mtu: number,
  ) {
    retainFreedHeap(2 * SLAB, HEAP_RETAIN);
    beforeIdleCollection.add(this.trimSlabs);
    const queue = new WaitQueue();
    queue.add(() => this.drain());
    this.waiter = { fd: socket.fd, events: POLLIN, queue };
  }

  /** Starts delivering received frames to `stack`. */
  attach(stack: Stack): void {
    this.stack = stack;
    hostWaiters.add(this.waiter);
  }

  send(frame: Buffer, offload?: TxOffload): void {
    // A full queue drops the frame, as a NIC's would; TCP retransmits.
    const nic = this.stack?.ethernet;
    if (!this.socket.send(frame, offload) && nic) nic.counters.txDropped++;
  }

  private drain(): void {
    const stack = this.stack;
    if (stack) stack.inputBatch(() => this.receive(stack));
  }

  /** Passes what the socket holds (up to RX_BATCH frames) to the stack. */
  private receive(stack: Stack): void {
    for (let i = 0; i < RX_BATCH; i++) {
      if (SLAB - this.slabOff < RX_MAX) {
        this.slabs.retire(this.slab);
        this.slab = this.slabs.take();
        this.slabOff = 0;
      }
      const rx = this.slab.subarray(this.slabOff, this.slabOff + RX_MAX);
      const got = this.socket.receive(rx);
      if (!got) return;
      if (got === 'dropped') {
        stack.stats.inc('link.rx_unsupported');
        continue;
      }
      if (got.start + got.length > rx.length) {
        stack.stats.inc('link.rx_truncated');
        continue;
      }
      stack.input(this.take(rx, got.start, got.length), got.checksumOk ? TRUSTED : UNTRUSTED);
    }
  }

  /**
   * The received frame, for the stack to keep: a large TCP segment (a GSO
   * frame) stays in the slab, whose next frame starts after it (no copy);
   * any other frame is copied out, so that an ACK or a datagram kept for
   * long never holds a whole slab (nor one whose keeper does not count it,
   * net/rxslabs.ts), and its place is reused.
   */
  private take(rx: Buffer, start: number, length: number): Buffer {
    const frame = rx.subarray(start, start + length);
    if (length < KEEP_MIN || !mayKeepInSlab(frame)) return Buffer.from(frame);
    this.slabOff += (start + length + ALIGN - 1) & ~(ALIGN - 1);
    return frame;
  }

  close(): void {
    beforeIdleCollection.delete(this.trimSlabs);
    hostWaiters.delete(this.waiter);
    this.socket.close();
  }
}
