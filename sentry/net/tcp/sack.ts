/**
 * Selective acknowledgements (RFC 2018) and the sender's scoreboard for
 * SACK-based loss recovery (RFC 6675): which bytes above SND.UNA the
 * receiver holds, whether a hole counts as lost, the "pipe" estimate of
 * bytes in the network, and the next hole to retransmit.
 */
import type { SeqRange } from '../wire/tcp';
import { seqDiff, seqGE, seqGT, seqLT, seqMax } from './seqnum';

/** RFC 6675 DupThresh. */
export const DUP_THRESH = 3;

export class Scoreboard {
  /** Sorted, disjoint, above SND.UNA. */
  private ranges: SeqRange[] = [];
  /**
   * Every unSACKed byte below this is lost: set when a tail loss probe is
   * SACKed, since everything still missing was sent before it (RFC 8985's
   * time-based reasoning, for the tail).
   */
  lostBelow?: number;

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** The highest sequence any block covers (undefined: none). */
  get highest(): number | undefined {
    return this.ranges.length ? this.ranges[this.ranges.length - 1].end : undefined;
  }

  clear(): void {
    this.ranges = [];
    this.lostBelow = undefined;
  }

  /** Merges the blocks of one ACK, ignoring any outside (una, max]; returns whether something new was SACKed. */
  update(blocks: readonly SeqRange[], una: number, max: number): boolean {
    let changed = false;
    for (const b of blocks) {
      if (!seqLT(b.start, b.end) || seqLT(b.start, una) || seqGT(b.end, max)) continue;
      changed = this.add(b.start, b.end) || changed;
    }
    this.ack(una);
    return changed;
  }

  /** Forgets everything below the new SND.UNA. */
  ack(una: number): void {
    while (this.ranges.length && seqGE(una, this.ranges[0].end)) this.ranges.shift();
    if (this.lostBelow !== undefined && seqGE(una, this.lostBelow)) this.lostBelow = undefined;
    if (this.ranges.length && seqLT(this.ranges[0].start, una)) this.ranges[0] = { start: una, end: this.ranges[0].end };
  }

  /** Whether `seq` is SACKed. */
  covers(seq: number): SeqRange | undefined {
    return this.ranges.find((r) => seqGE(seq, r.start) && seqLT(seq, r.end));
  }

  /** The start of the first SACKed range after `seq` (undefined: none). */
  nextSacked(seq: number): number | undefined {
    return this.ranges.find((r) => seqGT(r.start, seq))?.start;
  }

  /** RFC 6675 IsLost: DupThresh discontiguous blocks, or more than (DupThresh-1)*MSS bytes, SACKed above `seq`. */
  isLost(seq: number, mss: number): boolean {
    if (this.lostBelow !== undefined && seqLT(seq, this.lostBelow)) return true;
    let bytes = 0;
    let blocks = 0;
    for (const r of this.ranges) {
      if (seqLT(r.end, seq) || r.end === seq) continue;
      blocks++;
      bytes += seqDiff(r.end, seqMax(r.start, seq));
    }
    return blocks >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss;
  }

  /**
   * RFC 6675 SetPipe over [una, max): unSACKed bytes not deemed lost, plus
   * those retransmitted (below highRxt). Holes are judged at their start.
   */
  pipe(una: number, max: number, highRxt: number, mss: number): number {
    let pipe = 0;
    let cur = una;
    const hole = (s: number, e: number) => {
      if (!seqLT(s, e)) return;
      if (!this.isLost(s, mss)) pipe += seqDiff(e, s);
      if (seqGT(highRxt, s)) pipe += seqDiff(seqLT(highRxt, e) ? highRxt : e, s);
    };
    for (const r of this.ranges) {
      hole(cur, r.start);
      cur = r.end;
    }
    hole(cur, max);
    return pipe;
  }

  /** RFC 6675 NextSeg rule 1: the first lost, unSACKed byte at or above `from` (and below `max`), and how long its hole is. */
  nextLost(from: number, max: number, mss: number): SeqRange | undefined {
    let cur = from;
    for (const r of [...this.ranges, { start: max, end: max }]) {
      if (seqGE(cur, r.end)) continue;
      if (seqLT(cur, r.start)) {
        if (!this.isLost(cur, mss)) return undefined; // holes further up have even less SACKed above them
        return { start: cur, end: r.start };
      }
      cur = r.end;
    }
    return undefined;
  }

  private add(start: number, end: number): boolean {
    const out: SeqRange[] = [];
    let s = start;
    let e = end;
    let placed = false;
    let changed = true;
    for (const r of this.ranges) {
      if (seqLT(r.end, s)) {
        out.push(r);
      } else if (seqGT(r.start, e)) {
        if (!placed) {
          out.push({ start: s, end: e });
          placed = true;
        }
        out.push(r);
      } else {
        if (seqGE(s, r.start) && seqGE(r.end, e)) changed = false;
        if (seqLT(r.start, s)) s = r.start;
        if (seqGT(r.end, e)) e = r.end;
      }
    }
    if (!placed) out.push({ start: s, end: e });
    this.ranges = out;
    return changed;
  }
}
