import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary';
import {
  Frame, FrameParser, RstStatus, SpdyProtocolError, encodeData, encodeGoAway, encodePing, encodeRstStream,
  encodeSettings, encodeSynReply, encodeSynStream, encodeWindowUpdate,
} from './frames';
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock } from './headers';

// Written by moby/spdystream's framer (client-go's SPDY library): SYN_STREAM 1
// {streamType: error, port: 8080, requestID: 0}, SYN_STREAM 3 {streamType:
// data, same port and id}, then DATA "hello" with FIN on stream 3. The two
// header blocks share one zlib context primed with the SPDY/3 dictionary.
const GO_VECTOR = Buffer.from(
  '800300010000003e0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c60616061c0c0c0c0590489c64c50f2663400000000ffff' +
  '800300010000001800000003000000000000c2aa19540e2512d60b000000ffff' +
  '000000030100000568656c6c6f',
  'hex',
);

function parseAll(chunks: Buffer[]): Frame[] {
  const p = new FrameParser();
  const frames = chunks.flatMap((c) => p.push(c));
  assert.equal(p.pending, 0);
  return frames;
}

describe('SPDY/3.1 frames', () => {
  it('the dictionary is the spec\'s: 1423 bytes, zlib dictionary id 0xe3c6a7c2 (as in the vector\'s zlib header)', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    // Adler-32 of the dictionary, which zlib writes as DICTID after the 0x78 0xf9 header.
    assert.equal(GO_VECTOR.readUInt32BE(20), 0xe3c6a7c2);
    const probe = zlib.deflateSync(Buffer.from('x'), { dictionary: SPDY3_DICTIONARY });
    assert.equal(probe.readUInt32BE(2), 0xe3c6a7c2);
  });

  it('parses a Go-written session and decompresses its header blocks in order', async () => {
    const frames = parseAll([GO_VECTOR]);
    assert.deepEqual(frames.map((f) => f.kind), ['synStream', 'synStream', 'data']);
    const inflater = new HeaderDecompressor();
    try {
      const [a, b, d] = frames;
      assert(a.kind === 'synStream' && b.kind === 'synStream' && d.kind === 'data');
      assert.equal(a.streamId, 1);
      assert.equal(b.streamId, 3);
      assert.deepEqual([...(await inflater.decompress(a.headerBlock))].sort(), [['port', ['8080']], ['requestid', ['0']], ['streamtype', ['error']]]);
      assert.deepEqual([...(await inflater.decompress(b.headerBlock))].sort(), [['port', ['8080']], ['requestid', ['0']], ['streamtype', ['data']]]);
      assert.equal(d.streamId, 3);
      assert.equal(d.flags, 1);
      assert.equal(d.data.toString(), 'hello');
    } finally {
      inflater.close();
    }
  });

  it('keeps partial frames across every possible split, down to single bytes', () => {
    const whole = parseAll([GO_VECTOR]);
    for (let cut = 1; cut < GO_VECTOR.length; cut++) {
      assert.deepEqual(parseAll([GO_VECTOR.subarray(0, cut), GO_VECTOR.subarray(cut)]), whole, `split at ${cut}`);
    }
    const bytes = [...GO_VECTOR].map((b) => Buffer.from([b]));
    assert.deepEqual(parseAll(bytes), whole);
  });

  it('round-trips every control frame type through the encoders', () => {
    const settings = [{ flags: 0, id: 7, value: 1 << 20 }, { flags: 1, id: 4, value: 100 }];
    const frames = parseAll([
      encodeSynStream(5, Buffer.from('hb'), 2, 3),
      encodeSynReply(5, Buffer.from('rb'), true),
      encodeRstStream(5, RstStatus.Cancel),
      encodeSettings(settings),
      encodePing(7),
      encodeGoAway(5, 0),
      encodeWindowUpdate(0, 12345),
      encodeData(0x7fffffff, Buffer.alloc(70000, 1), false),
    ]);
    assert.deepEqual(frames, [
      { kind: 'synStream', flags: 2, streamId: 5, associatedId: 0, priority: 3, slot: 0, headerBlock: Buffer.from('hb') },
      { kind: 'synReply', flags: 1, streamId: 5, headerBlock: Buffer.from('rb') },
      { kind: 'rstStream', streamId: 5, status: 5 },
      { kind: 'settings', flags: 0, entries: settings },
      { kind: 'ping', id: 7 },
      { kind: 'goAway', lastGoodStreamId: 5, status: 0 },
      { kind: 'windowUpdate', streamId: 0, delta: 12345 },
      { kind: 'data', streamId: 0x7fffffff, flags: 0, data: Buffer.alloc(70000, 1) },
    ]);
  });

  it('encodes exactly the bytes of the spec layout', () => {
    // Control bit + version 3, type 6, no flags, length 4, ping id 1.
    assert.equal(encodePing(1).toString('hex'), '80030006000000040000' + '0001');
    // Data: stream id 3, FIN, length 2.
    assert.equal(encodeData(3, Buffer.from('hi'), true).toString('hex'), '00000003010000026869');
    assert.equal(encodeWindowUpdate(1, 65536).toString('hex'), '8003000900000008' + '00000001' + '00010000');
  });

  it('rejects other SPDY versions and short control frames, ignores unknown types', () => {
    const v2 = Buffer.from('80020006000000040000' + '0001', 'hex');
    assert.throws(() => new FrameParser().push(v2), SpdyProtocolError);
    const shortRst = Buffer.from('8003000300000004' + '00000001', 'hex');
    assert.throws(() => new FrameParser().push(shortRst), /too short/);
    const unknown = Buffer.from('8003000a00000002abcd', 'hex');
    assert.deepEqual(new FrameParser().push(unknown), [{ kind: 'unknown', type: 10 }]);
  });
});

