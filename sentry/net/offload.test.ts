import assert from 'node:assert/strict';
import { IPPROTO } from '../abi/linux/inet';
import type { LinkOffloads, TxOffload } from './nic';
import { decode, ipFrame, tcpFrame, udpPayload } from './testing/frames';
import { finishChecksum, segmentTcp4 } from './testing/gso';
import { A_ADDR, B_ADDR, capture, connectPair, type Pair, pattern, stackPair, transfer, warmArp } from './testing/pair';
import { fold, pseudoHeaderSum, type sum16 } from './wire/checksum';
import { ETH_HEADER } from './wire/ethernet';
import { writeIpv4Header } from './wire/ipv4';
import { TCP_FLAG, writeTcp } from './wire/tcp';

const GSO: LinkOffloads = { txChecksum: true, gso: true };
const MSS = 1460;
/** Ethernet, IPv4 and TCP headers without options. */
const HEADERS = ETH_HEADER + 40;
/** The largest GSO payload: whole MSS within an IPv4 packet. */
const GSO_MAX = Math.floor((65535 - 40) / MSS) * MSS;

interface Sent {
  frame: Buffer;
  offload?: TxOffload;
}

/** Records every frame stack a hands its link, with the offload work it asks for. */
function recordSends(p: Pair): Sent[] {
  const sent: Sent[] = [];
  const link = p.wire.a;
  const carry = link.send.bind(link);
  link.send = (frame, offload) => {
    sent.push({ frame: Buffer.from(frame), offload });
    carry(frame, offload);
  };
  return sent;
}

const payloadOf = (s: Sent): number => s.frame.length - HEADERS;
const isTcp = (f: Buffer): boolean => f.length >= HEADERS && f.readUInt16BE(12) === 0x0800 && f[ETH_HEADER + 9] === IPPROTO.TCP;

/** What a local Linux sender leaves in an offloaded frame's TCP or UDP checksum field: the folded pseudo-header sum. */
function partialChecksum(frame: Buffer, at: number): Buffer {
  const f = Buffer.from(frame);
  const len = f.readUInt16BE(ETH_HEADER + 2) - 20;
  f.writeUInt16BE(fold(pseudoHeaderSum(f.readUInt32BE(ETH_HEADER + 12), f.readUInt32BE(ETH_HEADER + 16), f[ETH_HEADER + 9], len)), ETH_HEADER + 20 + at);
  return f;
}

/** The lengths sum16 is called with while `fn` runs (the checksum module's export is what every caller looks up). */
function summedLengths(fn: () => void): number[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./wire/checksum') as { sum16: typeof sum16 };
  const real = mod.sum16;
  const lengths: number[] = [];
  mod.sum16 = (b, off, len, initial) => {
    lengths.push(len);
    return real(b, off, len, initial);
  };
  try {
    fn();
  } finally {
    mod.sum16 = real;
  }
  return lengths;
}

