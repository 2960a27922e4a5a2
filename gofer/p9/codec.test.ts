import { strict as assert } from 'node:assert';
import { decode, encode, FrameParser, P9FormatError, RawFrame } from './codec';
import { decodeDirents, direntSize, encodeDirents } from './dirent';
import { Kind, KindValue, LAYOUTS, Message } from './schema';
import { MsgType, NOTAG, QT } from './types';

const SAMPLES: { [K in Kind]: KindValue<K> } = {
  u8: 0xab,
  u16: 0xbeef,
  u32: 0xdeadbeef,
  u64: 0xfedcba9876543210n,
  str: 'naïve-名前',
  qid: { type: QT.DIR, version: 7, path: 0x1122334455667788n },
  strs: ['a', '', 'ünï'],
  qids: [
    { type: QT.FILE, version: 0, path: 1n },
    { type: QT.SYMLINK, version: 1, path: 2n },
  ],
  data: Buffer.from([0, 1, 2, 255]),
};

/** One message of every supported type, every field set to its kind's sample. */
function everyMessage(): Message[] {
  return Object.entries(LAYOUTS).map(([type, layout]) => {
    const m: Record<string, unknown> = { type: Number(type) };
    for (const [name, kind] of layout) m[name] = SAMPLES[kind];
    return m as unknown as Message;
  });
}

function frameOf(buf: Buffer): RawFrame {
  const [f] = new FrameParser(1 << 20).push(buf);
  return f;
}

describe('9P codec', () => {
  it('encodes Tversion byte-exactly per the spec', () => {
    const buf = encode(NOTAG, { type: MsgType.Tversion, msize: 8192, version: '9P2000.L' });
    assert.deepEqual(
      [...buf],
      [21, 0, 0, 0, 100, 0xff, 0xff, 0x00, 0x20, 0, 0, 8, 0, ...Buffer.from('9P2000.L')],
    );
  });

  it('encodes the Tgetfd/Rgetfd extension (types 128/129) byte-exactly', () => {
    assert.deepEqual([...encode(5, { type: MsgType.Tgetfd, fid: 0x01020304 })], [11, 0, 0, 0, 128, 5, 0, 4, 3, 2, 1]);
    assert.deepEqual([...encode(5, { type: MsgType.Rgetfd })], [7, 0, 0, 0, 129, 5, 0]);
    assert.deepEqual(decode(frameOf(Buffer.from([11, 0, 0, 0, 128, 5, 0, 4, 3, 2, 1]))), { type: MsgType.Tgetfd, fid: 0x01020304 });
    assert.throws(() => decode({ type: MsgType.Rgetfd, tag: 1, body: Buffer.alloc(1) }), /1 trailing bytes/);
  });

  it('encodes Rwalkgetattr as an Rwalk body followed by an Rgetattr body', () => {
    const [getattr] = everyMessage().filter((m) => m.type === MsgType.Rgetattr);
    const qids = [{ type: 0x80, version: 1, path: 2n }];
    const walk = encode(3, { type: MsgType.Rwalk, qids });
    const both = encode(3, { ...getattr, type: MsgType.Rwalkgetattr, qids } as Message);
    assert.equal(both[4], 131);
    assert.deepEqual([...both.subarray(7)], [...walk.subarray(7), ...encode(3, getattr).subarray(7)]);
  });

  it('has the fixed Rgetattr (160 bytes) and Rlerror (11 bytes) sizes', () => {
    const [getattr] = everyMessage().filter((m) => m.type === MsgType.Rgetattr);
    assert.equal(encode(1, getattr).length, 160);
    assert.equal(encode(1, { type: MsgType.Rlerror, ecode: 2 }).length, 11);
  });

  it('round-trips every message type', () => {
    const all = everyMessage();
    assert.equal(all.length, 51); // Rlerror + 21 9P2000.L T/R pairs + our Tgetfd, Twalkgetattr, Tlopenfd and Treaddirall pairs
    for (const [i, msg] of all.entries()) {
      const frame = frameOf(encode(i, msg));
      assert.equal(frame.tag, i);
      assert.deepEqual(decode(frame), msg, `type ${msg.type}`);
    }
  });

  it('reassembles frames split at every byte and batched in one chunk', () => {
    const msgs = everyMessage();
    const stream = Buffer.concat(msgs.map((m, i) => encode(i, m)));
    const byByte = new FrameParser(1 << 20);
    const got: Message[] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const f of byByte.push(stream.subarray(i, i + 1))) got.push(decode(f));
    }
    assert.deepEqual(got, msgs);
    assert.deepEqual(new FrameParser(1 << 20).push(stream).map(decode), msgs);
  });

  it('keeps a partial frame across uneven chunks', () => {
    const big = encode(3, { type: MsgType.Rread, data: Buffer.alloc(100_000, 7) });
    const p = new FrameParser(1 << 20);
    assert.deepEqual(p.push(big.subarray(0, 2)), []);
    assert.deepEqual(p.push(big.subarray(2, 50_000)), []);
    const [f] = p.push(Buffer.concat([big.subarray(50_000), big.subarray(0, 5)]));
    const m = decode(f);
    assert.equal(m.type, MsgType.Rread);
    assert.ok(m.type === MsgType.Rread && m.data.equals(Buffer.alloc(100_000, 7)));
    assert.deepEqual(p.push(big.subarray(5)).map(decode), [m]);
  });

  it('rejects impossible frame sizes', () => {
    assert.throws(() => new FrameParser(1000).push(Buffer.from([6, 0, 0, 0])), P9FormatError);
    assert.throws(() => new FrameParser(1000).push(Buffer.from([0xe9, 3, 0, 0])), P9FormatError);
  });

  it('rejects unknown types, truncated and overlong bodies', () => {
    assert.throws(() => decode({ type: 99, tag: 1, body: Buffer.alloc(0) }), /unknown message type 99/);
    // Tclunk needs fid[4].
    assert.throws(() => decode({ type: MsgType.Tclunk, tag: 1, body: Buffer.alloc(3) }), /truncated/);
    assert.throws(() => decode({ type: MsgType.Tclunk, tag: 1, body: Buffer.alloc(5) }), /1 trailing bytes/);
    // Twalk claiming 2 names but carrying one; a string whose length overruns the frame.
    const walk = Buffer.from([1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0, 0x61]);
    assert.throws(() => decode({ type: MsgType.Twalk, tag: 1, body: walk }), P9FormatError);
    const badStr = Buffer.from([0, 0x20, 0, 0, 0xff, 0x00, 0x39]);
    assert.throws(() => decode({ type: MsgType.Tversion, tag: 1, body: badStr }), P9FormatError);
    // Rread count larger than the data present.
    assert.throws(() => decode({ type: MsgType.Rread, tag: 1, body: Buffer.from([9, 0, 0, 0, 1]) }), P9FormatError);
  });

  it('packs dirents within the byte budget and decodes them', () => {
    const ents = ['a', 'bb', 'ccc'].map((name, i) => ({
      qid: { type: QT.FILE, version: 0, path: BigInt(i + 10) },
      offset: BigInt(i + 1),
      type: 8,
      name,
    }));
    assert.equal(direntSize('a'), 25);
    assert.deepEqual(decodeDirents(encodeDirents(ents, 1000)), ents);
    assert.deepEqual(decodeDirents(encodeDirents(ents, 25 + 26)), ents.slice(0, 2));
    assert.equal(encodeDirents(ents, 24).length, 0);
  });
});
