/**
 * A simulated Ethernet cable between two stacks on a fake clock, with
 * configurable delay, jitter, loss, duplication and reordering, and a
 * per-frame filter for tests that drop or inspect chosen frames.
 */
import type { LinkEndpoint } from '../nic';
import type { Stack } from '../stack';
import type { FakeClock } from './clock';

export interface WireConditions {
  readonly delayMs?: number;
  /** Extra uniform random delay in [0, jitterMs): reorders frames. */
  readonly jitterMs?: number;
  readonly loss?: number;
  readonly duplicate?: number;
  readonly mtu?: number;
}

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
    this.a = { mtu, mac: Buffer.from([2, 0, 0, 0, 0, 0xa]), send: (f) => this.carry(f, 'a') };
    this.b = { mtu, mac: Buffer.from([2, 0, 0, 0, 0, 0xb]), send: (f) => this.carry(f, 'b') };
  }

  plug(side: Side, stack: Stack): void {
    this.stacks[side] = stack;
  }

  private carry(frame: Buffer, from: Side): void {
    this.sent[from]++;
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
        this.stacks[to]?.input(frame);
      });
    }
  }
}