describe('sentry/net checksum offload and GSO', () => {
  const specOf = (p: Pair) => ({ srcMac: p.wire.a.mac, dstMac: p.wire.b.mac, src: A_ADDR, dst: B_ADDR });

  it('receive: a partial TCP checksum is dropped from an untrusted frame, accepted from a trusted one', () => {
    const p = stackPair();
    const listener = p.b.tcpSocket();
    listener.bind({ addr: 0, port: 80 });
    listener.listen(4);
    const log = capture(p);
    const syn = partialChecksum(tcpFrame(specOf(p), { srcPort: 4000, dstPort: 80, seq: 1, ack: 0, flags: TCP_FLAG.SYN, window: 1000 }), 16);
    p.b.input(Buffer.from(syn));
    p.clock.advance(10);
    assert.equal(p.b.stats.get('tcp.bad_checksum'), 1);
    assert.equal(log.filter((c) => c.from === 'b').length, 0, 'no answer to a bad checksum');
    p.b.input(Buffer.from(syn), { l4ChecksumOk: true });
    p.clock.advance(10);
    assert.equal(p.b.stats.get('tcp.bad_checksum'), 1);
    const answers = log.filter((c) => c.from === 'b' && isTcp(c.frame)).map((c) => decode(c.frame).tcp?.flags);
    assert.deepEqual(answers, [TCP_FLAG.SYN | TCP_FLAG.ACK]);
  });

  it('receive: a trusted UDP datagram costs no checksum work; untrusted it is checked and dropped', () => {
    const p = stackPair();
    const u = p.b.udpSocket();
    u.bind({ addr: 0, port: 53 });
    const data = pattern(1000);
    const frame = partialChecksum(ipFrame(specOf(p), IPPROTO.UDP, udpPayload(A_ADDR, B_ADDR, 4000, 53, data)), 6);
    const untrusted = summedLengths(() => p.b.input(Buffer.from(frame)));
    assert.equal(p.b.stats.get('udp.bad_checksum'), 1);
    assert.ok(untrusted.includes(8 + data.length), `the datagram was summed: ${untrusted}`);
    const trusted = summedLengths(() => p.b.input(Buffer.from(frame), { l4ChecksumOk: true }));
    assert.deepEqual(trusted, [20], 'only the IPv4 header is summed');
    assert.ok(u.recvfrom(2000).data.equals(data));
    assert.equal(p.b.stats.get('udp.bad_checksum'), 1);
  });

  it('receive: fragments are checked after reassembly even from a trusted link', () => {
    const p = stackPair();
    const u = p.b.udpSocket();
    u.bind({ addr: 0, port: 53 });
    const dgram = udpPayload(A_ADDR, B_ADDR, 4000, 53, pattern(2000));
    dgram.writeUInt16BE(dgram.readUInt16BE(6) ^ 0x0101, 6);
    const spec = { ...specOf(p), id: 77 };
    p.b.input(ipFrame({ ...spec, moreFragments: true }, IPPROTO.UDP, dgram.subarray(0, 1480)), { l4ChecksumOk: true });
    p.b.input(ipFrame({ ...spec, fragmentOffset: 1480 }, IPPROTO.UDP, dgram.subarray(1480)), { l4ChecksumOk: true });
    assert.equal(p.b.stats.get('udp.bad_checksum'), 1);
    assert.equal(u.inQueue, 0);
  });

  it('writeTcp with a partial checksum leaves the folded pseudo-header sum; finishing it gives the full checksum', () => {
    const f = { srcPort: 1234, dstPort: 80, seq: 7, ack: 9, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, window: 512 };
    const payload = Buffer.from('hello, odd length');
    const whole = Buffer.alloc(20 + payload.length);
    const partial = Buffer.alloc(20 + payload.length);
    writeTcp(whole, 0, f, payload, A_ADDR, B_ADDR, IPPROTO.TCP);
    writeTcp(partial, 0, f, payload, A_ADDR, B_ADDR, IPPROTO.TCP, true);
    assert.equal(partial.readUInt16BE(16), fold(pseudoHeaderSum(A_ADDR, B_ADDR, IPPROTO.TCP, partial.length)));
    assert.notEqual(partial.readUInt16BE(16), whole.readUInt16BE(16));
    const frame = Buffer.concat([Buffer.alloc(ETH_HEADER + 20), partial]);
    writeIpv4Header(frame, ETH_HEADER, { id: 1, ttl: 64, protocol: IPPROTO.TCP, src: A_ADDR, dst: B_ADDR }, partial.length);
    finishChecksum(frame, ETH_HEADER + 20, 16);
    assert.deepEqual(frame.subarray(ETH_HEADER + 20), whole);
  });

  it('the GSO emulation cuts a frame into the segments a sender without GSO would send', () => {
    const spec = { srcMac: Buffer.alloc(6, 1), dstMac: Buffer.alloc(6, 2), src: A_ADDR, dst: B_ADDR };
    const data = pattern(3 * 1000 + 123);
    const f = { srcPort: 1234, dstPort: 80, seq: 0xfffff000, ack: 9, window: 512 };
    const seg = Buffer.alloc(20 + data.length);
    writeTcp(seg, 0, { ...f, flags: TCP_FLAG.ACK | TCP_FLAG.PSH | TCP_FLAG.FIN | TCP_FLAG.CWR }, data, A_ADDR, B_ADDR, IPPROTO.TCP, true);
    const frame = ipFrame({ ...spec, id: 0xfffe }, IPPROTO.TCP, seg);
    const got = segmentTcp4(frame, { csumStart: 34, csumOffset: 16, gsoSize: 1000, headerLength: HEADERS });
    const want = [0, 1, 2, 3].map((i) => {
      const last = i === 3;
      const flags = TCP_FLAG.ACK | (last ? TCP_FLAG.PSH | TCP_FLAG.FIN : 0) | (i === 0 ? TCP_FLAG.CWR : 0);
      return tcpFrame({ ...spec, id: (0xfffe + i) & 0xffff }, { ...f, seq: (f.seq + 1000 * i) >>> 0, flags }, data.subarray(1000 * i, 1000 * (i + 1)));
    });
    assert.deepEqual(got, want);
  });

  it('transmit checksum offload: TCP frames carry the pseudo-header sum for the link to finish', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: { txChecksum: true, gso: false } } });
    const sent = recordSends(p);
    const log = capture(p);
    const { client, server } = connectPair(p);
    const data = pattern(300_000);
    assert.ok(transfer(p, client, server, data).received.equals(data));
    const tcp = sent.filter((s) => isTcp(s.frame));
    assert.ok(tcp.length > 200);
    for (const s of tcp) {
      assert.deepEqual(s.offload, { csumStart: 34, csumOffset: 16, gsoSize: 0, headerLength: s.frame[ETH_HEADER + 32] / 4 + ETH_HEADER + 20 });
      const len = s.frame.length - ETH_HEADER - 20;
      assert.equal(s.frame.readUInt16BE(ETH_HEADER + 36), fold(pseudoHeaderSum(A_ADDR, B_ADDR, IPPROTO.TCP, len)));
      assert.ok(payloadOf(s) <= MSS);
    }
    for (const c of log.filter((x) => isTcp(x.frame))) assert.ok(decode(c.frame).tcp, 'every frame on the wire has a valid checksum');
    assert.equal(p.a.stats.get('tcp.bad_checksum') + p.b.stats.get('tcp.bad_checksum'), 0);
  });

  it('GSO: data leaves in frames of whole MSS up to 64 KiB that the link cuts into valid segments', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: GSO } });
    const { client, server } = connectPair(p);
    const sent = recordSends(p);
    const log = capture(p);
    const data = pattern(4_000_000);
    assert.ok(transfer(p, client, server, data).received.equals(data));
    const frames = sent.filter((s) => isTcp(s.frame) && payloadOf(s) > 0);
    const big = frames.filter((s) => payloadOf(s) > MSS);
    assert.ok(big.length > 0);
    assert.equal(Math.max(...frames.map(payloadOf)), GSO_MAX);
    for (const s of big) {
      assert.equal(s.offload?.gsoSize, MSS);
      const fin = (s.frame[ETH_HEADER + 33] & TCP_FLAG.FIN) !== 0;
      if (!fin) assert.equal(payloadOf(s) % MSS, 0, 'whole segments unless the tail goes with the FIN');
    }
    const segments = log.filter((c) => c.from === 'a' && isTcp(c.frame));
    for (const c of segments) {
      assert.ok(c.frame.length <= ETH_HEADER + 1500);
      assert.ok(decode(c.frame).tcp);
    }
    const dataSegments = segments.filter((c) => (decode(c.frame).tcp?.payload.length ?? 0) > 0);
    assert.equal(dataSegments.length, Math.ceil(data.length / MSS));
    assert.ok(frames.length * 2 < dataSegments.length, `${frames.length} frames for ${dataSegments.length} segments`);
    assert.equal(p.a.stats.get('ip.fragmented'), 0);
  });

  it('GSO under loss, reordering and duplication: the data arrives intact', () => {
    const p = stackPair({ seed: 7, conditions: { delayMs: 2, jitterMs: 3, loss: 0.03, duplicate: 0.01, offloads: GSO } });
    const { client, server } = connectPair(p);
    const sent = recordSends(p);
    const up = pattern(3_000_000, 1);
    assert.ok(transfer(p, client, server, up).received.equals(up));
    assert.ok(p.a.stats.get('tcp.retransmits') > 0);
    assert.ok(sent.some((s) => isTcp(s.frame) && payloadOf(s) > MSS));
    const down = pattern(1_000_000, 2);
    assert.ok(transfer(p, server, client, down).received.equals(down));
  });

  it('GSO frames delivered whole (a veth with TSO): the receiver trusts them and acks each one at once', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: GSO, gsoWhole: true } });
    const { client, server } = connectPair(p);
    const log = capture(p);
    const data = pattern(2_000_000);
    assert.ok(transfer(p, client, server, data).received.equals(data));
    const tcp = log.map((c) => ({ ...c, tcp: isTcp(c.frame) ? decode(c.frame, true).tcp : undefined }));
    const big = tcp.filter((c) => c.from === 'a' && (c.tcp?.payload.length ?? 0) > MSS);
    assert.ok(big.length > 10);
    assert.equal(Math.max(...big.map((c) => c.tcp!.payload.length)), GSO_MAX, 'an ACK per frame lets the next one be as large');
    const segments = Math.ceil(data.length / MSS);
    assert.ok(big.length * 10 < segments, `${big.length} frames for ${segments} segments`);
    const acks = tcp.filter((c) => c.from === 'b' && c.tcp?.payload.length === 0);
    for (const d of big) {
      const end = (d.tcp!.seq + d.tcp!.payload.length) >>> 0;
      // Delivered 1 ms later and acknowledged then, not after the 40 ms delayed-ACK timer.
      assert.ok(acks.some((a) => a.t === d.t + 1 && ((a.tcp!.ack - end) | 0) >= 0), `frame at ${d.t} acknowledged at once`);
    }
    assert.equal(p.b.stats.get('tcp.bad_checksum'), 0);
  });

  it('GSO slow start counts every byte a frame-sized ACK covers: no slower than without GSO', () => {
    const time = (offloads?: LinkOffloads): number => {
      const p = stackPair({ conditions: { delayMs: 10, offloads, gsoWhole: offloads !== undefined } });
      const { client, server } = connectPair(p);
      return transfer(p, client, server, pattern(4_000_000)).ms;
    };
    const plain = time();
    const gso = time(GSO);
    assert.ok(gso <= plain * 1.1, `GSO ${gso} ms, plain ${plain} ms`);
  });

  it('GSO and Nagle: the tail shorter than an MSS goes along only while nothing is in flight', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: GSO } });
    const { client, server } = connectPair(p);
    const sent = recordSends(p);
    const sizes = () => sent.filter((s) => isTcp(s.frame) && payloadOf(s) > 0).map(payloadOf);
    const data = pattern(6000);
    client.write(data.subarray(0, 3000));
    client.write(data.subarray(3000));
    assert.deepEqual(sizes(), [3000, 2920], 'the 80-byte tail waits for the ACK');
    p.clock.advance(100);
    assert.deepEqual(sizes(), [3000, 2920, 80]);
    assert.ok(server.read(10_000).equals(data));
  });

  it('a burst of data frames fed as one batch is acknowledged once', () => {
    const p = stackPair({ conditions: { delayMs: 1 } });
    const { client, server } = connectPair(p);
    const held: Buffer[] = [];
    p.wire.filter = (frame, from) => from === 'b' || !held.push(frame);
    client.write(pattern(10 * MSS));
    p.clock.advance(1);
    assert.equal(held.length, 10);
    const before = p.wire.sent.b;
    p.b.inputBatch(() => held.forEach((f) => p.b.input(f)));
    assert.equal(p.wire.sent.b - before, 1, 'one ACK for the burst');
    assert.equal(server.inQueue, 10 * MSS);
  });

  it('a burst of ACKs fed as one batch releases one large GSO frame', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: GSO } });
    const { client } = connectPair(p);
    const sent = recordSends(p);
    const held: Buffer[] = [];
    p.wire.filter = (frame, from) => from === 'a' || !held.push(frame);
    client.write(pattern(200_000));
    p.clock.advance(1);
    assert.deepEqual(sent.map(payloadOf), [10 * MSS], 'the initial window');
    assert.equal(held.length, 5, 'an ACK every second segment');
    p.a.inputBatch(() => held.forEach((f) => p.a.input(f)));
    assert.deepEqual(sent.map(payloadOf), [10 * MSS, 20 * MSS], 'the window the five ACKs opened, in one frame');
  });

  it('UDP datagrams over an offloading link are still finished by the stack and fragmented', () => {
    const p = stackPair({ conditions: { delayMs: 1, offloads: GSO } });
    warmArp(p);
    const sent = recordSends(p);
    const u = p.b.udpSocket();
    u.bind({ addr: 0, port: 53 });
    const data = pattern(4000);
    p.a.udpSocket().sendto(data, { addr: B_ADDR, port: 53 });
    p.clock.advance(10);
    assert.ok(u.recvfrom(5000).data.equals(data));
    assert.equal(sent.length, 3);
    assert.ok(sent.every((s) => s.offload === undefined && s.frame.length <= ETH_HEADER + 1500));
  });
});
