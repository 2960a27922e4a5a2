/**
 * P9Client against canned replies queued on a socketpair (no Gofer): what
 * it sends, how it maps errors, partial walks and a broken connection, and
 * how it allocates fids.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { Errno } from '../../abi/linux/errno';
import { LinuxError } from '../../errors/linuxerr';
import { closeFd, preadFd, readFull, socketPair, writeAll } from '../../platform/host/fdio';
import { sendWithFd } from '../../../gofer/host/libc';
import { decode, encode, FrameParser } from '../../../gofer/p9/codec';
import { Message } from '../../../gofer/p9/schema';
import { MsgType, NOTAG, QT } from '../../../gofer/p9/types';
import { P9Client } from './client';

const DIR = { type: QT.DIR, version: 0, path: 1n };
const FILE = { type: QT.FILE, version: 0, path: 2n };

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LinuxError, String(e));
    return e.errno;
  }
  return assert.fail('did not throw');
}

describe('P9Client (canned replies)', () => {
  let ours: number;
  let peer: number;
  let client: P9Client;
  const queue = (tag: number, ...msgs: Message[]): void => {
    for (const m of msgs) writeAll(peer, encode(tag, m));
  };
  /** The next T-message the client sent (it must already be in the socket). */
  const nextRequest = (): Message => {
    const head = Buffer.alloc(4);
    readFull(peer, head);
    const frame = Buffer.alloc(head.readUInt32LE(0));
    head.copy(frame);
    readFull(peer, frame.subarray(4));
    return decode(new FrameParser(1 << 20).push(frame)[0]);
  };

  beforeEach(() => {
    [ours, peer] = socketPair();
    queue(NOTAG, { type: MsgType.Rversion, msize: 65536, version: '9P2000.L' });
    client = P9Client.connect(ours, 1 << 20);
  });
  afterEach(() => {
    client.close();
    closeFd(peer);
  });

  it('sends Tversion with its msize and adopts the smaller one', () => {
    assert.deepEqual(nextRequest(), { type: MsgType.Tversion, msize: 1 << 20, version: '9P2000.L' });
    assert.equal(client.msize, 65536);
  });

  it('turns Rlerror into LinuxError with that errno', () => {
    queue(1, { type: MsgType.Rlerror, ecode: Errno.EACCES });
    assert.equal(errnoOf(() => client.getattr(3)), Errno.EACCES);
    nextRequest();
    assert.deepEqual(nextRequest(), { type: MsgType.Tgetattr, fid: 3, requestMask: 0x7ffn });
  });

  it('maps partial walks to ENOENT after a directory, ENOTDIR after a file', () => {
    queue(1, { type: MsgType.Rwalk, qids: [DIR] });
    assert.equal(errnoOf(() => client.walk(0, ['d', 'missing'])), Errno.ENOENT);
    queue(1, { type: MsgType.Rwalk, qids: [DIR, FILE] });
    assert.equal(errnoOf(() => client.walk(0, ['d', 'f', 'x'])), Errno.ENOTDIR);
  });

  it('clunks the new fid when a later Twalk of a long walk fails', () => {
    nextRequest(); // Tversion
    queue(1, { type: MsgType.Rwalk, qids: Array(16).fill(DIR) }, { type: MsgType.Rlerror, ecode: Errno.ENOENT }, { type: MsgType.Rclunk });
    assert.equal(errnoOf(() => client.walk(5, Array<string>(17).fill('d'))), Errno.ENOENT);
    assert.deepEqual(nextRequest(), { type: MsgType.Twalk, fid: 5, newfid: 0, names: Array(16).fill('d') });
    assert.deepEqual(nextRequest(), { type: MsgType.Twalk, fid: 0, newfid: 0, names: ['d'] });
    assert.deepEqual(nextRequest(), { type: MsgType.Tclunk, fid: 0 });
  });

  it('allocates fids from 0 and reuses freed ones first', () => {
    queue(1, { type: MsgType.Rattach, qid: DIR }, { type: MsgType.Rwalk, qids: [FILE] });
    assert.equal(client.attach('/'), 0);
    assert.equal(client.walk(0, ['f']).fid, 1);
    queue(1, { type: MsgType.Rlerror, ecode: Errno.ENOENT });
    errnoOf(() => client.walk(0, ['x'])); // fid 2 tried, then freed
    queue(1, { type: MsgType.Rclunk }, { type: MsgType.Rwalk, qids: [] }, { type: MsgType.Rwalk, qids: [] });
    client.clunk(1);
    assert.equal(client.walk(0, []).fid, 1);
    assert.equal(client.walk(0, []).fid, 2);
  });

  it('reports EIO for an unexpected reply type and drops the stream: the next call does not take the next reply', () => {
    queue(1, { type: MsgType.Rclunk }, { type: MsgType.Rclunk });
    assert.equal(errnoOf(() => client.getattr(0)), Errno.EIO);
    assert.equal(errnoOf(() => client.clunk(0)), Errno.EIO);
  });

  it('reports EIO for a wrong tag, a closed peer and a closed client', () => {
    queue(7, { type: MsgType.Rclunk });
    assert.equal(errnoOf(() => client.clunk(0)), Errno.EIO);
    closeFd(peer);
    const [spare, spareEnd] = socketPair(); // keeps afterEach's close balanced
    closeFd(spareEnd);
    peer = spare;
    assert.equal(errnoOf(() => client.statfs(0)), Errno.EIO);
    client.close();
    assert.equal(errnoOf(() => client.statfs(0)), Errno.EIO);
  });

  describe('Tgetfd', () => {
    const openFds = (): number => fs.readdirSync('/proc/self/fd').length;
    let file: number;
    beforeEach(() => {
      nextRequest(); // Tversion
      file = fs.openSync(__filename, 'r');
    });
    afterEach(() => fs.closeSync(file));

    it('returns the descriptor passed with Rgetfd: a new one for the same open file', () => {
      sendWithFd(peer, encode(1, { type: MsgType.Rgetfd }), file);
      const fd = client.getfd(9);
      assert.deepEqual(nextRequest(), { type: MsgType.Tgetfd, fid: 9 });
      assert.notEqual(fd, file);
      const b = Buffer.alloc(64);
      assert.equal(b.subarray(0, preadFd(fd, b, 0)).toString(), fs.readFileSync(__filename).subarray(0, 64).toString());
      closeFd(fd);
    });

    it('closes descriptors that come with any other reply, or with an error', () => {
      const base = openFds();
      sendWithFd(peer, encode(1, { type: MsgType.Rclunk }), file);
      client.clunk(4);
      sendWithFd(peer, encode(1, { type: MsgType.Rlerror, ecode: Errno.EACCES }), file);
      assert.equal(errnoOf(() => client.getfd(4)), Errno.EACCES);
      // Reply bytes split across recvmsg calls: the descriptor rides on the second piece.
      const frame = encode(1, { type: MsgType.Rgetattr, valid: 0n, qid: FILE, mode: 0, uid: 0, gid: 0, nlink: 1n, rdev: 0n, size: 0n,
        blksize: 0n, blocks: 0n, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n, ctimeSec: 0n, ctimeNsec: 0n,
        btimeSec: 0n, btimeNsec: 0n, gen: 0n, dataVersion: 0n });
      writeAll(peer, frame.subarray(0, 2));
      sendWithFd(peer, frame.subarray(2), file);
      assert.equal(client.getattr(4).nlink, 1);
      assert.equal(openFds(), base);
    });

    it('reports EIO for an Rgetfd without a descriptor', () => {
      queue(1, { type: MsgType.Rgetfd });
      assert.equal(errnoOf(() => client.getfd(1)), Errno.EIO);
    });
  });

  it('refuses a server that does not speak 9P2000.L or inflates msize', () => {
    const [a, b] = socketPair();
    writeAll(b, encode(NOTAG, { type: MsgType.Rversion, msize: 8192, version: 'unknown' }));
    assert.equal(errnoOf(() => P9Client.connect(a)), Errno.EPROTONOSUPPORT);
    writeAll(b, encode(NOTAG, { type: MsgType.Rversion, msize: 1 << 21, version: '9P2000.L' }));
    assert.equal(errnoOf(() => P9Client.connect(a, 1 << 20)), Errno.EPROTO);
    closeFd(a);
    closeFd(b);
  });
});
