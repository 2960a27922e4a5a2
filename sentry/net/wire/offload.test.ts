import assert from 'node:assert/strict';
import { IPPROTO } from '../../abi/linux/inet';
import { parseIpv4 } from '../addr';
import { ipFrame, tcpFrame, udpPayload } from '../testing/frames';
import { pseudoHeaderSum } from './checksum';
import { ETH_HEADER } from './ethernet';
import { completeChecksum } from './offload';

const spec = { srcMac: Buffer.alloc(6, 1), dstMac: Buffer.alloc(6, 2), src: parseIpv4('10.0.0.1'), dst: parseIpv4('10.0.0.2') };

/** What a sender with checksum offload leaves in the field: the folded pseudo-header sum, not complemented. */
function partial(frame: Buffer, at: number): Buffer {
  const f = Buffer.from(frame);
  const len = f.readUInt16BE(ETH_HEADER + 2) - 20;
  let s = pseudoHeaderSum(spec.src, spec.dst, f[ETH_HEADER + 9], len);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f.writeUInt16BE(s, ETH_HEADER + 20 + at);
  return f;
}

describe('receive checksum offload', () => {
  it('completes partial TCP checksums to what a full sender writes', () => {
    const whole = tcpFrame(spec, { srcPort: 1234, dstPort: 80, seq: 7, ack: 9, flags: 0x18, window: 512 }, Buffer.from('hello, odd length'));
    const f = partial(whole, 16);
    assert.notDeepEqual(f, whole);
    assert.equal(completeChecksum(f), true);
    assert.deepEqual(f, whole);
  });

  it('completes UDP checksums, including the all-ones encoding of zero', () => {
    for (let i = 0; i < 300; i++) {
      const whole = ipFrame(spec, IPPROTO.UDP, udpPayload(spec.src, spec.dst, 53, 1000 + i, Buffer.from([i & 0xff, i >> 8])));
      const f = partial(whole, 6);
      assert.equal(completeChecksum(f), true);
      assert.deepEqual(f, whole, `datagram ${i}`);
    }
  });

  it('leaves fragments, truncated packets and other protocols alone', () => {
    const frag = ipFrame({ ...spec, moreFragments: true }, IPPROTO.UDP, Buffer.alloc(16));
    const icmp = ipFrame(spec, IPPROTO.ICMP, Buffer.alloc(16));
    const cut = tcpFrame(spec, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 2, window: 1 }).subarray(0, 40);
    for (const f of [frag, icmp, cut, Buffer.alloc(10)]) {
      const before = Buffer.from(f);
      assert.equal(completeChecksum(f), false);
      assert.deepEqual(f, before);
    }
  });
});
