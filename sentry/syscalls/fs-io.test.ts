import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { O } from '../abi/linux/fs';
import type { SyscallName } from '../abi/linux/syscalls';
import type { Task } from '../kernel/task';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { Block } from '../kernel/wait';
import { fsRows } from './fs';
import { pipeRows } from './pipe';

/** Below FakeMemory's base: every access to it is EFAULT. */
const UNMAPPED = 8;

/** struct iovec[] of (address, length) pairs. */
function iovecs(...v: [number, number][]): Buffer {
  const b = Buffer.alloc(16 * v.length);
  v.forEach(([base, len], i) => {
    b.writeBigUInt64LE(BigInt(base), 16 * i);
    b.writeBigUInt64LE(BigInt(len), 16 * i + 8);
  });
  return b;
}

function setup(): { t: Task; mem: FakeMemory } {
  const { task, mem } = makeTask((k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  return { t: task, mem };
}

describe('writes to /dev/null and /dev/zero', () => {
  let t: Task;
  let mem: FakeMemory;
  const call = (name: SyscallName, ...v: (number | bigint)[]): number => callRow(fsRows, t, name, ...v);
  const open = (path: string, flags: number): number => call('open', mem.str(path), flags | O.CREAT, 0o644);

  beforeEach(() => ({ t, mem } = setup()));

  it('take the whole count without reading the buffer, as Linux write_null (a bad pointer is not EFAULT)', () => {
    for (const dev of ['/dev/null', '/dev/zero']) {
      const fd = open(dev, O.WRONLY);
      assert.equal(call('write', fd, UNMAPPED, 1 << 30), 1 << 30, dev);
      assert.equal(call('pwrite64', fd, UNMAPPED, 100, 5), 100, dev);
      assert.equal(call('writev', fd, mem.alloc(32, iovecs([UNMAPPED, 10], [UNMAPPED + 16, 20])), 2), 30, dev);
      // A count above MAX_RW_COUNT is cut to it, as for any write.
      assert.equal(call('write', fd, UNMAPPED, 2 ** 40), 0x7ffff000, dev);
    }
  });

  it('still check the description and the iovec array', () => {
    const ro = open('/dev/null', O.RDONLY);
    assert.equal(errnoOf(() => call('write', ro, UNMAPPED, 1)), Errno.EBADF);
    const fd = open('/dev/null', O.WRONLY);
    assert.equal(errnoOf(() => call('writev', fd, UNMAPPED, 1)), Errno.EFAULT);
    assert.equal(errnoOf(() => call('pwrite64', fd, UNMAPPED, 1, -1)), Errno.EINVAL);
  });

  it('other files still read the buffer: EFAULT on a regular file, ENOSPC on /dev/full', () => {
    assert.equal(errnoOf(() => call('write', open('/tmp-file', O.WRONLY), UNMAPPED, 1)), Errno.EFAULT);
    assert.equal(errnoOf(() => call('write', open('/dev/full', O.WRONLY), mem.alloc(1), 1)), Errno.ENOSPC);
  });
});

describe('readv and writev take the iovec array as one transfer', () => {
  let t: Task;
  let mem: FakeMemory;
  const call = (name: SyscallName, ...v: (number | bigint)[]): number => callRow({ ...fsRows, ...pipeRows }, t, name, ...v);

  beforeEach(() => ({ t, mem } = setup()));

  function pipe(flags: number): [number, number] {
    const fds = mem.alloc(8);
    call('pipe2', fds, flags);
    const b = mem.read(fds, 8);
    return [b.readInt32LE(0), b.readInt32LE(4)];
  }

  it('a pipe readv returns what is queued instead of waiting to fill the next iovec (blocking or not)', () => {
    for (const flags of [O.NONBLOCK, 0]) {
      const [r, w] = pipe(flags);
      call('write', w, mem.alloc(5, Buffer.from('hello')), 5);
      const a = mem.alloc(5);
      const iov = mem.alloc(32, iovecs([a, 5], [mem.alloc(5), 5]));
      assert.equal(call('readv', r, iov, 2), 5);
      assert.equal(mem.read(a, 5).toString(), 'hello');
      if (flags) assert.equal(errnoOf(() => call('readv', r, iov, 2)), Errno.EAGAIN);
      else assert.throws(() => call('readv', r, iov, 2), Block);
    }
  });

  it('a writev of less than PIPE_BUF to a pipe without room for all of it writes nothing (EAGAIN)', () => {
    const [r, w] = pipe(O.NONBLOCK);
    const fill = 65536 - 6;
    assert.equal(call('write', w, mem.alloc(fill), fill), fill);
    const iov = mem.alloc(32, iovecs([mem.alloc(5, Buffer.from('abcde')), 5], [mem.alloc(5, Buffer.from('fghij')), 5]));
    assert.equal(errnoOf(() => call('writev', w, iov, 2)), Errno.EAGAIN);
    assert.equal(call('read', r, mem.alloc(65536), 65536), fill);
  });

  it('a regular file is written and read in iovec order across 1 MiB chunks; readv is short at end of file', () => {
    const lens = [1, 4095, 600_000, 3, 500_007, 0, 9]; // past one 1 MiB chunk, three copies within FakeMemory
    const total = lens.reduce((n, l) => n + l, 0);
    const src = Buffer.alloc(total);
    for (let i = 0; i < total; i++) src[i] = (i * 7 + (i >> 12)) & 0xff;
    const from = mem.alloc(total, src);
    const to = mem.alloc(total);
    const spans = (base: number): [number, number][] => lens.map((l, i) => [base + lens.slice(0, i).reduce((n, x) => n + x, 0), l]);
    const fd = call('open', mem.str('/data'), O.RDWR | O.CREAT, 0o644);
    assert.equal(call('writev', fd, mem.alloc(16 * lens.length, iovecs(...spans(from))), lens.length), total);
    assert.equal(call('preadv', fd, mem.alloc(16 * lens.length, iovecs(...spans(to))), lens.length, 0), total);
    assert.ok(mem.read(to, total).equals(src));
    call('lseek', fd, 4096, 0);
    const again = mem.alloc(total);
    assert.equal(call('readv', fd, mem.alloc(16 * lens.length, iovecs(...spans(again))), lens.length), total - 4096);
    assert.ok(mem.read(again, total - 4096).equals(src.subarray(4096)));
  });
});
