/**
 * The sandbox's wall and monotonic clocks when processes have the vDSO:
 * time is a linear function of the TSC, ns = baseNs + ((tsc - baseTsc) *
 * mult >> 32), whose parameters the vDSO reads from the vvar page and the
 * Sentry uses for trapped clock_gettime calls, so both give the same time.
 * (gVisor's Sentry keeps its clocks the same way.)
 *
 * The parameters follow the host's CLOCK_MONOTONIC: each update (at most
 * every UPDATE_NS, from the scheduler, a trapped time call or an exec)
 * re-measures the TSC rate against the host clock since the Sentry began,
 * and joins the new line to the old one at the current TSC so that time
 * never goes back. Behind the host, the clock steps forward to it; ahead of
 * it, it runs slower (by at most MAX_SLEW per second) until the host
 * catches up. CLOCK_REALTIME and CLOCK_BOOTTIME are CLOCK_MONOTONIC plus the
 * host's offsets, which change only when the host's clock is stepped.
 */
import { CLOCK } from '../../abi/linux/time';

export interface ClockSources {
  /** The TSC. */
  tsc(): bigint;
  /** Host clock_gettime(clk) in ns. */
  host(clk: number): bigint;
}

/** What the vvar page holds (vvar.ts): the line, and the offsets of the other clocks. */
export interface ClockParams {
  baseTsc: bigint;
  baseNs: bigint;
  /** Nanoseconds per TSC tick, times 2^32. */
  mult: bigint;
  realOffset: bigint;
  bootOffset: bigint;
}

/** How often the parameters follow the host clock while the sandbox runs. */
export const UPDATE_NS = 1_000_000_000n;
/** The most the clock slows down to let the host catch up: 500 us per second. */
const MAX_SLEW = 500_000n;
/** How long the TSC is measured against the host clock before the first line: 10 ms at 0.1 us per sample pair is 20 ppm. */
const MIN_CALIBRATION_NS = 10_000_000n;
/** A change of a host offset smaller than this is sampling noise, not a step of the host's clock. */
const OFFSET_STEP_NS = 1_000_000n;
/** TSC rates outside 100 MHz .. 20 GHz mean the counter is unusable. */
const MIN_MULT = (1n << 32n) / 20n;
const MAX_MULT = (1n << 32n) * 10n;

/** The time at `tsc` on the line of `p` (the vDSO's arithmetic: a TSC before the base counts as the base). */
export function nsAt(p: ClockParams, tsc: bigint): bigint {
  const delta = tsc > p.baseTsc ? tsc - p.baseTsc : 0n;
  return p.baseNs + ((delta * p.mult) >> 32n);
}

interface Sample {
  tsc: bigint;
  mono: bigint;
}

export class Timekeeper {
  private readonly origin: Sample;
  private params?: ClockParams;
  private updatedAt = 0n;
  /** False once the TSC proved unusable: callers fall back to the host's clocks. */
  usable = true;

  constructor(
    private readonly src: ClockSources,
    /** Receives each new set of parameters (the vvar page), or undefined when the TSC became unusable. */
    private readonly publish: (p: ClockParams | undefined) => void,
  ) {
    this.origin = this.sample();
  }

  /** The TSC read around a host CLOCK_MONOTONIC reading, paired at its midpoint. */
  private sample(): Sample {
    const before = this.src.tsc();
    const mono = this.src.host(CLOCK.MONOTONIC);
    const after = this.src.tsc();
    return { tsc: (before + after) / 2n, mono };
  }

  /**
   * Re-measures the rate and publishes a line joined to the current one.
   * Nothing is published until MIN_CALIBRATION_NS have passed since the
   * origin; false (and unusable from then on) if the TSC misbehaves.
   */
  update(): boolean {
    if (!this.usable) return false;
    const s = this.sample();
    const ticks = s.tsc - this.origin.tsc;
    const elapsed = s.mono - this.origin.mono;
    if (ticks < 0n) return this.disable();
    if (elapsed < MIN_CALIBRATION_NS) return this.params !== undefined;
    const rate = ticks === 0n ? 0n : (elapsed << 32n) / ticks;
    if (rate < MIN_MULT || rate > MAX_MULT) return this.disable();
    const old = this.params;
    const now = old === undefined ? s.mono : nsAt(old, s.tsc);
    const ahead = now - s.mono;
    const slow = ahead <= 0n ? 0n : ahead < MAX_SLEW ? ahead : MAX_SLEW;
    this.params = {
      baseTsc: s.tsc,
      baseNs: ahead > 0n ? now : s.mono,
      mult: (rate * (UPDATE_NS - slow)) / UPDATE_NS,
      realOffset: this.offset(CLOCK.REALTIME, s.mono, old?.realOffset),
      bootOffset: this.offset(CLOCK.BOOTTIME, s.mono, old?.bootOffset),
    };
    this.updatedAt = s.mono;
    this.publish(this.params);
    return true;
  }

  /** The host's clk minus CLOCK_MONOTONIC, kept at `prev` unless the host's clock was stepped. */
  private offset(clk: number, mono: bigint, prev: bigint | undefined): bigint {
    const off = this.src.host(clk) - mono;
    if (prev === undefined) return off;
    const change = off - prev;
    return change >= OFFSET_STEP_NS || change <= -OFFSET_STEP_NS ? off : prev;
  }

  private disable(): false {
    this.usable = false;
    this.params = undefined;
    this.publish(undefined);
    return false;
  }

  /**
   * Publishes the first line now, waiting out what is left of its
   * calibration (at most MIN_CALIBRATION_NS after the origin): a process
   * started before it would trap every time call until then.
   */
  calibrate(): void {
    while (this.usable && this.params === undefined) this.update();
  }

  /** Updates when the last update is UPDATE_NS old at host monotonic time `monoNs` (or none was made yet). */
  tick(monoNs: bigint): void {
    if (this.params === undefined || monoNs - this.updatedAt >= UPDATE_NS) this.update();
  }

  /**
   * The time of `clk` (REALTIME, MONOTONIC, their COARSE forms or BOOTTIME:
   * the clocks the vDSO serves) as the vDSO would read it now; undefined
   * without parameters.
   */
  now(clk: number): bigint | undefined {
    if (this.params === undefined) return undefined;
    let ns = nsAt(this.params, this.src.tsc());
    if (ns - this.updatedAt >= UPDATE_NS) {
      this.update();
      if (this.params === undefined) return undefined;
      ns = nsAt(this.params, this.src.tsc());
    }
    const p = this.params;
    if (clk === CLOCK.REALTIME || clk === CLOCK.REALTIME_COARSE) return ns + p.realOffset;
    if (clk === CLOCK.BOOTTIME) return ns + p.bootOffset;
    return ns;
  }
}
