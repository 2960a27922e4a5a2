import assert from 'node:assert/strict';
import { O, S_IFIFO } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { isLinuxError } from '../../errors/linuxerr';
import { Block } from '../../kernel/wait';
import { newPipe, PIPE_BUF, PIPE_DEFAULT_SIZE } from './pipe';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isLinuxError(e)) return e.code;
    if (e instanceof Block) return 'BLOCK';
    throw e;
  }
  return undefined;
}

describe('pipe ring', () => {
  it('moves bytes in order across the end of the ring', () => {
    const [r, w] = newPipe(0, 0, 0);
    assert.equal(r.pipe.resize(4096), 4096);
    const dst = Buffer.alloc(4096);
    for (let round = 0; round < 5; round++) {
      const data = Buffer.alloc(3000, 65 + round);
      assert.equal(w.write(data), 3000);
      assert.equal(r.read(dst), 3000);
      assert.deepEqual(dst.subarray(0, 3000), data);
    }
    assert.equal(w.write(Buffer.from('abc')), 3);
    assert.equal(r.read(dst.subarray(0, 2)), 2);
    assert.equal(dst.subarray(0, 2).toString(), 'ab');
    assert.equal(r.read(dst), 1);
  });

  it('writes up to PIPE_BUF are all or nothing; larger ones are partial', () => {
    const [r, w] = newPipe(0, 0, O.NONBLOCK);
    assert.equal(w.write(Buffer.alloc(PIPE_DEFAULT_SIZE - 100)), PIPE_DEFAULT_SIZE - 100);
    assert.equal(code(() => w.write(Buffer.alloc(200))), 'EAGAIN');
    assert.equal(w.write(Buffer.alloc(100)), 100);
    assert.equal(code(() => w.write(Buffer.alloc(PIPE_BUF + 1))), 'EAGAIN');
    r.read(Buffer.alloc(1000));
    assert.equal(w.write(Buffer.alloc(PIPE_BUF * 2)), 1000, 'large write takes what fits');
    assert.equal(w.write(Buffer.alloc(0)), 0);
  });

  it('blocking ends throw Block on the pipe queue and finish after a notify', () => {
    const [r, w] = newPipe(0, 0, 0);
    let block: Block | undefined;
    try {
      r.read(Buffer.alloc(8));
    } catch (e) {
      block = e as Block;
    }
    assert.ok(block instanceof Block);
    assert.equal(block.interrupt, 'restart');
    assert.deepEqual(block.queues, [r.waitQueue]);
    let woken = false;
    block.queues[0].add(() => (woken = true));
    w.write(Buffer.from('hi'));
    assert.ok(woken);
    const dst = Buffer.alloc(8);
    assert.equal(r.read(dst), 2);
    w.write(Buffer.alloc(PIPE_DEFAULT_SIZE - 10));
    assert.equal(code(() => w.write(Buffer.alloc(11))), 'BLOCK');
  });

  it('EOF without writers, EPIPE without readers, and the matching poll bits', () => {
    const [r, w] = newPipe(0, 0, 0);
    assert.equal(r.readiness(), 0);
    assert.equal(w.readiness(), POLL.OUT | POLL.WRNORM);
    w.write(Buffer.from('x'));
    assert.equal(r.readiness(), POLL.IN | POLL.RDNORM);
    w.decRef();
    assert.equal(r.readiness(), POLL.IN | POLL.RDNORM | POLL.HUP);
    assert.equal(r.read(Buffer.alloc(4)), 1);
    assert.equal(r.read(Buffer.alloc(4)), 0, 'EOF');
    const [r2, w2] = newPipe(0, 0, 0);
    r2.decRef();
    assert.equal(w2.readiness(), POLL.OUT | POLL.WRNORM | POLL.ERR);
    assert.equal(code(() => w2.write(Buffer.from('x'))), 'EPIPE');
  });

  it('is a FIFO without offsets, named pipe:[ino]', () => {
    const [r, w] = newPipe(1000, 1001, 0);
    const st = r.stat();
    assert.equal(st.mode, S_IFIFO | 0o600);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(r.path, `pipe:[${st.ino}]`);
    assert.equal(w.stat().ino, st.ino);
    assert.equal(code(() => r.seek()), 'ESPIPE');
    assert.equal(code(() => r.write(Buffer.from('x'))), 'EBADF');
    assert.equal(code(() => w.read(Buffer.alloc(1))), 'EBADF');
  });

  it('F_SETPIPE_SZ rounds up to pages and refuses to drop data', () => {
    const [r, w] = newPipe(0, 0, 0);
    assert.equal(r.pipe.resize(5000), 8192);
    w.write(Buffer.alloc(6000, 7));
    assert.equal(code(() => r.pipe.resize(4096)), 'EBUSY');
    assert.equal(code(() => r.pipe.resize(0)), 'EINVAL');
    assert.equal(code(() => r.pipe.resize(2 << 20)), 'EPERM');
    assert.equal(r.pipe.resize(65536), 65536);
    assert.equal(r.read(Buffer.alloc(10000)), 6000);
  });
});
