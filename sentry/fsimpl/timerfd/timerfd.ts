/**
 * timerfd(2): a timer whose expirations are counted and read as a u64.
 * Times are kept on host CLOCK_MONOTONIC (the syscall layer converts other
 * clocks' absolute values); expirations are folded in lazily from the clock,
 * and one kernel timer wakes waiters when the count leaves zero.
 */
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import { monotonicNs, TimerHandle, Timers } from '../../kernel/timers';
import { Block, WaitQueue } from '../../kernel/wait';
import { AnonFile } from '../anon/anon';

/** A timer setting in ns: `value` relative to now (0: disarmed), `interval` 0 for one-shot. */
export interface TimerSetting {
  value: bigint;
  interval: bigint;
}

export class TimerFd extends AnonFile {
  readonly waitQueue = new WaitQueue();
  /** Next expiration on the monotonic clock; undefined when disarmed. */
  private next: bigint | undefined;
  private interval = 0n;
  private ticks = 0n;
  private handle: TimerHandle | undefined;

  constructor(
    /** The clock id given to timerfd_create. */
    readonly clock: number,
    private readonly timers: Timers,
    flags: number,
    private readonly now: () => bigint = monotonicNs,
  ) {
    super('timerfd', O.RDWR | flags);
  }

  /** Counts the expirations that happened up to now. */
  private advance(): void {
    if (this.next === undefined) return;
    const now = this.now();
    if (now < this.next) return;
    if (this.interval === 0n) {
      this.ticks++;
      this.next = undefined;
      return;
    }
    const n = (now - this.next) / this.interval + 1n;
    this.ticks += n;
    this.next += n * this.interval;
  }

  /** Keeps one kernel timer at the next expiration while nothing is pending. */
  private arm(): void {
    if (this.handle) this.timers.cancel(this.handle);
    this.handle = undefined;
    if (this.next === undefined || this.ticks > 0n) return;
    this.handle = this.timers.schedule(this.next, () => {
      this.handle = undefined;
      this.advance();
      if (this.ticks > 0n) this.waitQueue.notify();
      else this.arm();
    });
  }

  /** The current setting: time to the next expiration (0 if disarmed) and the interval. */
  get(): TimerSetting {
    this.advance();
    return { value: this.next === undefined ? 0n : this.next - this.now(), interval: this.interval };
  }

  /**
   * Arms the timer to expire at monotonic time `at` (undefined disarms),
   * then every `interval` ns; clears the expiration count. Returns the old setting.
   */
  set(at: bigint | undefined, interval: bigint): TimerSetting {
    const old = this.get();
    this.ticks = 0n;
    this.next = at;
    this.interval = at === undefined ? 0n : interval;
    this.arm();
    this.waitQueue.notify();
    return old;
  }

  /** Returns the expiration count as a u64 and resets it; waits while it is 0. */
  read(dst: Buffer): number {
    if (dst.length < 8) fail('EINVAL', 'timerfd read buffer < 8 bytes');
    this.advance();
    if (this.ticks === 0n) {
      if (this.flags & O.NONBLOCK) fail('EAGAIN', 'timer has not expired');
      throw new Block([this.waitQueue], undefined, 0, 'restart');
    }
    dst.writeBigUInt64LE(this.ticks);
    this.ticks = 0n;
    this.arm();
    return 8;
  }

  write(): number {
    return fail('EINVAL', 'write to a timerfd');
  }

  readiness(): number {
    this.advance();
    return this.ticks > 0n ? POLL.IN | POLL.RDNORM : 0;
  }

  protected override release(): void {
    if (this.handle) this.timers.cancel(this.handle);
  }
}
