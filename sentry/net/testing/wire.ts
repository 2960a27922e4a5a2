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

  constructor(
    private readonly clock: FakeClock,
    private readonly random: () => number,
    conditions: WireConditions = {},
  ) {
    this.conditions = conditions;
    const mtu = conditions.mtu ?? 1500;
    const offloads = conditions.offloads;
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
        this.stacks[to]?.input(frame, info);
      });
    }
  }
}
