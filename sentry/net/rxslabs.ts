/**
 * Receive slabs that are used again instead of being left to the garbage
 * collector.
 *
 * A link receives large frames (GSO frames of up to 64 KiB) one after
 * another into slabs and hands the stack views of them, which TCP keeps in
 * its queues until the application reads the data. A fresh slab per few
 * frames made every bulk receive allocate ~1 GB/s of ArrayBuffers: V8
 * counts that external memory against its old-generation limit, so a full
 * (mark-compact) collection of the whole heap ran every ~150 ms of a
 * transfer, about a tenth of the Sentry's CPU. A slab here is taken again
 * once nothing holds data in it.
 *
 * What holds data says so: retainRx for each view it keeps, releaseRx when
 * it drops it (TCP's receive and out-of-order queues, tcp/buffers.ts). A
 * view of anything else than a slab of a pool is not counted (the calls
 * cost a WeakMap lookup). So a link may put into a slab only frames whose
 * every keeper counts, those of mayKeepInSlab: it copies out any other
 * frame it keeps (fsimpl/socket/packetlink.ts). Counts are checked only when the pool
 * hands out a slab, which a link does between frames, never while a
 * holder moves data from one queue to another (a count may pass through 0
 * then). A holder that forgets to release only keeps a slab from being
 * used again: once the pool lets it go, it is garbage like any buffer.
 */

import { IPPROTO } from '../abi/linux/inet';
import { ETH_HEADER, ETH_TYPE_OFFSET, ETHERTYPE } from './wire/ethernet';
import { isWholePacketOf } from './wire/ipv4';

/**
 * Whether a link may leave `frame` in a slab: an unfragmented IPv4 TCP
 * segment in an untagged Ethernet frame, whose data only TCP's queues keep
 * (the stack has no raw sockets; fragments are kept for reassembly).
 */
export function mayKeepInSlab(frame: Buffer): boolean {
  return frame.length >= ETH_HEADER && frame.readUInt16BE(ETH_TYPE_OFFSET) === ETHERTYPE.IPV4 && isWholePacketOf(frame, ETH_HEADER, IPPROTO.TCP);
}

/** How many views of a slab holders keep. */
interface SlabState {
  refs: number;
}

/** Every slab of every pool, by its memory: the views holders keep share it. */
const slabs = new WeakMap<ArrayBufferLike, SlabState>();

/** A holder keeps `view` (a view of a slab, or any other buffer, which is not counted). */
export function retainRx(view: Buffer): void {
  const s = slabs.get(view.buffer);
  if (s) s.refs++;
}

/** A holder dropped `view`, which it had retained. */
export function releaseRx(view: Buffer): void {
  const s = slabs.get(view.buffer);
  if (s) s.refs--;
}

export class RxSlabPool {
  /** Slabs the link has moved on from, oldest first: each is taken again once no view of it is kept. */
  private retired: Buffer[] = [];

  /**
   * `slabBytes` per slab; at most `maxRetired` retired slabs stay in the
   * pool (a receive queue as large as TCP's 6 MiB maximum spans a dozen of
   * 512 KiB): past that the oldest is let go, left to the garbage collector.
   */
  constructor(
    readonly slabBytes: number,
    private readonly maxRetired: number,
  ) {}

  /** A slab to receive into: the oldest retired one that nothing holds, else a new one. */
  take(): Buffer {
    const i = this.retired.findIndex((b) => slabs.get(b.buffer)?.refs === 0);
    if (i >= 0) return this.retired.splice(i, 1)[0];
    // Never a piece of Node's shared pool: a slab's memory must be its own to count views by it.
    const slab = Buffer.allocUnsafeSlow(this.slabBytes);
    slabs.set(slab.buffer, { refs: 0 });
    return slab;
  }

  /** The link moved on from `slab` (it holds no more room for a frame). */
  retire(slab: Buffer): void {
    this.retired.push(slab);
    if (this.retired.length > this.maxRetired) this.forget(this.retired.shift() as Buffer);
  }

  /** Lets go of every retired slab nothing holds (idle: their memory goes back with the next collection). */
  trim(): void {
    this.retired = this.retired.filter((b) => {
      if (slabs.get(b.buffer)?.refs !== 0) return true;
      this.forget(b);
      return false;
    });
  }

  /** Retired slabs in the pool (for tests). */
  get retiredCount(): number {
    return this.retired.length;
  }

  /** `slab` is no longer the pool's: views of it are counted no more, and it is freed once none is left. */
  private forget(slab: Buffer): void {
    slabs.delete(slab.buffer);
  }
}
