import assert from 'node:assert/strict';
import { decode } from '../testing/frames';
import { capture, connectPair, pattern, stackPair, transfer } from '../testing/pair';
import { finish, pseudoHeaderSum, sum16 } from '../wire/checksum';
import { type SeqRange, TCP_FLAG } from '../wire/tcp';

const tcpOf = (f: Buffer) => decode(f).tcp;

/** A connection 5 ms each way whose sender has an RTT estimate (so it may send tail loss probes). */
function withRttEstimate() {
  const p = stackPair({ conditions: { delayMs: 5 } });
  const { client, server } = connectPair(p);
  client.write(Buffer.from('warm up the RTT estimate'));
  p.clock.advance(100);
  server.read(100);
  return { p, client, server };
}

describe('sentry/net TCP SACK', () => {
  it('three losses in one window: duplicate ACKs carry SACK blocks and recovery needs no timeout', () => {
    const p = stackPair({ conditions: { delayMs: 5 } });
    const { client, server } = connectPair(p);
    p.clock.advance(100);
    assert.equal(p.a.stats.get('tcp.sack_enabled'), 1);
    const firstData = new Map<number, number>();
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from !== 'a' || !t || t.payload.length === 0) return false;
      const n = (firstData.get(t.seq) ?? 0) + 1;
      firstData.set(t.seq, n);
      // Drop the first transmission of the 3rd, 5th and 7th new segments.
      const idx = [...firstData.keys()].indexOf(t.seq);
      return n === 1 && (idx === 2 || idx === 4 || idx === 6);
    });
    const data = pattern(30 * 1460);
    const { received } = transfer(p, client, server, data);
    assert.ok(received.equals(data));
    assert.equal(p.a.stats.get('tcp.timeouts'), 0);
    assert.equal(p.a.stats.get('tcp.retransmits'), 3, 'exactly the three lost segments');
    const sacks = log.filter((c) => c.from === 'b').map((c) => tcpOf(c.frame)?.options.sackBlocks).filter((b) => b);
    assert.ok(sacks.length >= 3);
    assert.ok(sacks.some((b) => (b?.length ?? 0) >= 2), 'several holes show as several blocks');
  });

  it('without SACK (a peer that does not offer it) NewReno still recovers from the same losses', () => {
    const p = stackPair({ conditions: { delayMs: 5 } });
    // Strip SACK-permitted from b's SYN-ACK by overwriting the option kind with NOPs.
    p.wire.filter = (f, from) => {
      const t = tcpOf(f);
      if (from === 'b' && t && t.flags === (TCP_FLAG.SYN | TCP_FLAG.ACK)) {
        const opts = f.subarray(14 + 20 + 20);
        for (let i = 0; i + 1 < opts.length; i++) if (opts[i] === 4 && opts[i + 1] === 2) opts.fill(1, i, i + 2);
        // Fix the checksum after the edit.
        const seg = f.subarray(34);
        seg.writeUInt16BE(0, 16);
        seg.writeUInt16BE(finish(sum16(seg, 0, seg.length, pseudoHeaderSum(f.readUInt32BE(26), f.readUInt32BE(30), 6, seg.length))), 16);
      }
      return true;
    };
    const { client, server } = connectPair(p);
    p.clock.advance(100);
    assert.equal(p.a.stats.get('tcp.sack_enabled'), 0);
    let n = 0;
    capture(p, (f, from) => from === 'a' && (tcpOf(f)?.payload.length ?? 0) > 0 && [3, 5, 7].includes(++n));
    const data = pattern(30 * 1460);
    assert.ok(transfer(p, client, server, data).received.equals(data));
    assert.equal(p.a.stats.get('tcp.timeouts'), 0, 'partial ACKs retransmit each hole (RFC 6582)');
  });

  it('lost last segments are recovered through a tail loss probe after 2*SRTT, not the RTO', () => {
    const { p, client, server } = withRttEstimate();
    const seen = new Map<number, number>();
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from !== 'a' || !t || t.payload.length === 0) return false;
      seen.set(t.seq, (seen.get(t.seq) ?? 0) + 1);
      // The first transmissions of the 9th and 10th segments are lost.
      return seen.get(t.seq) === 1 && seen.size >= 9;
    });
    const t0 = p.clock.now();
    client.write(pattern(10 * 1460));
    p.clock.runUntil(() => server.inQueue === 10 * 1460, t0 + 1000);
    assert.equal(server.inQueue, 10 * 1460);
    assert.ok(p.clock.now() - t0 < 100, `done in ${p.clock.now() - t0} ms, well before the 200 ms RTO`);
    assert.equal(p.a.stats.get('tcp.loss_probes'), 1);
    assert.equal(p.a.stats.get('tcp.timeouts'), 0);
    const sent = log.filter((c) => c.from === 'a' && (tcpOf(c.frame)?.payload.length ?? 0) > 0);
    assert.equal(sent.length, 12, 'ten segments, the probe (the 10th again) and the 9th retransmitted');
  });

  it('a second segment sent while the first waits re-arms the probe at 2*SRTT: both lost, recovered without the RTO', () => {
    const { p, client, server } = withRttEstimate();
    const seen = new Map<number, number>();
    capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from !== 'a' || !t || t.payload.length === 0) return false;
      seen.set(t.seq, (seen.get(t.seq) ?? 0) + 1);
      return seen.get(t.seq) === 1; // every first transmission is lost
    });
    const t0 = p.clock.now();
    // Alone in flight, the first segment's timer allows for a delayed ACK (2*SRTT + 200 ms): the RTO comes first.
    client.write(pattern(1460));
    p.clock.advance(1);
    client.write(pattern(1460, 1));
    p.clock.runUntil(() => server.inQueue === 2 * 1460, t0 + 1000);
    assert.equal(server.inQueue, 2 * 1460);
    assert.ok(p.clock.now() - t0 < 100, `done in ${p.clock.now() - t0} ms, well before the 200 ms RTO`);
    assert.equal(p.a.stats.get('tcp.loss_probes'), 1);
    assert.equal(p.a.stats.get('tcp.timeouts'), 0);
  });

  it('a lost retransmission goes out again once a segment sent after it is SACKed, not after the RTO', () => {
    const { p, client, server } = withRttEstimate();
    let first: number | undefined;
    let sends = 0;
    capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from !== 'a' || !t || t.payload.length === 0) return false;
      first ??= t.seq;
      // The first segment is lost, and so is its first retransmission.
      return t.seq === first && ++sends <= 2;
    });
    const t0 = p.clock.now();
    // Ten segments fit the initial window, two more go out on the first duplicate ACKs (limited
    // transmit), and the thirteenth during the recovery, after the retransmission: the only one sent after it.
    client.write(pattern(13 * 1460));
    p.clock.runUntil(() => server.inQueue === 13 * 1460, t0 + 1000);
    assert.equal(server.inQueue, 13 * 1460);
    assert.ok(p.clock.now() - t0 < 100, `done in ${p.clock.now() - t0} ms, well before the 200 ms RTO`);
    assert.equal(p.a.stats.get('tcp.lost_retransmits'), 1);
    assert.equal(p.a.stats.get('tcp.timeouts'), 0);
    assert.equal(sends, 3);
  });

  it('data received twice is reported once as a D-SACK: the first SACK block, below the ACK (RFC 2883)', () => {
    const { p, client, server } = withRttEstimate();
    const data: number[] = [];
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from === 'a' && t && t.payload.length > 0) data.push(t.seq);
      // b's ACKs are lost until a sends the segment again (its tail loss probe).
      return from === 'b' && data.length < 2;
    });
    client.write(pattern(1460));
    p.clock.runUntil(() => data.length >= 2 && server.inQueue === 1460, p.clock.now() + 1000);
    p.clock.advance(500);
    assert.equal(data.length, 2, 'the segment and its probe');
    assert.equal(data[1], data[0]);
    const acks = log.filter((c) => c.from === 'b').map((c) => tcpOf(c.frame)).filter((t) => t !== undefined);
    const end = (data[0] + 1460) >>> 0;
    const dsacks = acks.filter((t) => t.options.sackBlocks !== undefined);
    assert.equal(dsacks.length, 1, 'reported once');
    assert.deepEqual(dsacks[0].options.sackBlocks, [{ start: data[0], end }]);
    assert.equal(dsacks[0].ack, end, 'the block lies below the cumulative ACK');
    assert.equal(p.b.stats.get('tcp.dsack_sent'), 1);
    assert.equal(server.inQueue, 1460, 'the duplicate is not delivered twice');
  });

  it('a repeat of data held out of order is a D-SACK above the ACK, followed by the block that holds it', () => {
    const { p, client, server } = withRttEstimate();
    p.wire.conditions = { ...p.wire.conditions, duplicate: 1 }; // every frame arrives twice
    let first: number | undefined;
    let firstSends = 0;
    const log = capture(p, (f, from) => {
      const t = tcpOf(f);
      if (from !== 'a' || !t || t.payload.length === 0) return false;
      first ??= t.seq;
      return t.seq === first && ++firstSends === 1; // the first segment's first transmission is lost
    });
    const data = pattern(4 * 1460);
    client.write(data);
    p.clock.runUntil(() => server.inQueue === data.length, p.clock.now() + 1000);
    p.clock.advance(100); // the retransmission's second copy too
    assert.ok(server.read(data.length + 1).equals(data), 'delivered once, intact');
    // By Linux's rule (tcp_check_dsack), a first block inside the second is a D-SACK; SACK runs never nest.
    const contains = (outer: SeqRange, inner: SeqRange) => ((inner.start - outer.start) | 0) >= 0 && ((outer.end - inner.end) | 0) >= 0;
    const dsacks = log.flatMap((c) => {
      const t = c.from === 'b' ? tcpOf(c.frame) : undefined;
      const [dup, holder] = t?.options.sackBlocks ?? [];
      return t && holder && contains(holder, dup) ? [{ ack: t.ack, dup }] : [];
    });
    assert.equal(dsacks.length, 3, 'the repeats of segments 2, 3 and 4, each reported once');
    for (const d of dsacks) assert.ok(((d.dup.start - d.ack) | 0) >= 0, 'above the cumulative ACK');
    assert.equal(p.b.stats.get('tcp.dsack_sent'), 4, 'and the second copy of the retransmitted first segment');
  });
});
