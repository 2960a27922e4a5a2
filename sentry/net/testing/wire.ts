/**
 * A simulated Ethernet cable between two stacks on a fake clock, with
 * configurable delay, jitter, loss, duplication and reordering, and a
 * per-frame filter for tests that drop or inspect chosen frames. Its ends
 * may offer transmit offloads (checksum, GSO): the wire then finishes
 * checksums and segments GSO frames as the host kernel would, or with
 * `gsoWhole` carries them as sent to a receiver told to trust their
 * checksums, as a veth with TSO on carries a local sender's frames.
 */
import type { LinkEndpoint, LinkOffloads, RxFrameInfo, TxOffload } from '../nic';
import { mayKeepInSlab, RxSlabPool } from '../rxslabs';
import type { Stack } from '../stack';
import type { FakeClock } from './clock';
import { applyOffload } from './gso';

export interface WireConditions {
  readonly delayMs?: number;
  /** Extra uniform random delay in [0, jitterMs): reorders frames. */
  readonly jitterMs?: number;
  readonly loss?: number;
  readonly duplicate?: number;
  readonly mtu?: number;
  /** Offered by both ends; absent: frames are sent finished and no larger than the MTU. */
  readonly offloads?: LinkOffloads;
  /** Offloaded frames reach the far side as sent (GSO whole, checksum partial and trusted) instead of finished. */
  readonly gsoWhole?: boolean;
  /** Each end receives as a PacketLink does: TCP segments land in receive slabs used again (net/rxslabs.ts). */
  readonly rxSlabs?: { readonly slabBytes: number; readonly maxRetired: number };
}

/**
 * A receiving end's slabs, as a PacketLink fills them: every frame it may
 * keep there is copied into the current slab, the next slab comes from
 * the pool. A slab handed out again is first filled with junk, so data a
 * holder read from a slab it had not kept shows as corrupt.
 */
export class SlabReceiver {
  private readonly pool: RxSlabPool;
  private slab: Buffer;
  private off = 0;
  /** Slabs handed out, and the distinct ones among them (fewer: slabs were used again). */
  taken = 0;
  readonly distinct = new Set<ArrayBufferLike>();

  constructor(slabBytes: number, maxRetired: number) {
    this.pool = new RxSlabPool(slabBytes, maxRetired);
    this.slab = this.next();
  }

  place(frame: Buffer): Buffer {
    if (!mayKeepInSlab(frame)) return frame;
    if (this.slab.length - this.off < frame.length) {
      this.pool.retire(this.slab);
      this.slab = this.next();
      this.off = 0;
    }
    frame.copy(this.slab, this.off);
    this.off += frame.length;
    return this.slab.subarray(this.off - frame.length, this.off);
  }

  private next(): Buffer {
    const slab = this.pool.take().fill(0xee);
    this.taken++;
    this.distinct.add(slab.buffer);
    return slab;
  }
}

const TRUSTED: RxFrameInfo = { l4ChecksumOk: true };

export type Side = 'a' | 'b';

/** Return false to drop the frame. */
export type FrameFilter = (frame: Buffer, from: Side) => boolean;

export class FakeWire {
  readonly a: LinkEndpoint;
  readonly b: LinkEndpoint;
  private stacks: { a?: Stack; b?: Stack } = {};
  filter?: FrameFilter;
  conditions: WireConditions;
  readonly sent = { a: 0, b: 0 };
  inFlight = 0;
  /** With conditions.rxSlabs: how each end receives. */
  readonly receivers?: { a: SlabReceiver; b: SlabReceiver };

  constructor(
    private readonly clock: FakeClock,
    private readonly random: () => number,
    conditions: WireConditions = {},
  ) {
    this.conditions = conditions;
    const mtu = conditions.mtu ?? 1500;
    const offloads = conditions.offloads;
    const slabs = conditions.rxSlabs;
    if (slabs) this.receivers = { a: new SlabReceiver(slabs.slabBytes, slabs.maxRetired), b: new SlabReceiver(slabs.slabBytes, slabs.maxRetired) };
    this.a = { mtu, offloads, mac: Buffer.from([2, 0, 0, 0, 0, 0xa]), send: (f, o) => this.carry(f, 'a', o) };
    this.b = { mtu, offloads, mac: Buffer.from([2, 0, 0, 0, 0, 0xb]), send: (f, o) => this.carry(f, 'b', o) };
  }

  plug(side: Side, stack: Stack): void {
    this.stacks[side] = stack;
  }

  private carry(frame: Buffer, from: Side, offload?: TxOffload): void {
    this.sent[from]++;
    if (!offload) return this.carryFrame(frame, from);
    if (this.conditions.gsoWhole) return this.carryFrame(frame, from, TRUSTED);
    for (const f of applyOffload(frame, offload)) this.carryFrame(f, from);
  }

  private carryFrame(frame: Buffer, from: Side, info?: RxFrameInfo): void {
    if (this.filter && !this.filter(frame, from)) return;
    const c = this.conditions;
    if (c.loss && this.random() < c.loss) return;
    const copies = c.duplicate && this.random() < c.duplicate ? 2 : 1;
    const to = from === 'a' ? 'b' : 'a';
    for (let i = 0; i < copies; i++) {
      const delay = (c.delayMs ?? 0) + (c.jitterMs ? this.random() * c.jitterMs : 0);
      this.inFlight++;
      this.clock.setTimer(delay, () => {
        this.inFlight--;
        this.stacks[to]?.input(this.receivers ? this.receivers[to].place(frame) : frame, info);
      });
    }
  }
}
