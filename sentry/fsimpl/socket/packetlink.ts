/**
 * The sandbox stack's Ethernet link: the packet socket on the pod's
 * interface that the runtime opened before the seccomp filter. Frames are
 * read whenever the scheduler polls its host fds (when every task waits,
 * and between stops while tasks run), so the stack answers ARP, SYNs and
 * ACKs even when no task is blocked on a socket.
 */
import { HostWaiter, hostWaiters } from '../../kernel/hostwait';
import { WaitQueue } from '../../kernel/wait';
import type { LinkEndpoint } from '../../net/nic';
import type { Stack } from '../../net/stack';
import { ETH_HEADER } from '../../net/wire/ethernet';
import { completeChecksum } from '../../net/wire/offload';
import type { PacketSocket } from '../../platform/host/netif';

const POLLIN = 1;
/** The largest frame kept: a 64 KiB GSO packet from a local sender, its Ethernet header and a VLAN tag. */
const RX_MAX = 65536 + ETH_HEADER + 4;
/** Frames handled per poll, so a flood cannot keep tasks from running. */
const RX_BATCH = 256;

export class PacketLink implements LinkEndpoint {
  private readonly rx = Buffer.alloc(RX_MAX);
  private readonly waiter: HostWaiter;
  private stack?: Stack;

  constructor(
    private readonly socket: PacketSocket,
    readonly mac: Buffer,
    readonly mtu: number,
  ) {
    const queue = new WaitQueue();
    queue.add(() => this.drain());
    this.waiter = { fd: socket.fd, events: POLLIN, queue };
  }

  /** Starts delivering received frames to `stack`. */
  attach(stack: Stack): void {
    this.stack = stack;
    hostWaiters.add(this.waiter);
  }

  send(frame: Buffer): void {
    // A full queue drops the frame, as a NIC's would; TCP retransmits.
    const nic = this.stack?.ethernet;
    if (!this.socket.send(frame) && nic) nic.counters.txDropped++;
  }

  private drain(): void {
    const stack = this.stack;
    if (!stack) return;
    for (let i = 0; i < RX_BATCH; i++) {
      const got = this.socket.receive(this.rx);
      if (!got) return;
      if (got.length > this.rx.length) {
        stack.stats.inc('link.rx_truncated');
        continue;
      }
      // The stack keeps the frame: hand it a copy of the receive buffer.
      const frame = Buffer.from(this.rx.subarray(0, got.length));
      if (got.checksumPartial) completeChecksum(frame);
      stack.input(frame);
    }
  }

  close(): void {
    hostWaiters.delete(this.waiter);
    this.socket.close();
  }
}
