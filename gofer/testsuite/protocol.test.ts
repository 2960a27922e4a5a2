/**
 * Raw frames on a real Gofer's socket: malformed bodies get Rlerror(EINVAL)
 * and the Gofer keeps serving; an impossible frame size drops the
 * connection and the Gofer exits; Tversion negotiates msize.
 */
import { strict as assert } from 'node:assert';
import { Errno } from '../../sentry/abi/linux/errno';
import { closeFd, readFull, writeAll } from '../../sentry/platform/host/fdio';
import { decode, encode, FrameParser } from '../p9/codec';
import { Message } from '../p9/schema';
import { DEFAULT_MSIZE, MsgType, NOFID, NOTAG } from '../p9/types';
import { startGofer } from '../launch';
import { makeTree, removeTree, Tree, waitGone } from './harness';

/** Reads one reply frame (blocking). */
function reply(fd: number): { tag: number; msg: Message } {
  const head = Buffer.alloc(4);
  assert.equal(readFull(fd, head), 4, 'connection closed');
  const rest = Buffer.alloc(head.readUInt32LE(0) - 4);
  assert.equal(readFull(fd, rest), rest.length);
  const [f] = new FrameParser(DEFAULT_MSIZE).push(Buffer.concat([head, rest]));
  return { tag: f.tag, msg: decode(f) };
}

function frame(type: number, tag: number, body: number[]): Buffer {
  const b = Buffer.alloc(7 + body.length);
  b.writeUInt32LE(b.length, 0);
  b[4] = type;
  b.writeUInt16LE(tag, 5);
  Buffer.from(body).copy(b, 7);
  return b;
}

describe('gofer: protocol handling on the wire', () => {
  let t: Tree;
  let g: { fd: number; pid: number };

  before(() => {
    t = makeTree();
  });
  after(() => removeTree(t));
  beforeEach(() => {
    g = startGofer({ root: t.root, readOnly: false });
  });
  afterEach(async () => {
    if (g.fd >= 0) closeFd(g.fd);
    await waitGone(g.pid);
  });

  it('negotiates msize down to the client and refuses other versions', () => {
    writeAll(g.fd, encode(NOTAG, { type: MsgType.Tversion, msize: 8192, version: '9P2000.L' }));
    assert.deepEqual(reply(g.fd), { tag: NOTAG, msg: { type: MsgType.Rversion, msize: 8192, version: '9P2000.L' } });
    writeAll(g.fd, encode(NOTAG, { type: MsgType.Tversion, msize: 1 << 30, version: '9P2000.L' }));
    assert.equal((reply(g.fd).msg as { msize: number }).msize, DEFAULT_MSIZE);
    writeAll(g.fd, encode(NOTAG, { type: MsgType.Tversion, msize: 8192, version: '9P2000' }));
    assert.equal((reply(g.fd).msg as { version: string }).version, 'unknown');
  });

  it('answers malformed frames with Rlerror(EINVAL) and keeps serving', () => {
    const einval = { type: MsgType.Rlerror, ecode: Errno.EINVAL };
    writeAll(g.fd, frame(99, 5, [])); // unknown type
    assert.deepEqual(reply(g.fd), { tag: 5, msg: einval });
    writeAll(g.fd, frame(MsgType.Tclunk, 6, [1, 0])); // truncated fid
    assert.deepEqual(reply(g.fd), { tag: 6, msg: einval });
    writeAll(g.fd, frame(MsgType.Twalk, 7, [0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0xff, 0xff, 0x61])); // string overruns
    assert.deepEqual(reply(g.fd), { tag: 7, msg: einval });
    writeAll(g.fd, frame(MsgType.Tclunk, 8, [0, 0, 0, 0, 0])); // trailing byte
    assert.deepEqual(reply(g.fd), { tag: 8, msg: einval });
    writeAll(g.fd, encode(9, { type: MsgType.Rversion, msize: 1, version: 'x' })); // a reply sent to the server
    assert.deepEqual(reply(g.fd), { tag: 9, msg: einval });
    writeAll(g.fd, encode(10, { type: MsgType.Tattach, fid: 0, afid: 7, uname: '', aname: '', nUname: 0 }));
    assert.deepEqual(reply(g.fd), { tag: 10, msg: einval });
    // Still alive and correct.
    writeAll(g.fd, encode(11, { type: MsgType.Tattach, fid: 0, afid: NOFID, uname: '', aname: '/', nUname: 0 }));
    assert.equal(reply(g.fd).msg.type, MsgType.Rattach);
  });

  it('serves a request split across writes and several requests in one write', async () => {
    const attach = encode(1, { type: MsgType.Tattach, fid: 0, afid: NOFID, uname: '', aname: '/', nUname: 0 });
    for (let i = 0; i < attach.length; i++) {
      writeAll(g.fd, attach.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(reply(g.fd).msg.type, MsgType.Rattach);
    const walk = (tag: number, newfid: number): Buffer => encode(tag, { type: MsgType.Twalk, fid: 0, newfid, names: ['dir'] });
    writeAll(g.fd, Buffer.concat([walk(2, 1), walk(3, 2), encode(4, { type: MsgType.Tclunk, fid: 1 })]));
    assert.deepEqual([reply(g.fd).tag, reply(g.fd).tag, reply(g.fd)], [2, 3, { tag: 4, msg: { type: MsgType.Rclunk } }]);
  });

  it('drops the connection and exits on an impossible frame size', async () => {
    writeAll(g.fd, Buffer.from([3, 0, 0, 0, 100, 0, 0]));
    assert.equal(readFull(g.fd, Buffer.alloc(1)), 0);
    await waitGone(g.pid);
  });

  it('exits when the client closes the socket', async () => {
    closeFd(g.fd);
    g.fd = -1;
    await waitGone(g.pid);
  });
});