describe('SPDY/3 header blocks', () => {
  it('encodes pairs with 32-bit lengths and NUL-joined values', () => {
    const block = encodeHeaderBlock(new Map([['a', ['1', '2']]]));
    assert.equal(block.toString('hex'), '00000001' + '00000001' + '61' + '00000003' + '310032');
    assert.deepEqual(decodeHeaderBlock(block), new Map([['a', ['1', '2']]]));
  });

  it('rejects upper-case and duplicate names and trailing bytes', () => {
    const pair = (n: string): string => '00000001' + Buffer.from(n).toString('hex') + '00000000';
    assert.throws(() => decodeHeaderBlock(Buffer.from('00000001' + pair('A'), 'hex')), /lower case/);
    assert.throws(() => decodeHeaderBlock(Buffer.from('00000002' + pair('a') + pair('a'), 'hex')), /duplicate/);
    assert.throws(() => decodeHeaderBlock(Buffer.from('00000000ff', 'hex')), /after the last header/);
    assert.throws(() => decodeHeaderBlock(Buffer.from('00000001000000', 'hex')), /truncated/);
  });

  it('compresses blocks one zlib stream can read back in order, with the dictionary', async () => {
    const deflater = new HeaderCompressor();
    const inflater = new HeaderDecompressor();
    try {
      const blocks = [new Map([['streamtype', ['stdout']]]), new Map(), new Map([['port', ['80']], ['requestid', ['7']]])];
      const compressed = [];
      for (const b of blocks) compressed.push(await deflater.compress(b));
      // Sync flush ends every block, so each can be inflated as soon as it arrives.
      for (const c of compressed) assert.equal(c.subarray(-4).toString('hex'), '0000ffff');
      for (let i = 0; i < blocks.length; i++) assert.deepEqual(await inflater.decompress(compressed[i]), blocks[i]);
    } finally {
      deflater.close();
      inflater.close();
    }
  });

  it('refuses a header block that inflates past the limit', async () => {
    const deflater = new HeaderCompressor();
    const inflater = new HeaderDecompressor();
    try {
      const bomb = await deflater.compress(new Map([['x', ['a'.repeat(300 * 1024)]]]));
      await assert.rejects(inflater.decompress(bomb), /inflates past/);
    } finally {
      deflater.close();
      inflater.close();
    }
  });
});
