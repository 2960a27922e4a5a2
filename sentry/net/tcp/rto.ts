/**
 * The retransmission timeout of RFC 6298: SRTT/RTTVAR smoothing (2.2, 2.3),
 * RTO = SRTT + max(G, 4*RTTVAR) clamped to [min, max] (2.4, 2.5), 1 s
 * before the first sample (2.1), and doubling on each timeout (5.5) until a
 * new sample (5.7 keeps the backed-off value until then).
 */
export interface RtoConfig {
  readonly initialMs: number;
  /** RFC 6298 2.4 says 1 s; Linux uses 200 ms (TCP_RTO_MIN), the default here. */
  readonly minMs: number;
  /** RFC 6298 2.5 allows a cap of at least 60 s; Linux's TCP_RTO_MAX is 120 s. */
  readonly maxMs: number;
  /** Clock granularity G. */
  readonly granularityMs: number;
}

export const DEFAULT_RTO: RtoConfig = { initialMs: 1000, minMs: 200, maxMs: 120_000, granularityMs: 1 };

export class RttEstimator {
  private srtt?: number;
  private rttvar = 0;
  private base: number;
  private backoffs = 0;

  constructor(private readonly cfg: RtoConfig = DEFAULT_RTO) {
    this.base = cfg.initialMs;
  }

  /** The current timeout, backoff included. */
  get rto(): number {
    return Math.min(this.base * 2 ** this.backoffs, this.cfg.maxMs);
  }

  get smoothed(): number | undefined {
    return this.srtt;
  }

  get variance(): number {
    return this.rttvar;
  }

  /** A round-trip sample R from a segment that was not retransmitted (Karn's rule is the caller's). */
  sample(r: number): void {
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const rto = this.srtt + Math.max(this.cfg.granularityMs, 4 * this.rttvar);
    this.base = Math.min(Math.max(rto, this.cfg.minMs), this.cfg.maxMs);
    this.backoffs = 0;
  }

  /** A timeout happened: double (5.5). */
  backoff(): void {
    if (this.rto < this.cfg.maxMs) this.backoffs++;
  }
}
