/**
 * NewReno congestion control: slow start and congestion avoidance with
 * appropriate byte counting (RFC 5681 3.1, RFC 3465), fast retransmit and
 * fast recovery with partial acknowledgements (RFC 6582), limited transmit
 * (RFC 3042), the loss window after a timeout (RFC 5681 3.1 eq. 4), and an
 * initial window of 10 segments (RFC 6928, as Linux). With SACK the window
 * arithmetic stays, but recovery follows RFC 6675: cwnd = ssthresh on entry,
 * no inflation, and the sender's pipe estimate decides what goes out.
 */
import { seqGE, seqGT } from './seqnum';

export const DUPACK_THRESHOLD = 3;
export const INITIAL_WINDOW_SEGMENTS = 10;

export type AckAction = 'none' | 'retransmit';

export class NewReno {
  cwnd: number;
  ssthresh = 0x7fffffff;
  private dupAcks = 0;
  private inRecovery = false;
  /** RFC 6582 "recover": the highest sequence sent when loss was detected. */
  private recover: number;
  private bytesAcked = 0;
  /** The connection negotiated SACK: recovery is RFC 6675's. */
  sack = false;
  /**
   * The connection sends GSO frames, each acknowledged by one ACK from a
   * receiver that acks every frame larger than an MSS: slow start counts
   * every byte acked (as Linux's tcp_slow_start counts segments) instead of
   * at most an MSS per ACK (RFC 3465 L = 1), which would grow cwnd by one
   * segment per frame, not double it per round trip.
   */
  gso = false;

  constructor(
    private mss: number,
    iss: number,
  ) {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss;
    this.recover = iss;
  }

  setMss(mss: number): void {
    this.mss = mss;
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss;
  }

  get recovering(): boolean {
    return this.inRecovery;
  }

  /** What may be in flight: cwnd, plus a segment per early duplicate ACK (limited transmit). */
  get allowance(): number {
    return this.cwnd + (this.inRecovery ? 0 : Math.min(this.dupAcks, DUPACK_THRESHOLD - 1) * this.mss);
  }

  /**
   * Whether a loss at SND.UNA = `una` may start a recovery. Without SACK,
   * not for losses of the window a recovery or timeout already handled (RFC
   * 6582 3.2 step 2). With SACK the scoreboard names real holes, so after a
   * timeout a new loss need not wait for another one.
   */
  canRecover(una: number): boolean {
    return !this.inRecovery && (this.sack || seqGT(una, this.recover));
  }

  /** Enters loss recovery with `flight` outstanding and `highest` sent. */
  enterRecovery(flight: number, highest: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.recover = highest;
    this.cwnd = this.sack ? this.ssthresh : this.ssthresh + DUPACK_THRESHOLD * this.mss;
    this.inRecovery = true;
  }

  /**
   * New data acknowledged: `acked` bytes, `ack` the new SND.UNA, `flight`
   * bytes still outstanding after it. Returns 'retransmit' on a partial ACK
   * in recovery (the next hole goes out at once).
   */
  onAck(acked: number, ack: number, flight: number): AckAction {
    this.dupAcks = 0;
    if (this.inRecovery) {
      if (seqGE(ack, this.recover)) {
        // Full ACK. With SACK cwnd was never inflated and stays at ssthresh (RFC 6675 ends recovery
        // without deflation; Linux's PRR ends it at ssthresh too); NewReno deflates (RFC 6582 3.2
        // step 3, option 1), which with SACK would leave a window of two segments whenever the
        // recovery ended with little in flight.
        if (!this.sack) this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
        this.inRecovery = false;
        return 'none';
      }
      if (this.sack) return 'none'; // the scoreboard drives retransmissions
      // Partial ACK: deflate by what was acked, add back one segment (step 4).
      this.cwnd = Math.max(this.cwnd - acked + this.mss, this.mss);
      return 'retransmit';
    }
    if (this.cwnd < this.ssthresh) {
      this.cwnd += this.gso ? acked : Math.min(acked, this.mss);
    } else {
      this.bytesAcked += acked;
      if (this.bytesAcked >= this.cwnd) {
        this.bytesAcked -= this.cwnd;
        this.cwnd += this.mss;
      }
    }
    return 'none';
  }

  /**
   * A duplicate ACK (RFC 5681 2 definition) with `flight` outstanding and
   * `highest` the highest sequence sent. Returns 'retransmit' when fast
   * retransmit should send the first unacknowledged segment.
   */
  onDupAck(una: number, flight: number, highest: number): AckAction {
    if (this.inRecovery) {
      if (!this.sack) this.cwnd += this.mss; // inflation (RFC 5681 3.2 step 4)
      return 'none';
    }
    this.dupAcks++;
    if (this.dupAcks !== DUPACK_THRESHOLD || !this.canRecover(una)) return 'none';
    this.enterRecovery(flight, highest);
    return 'retransmit';
  }

  /** A retransmission timeout: the loss window of one segment. */
  onTimeout(flight: number, highest: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.bytesAcked = 0;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.recover = highest;
  }
}
