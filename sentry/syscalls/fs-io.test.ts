import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { O } from '../abi/linux/fs';
import type { SyscallName } from '../abi/linux/syscalls';
import type { Task } from '../kernel/task';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';

/** Below FakeMemory's base: every access to it is EFAULT. */
const UNMAPPED = 8;

describe('writes to /dev/null and /dev/zero', () => {
  let t: Task;
  let mem: FakeMemory;
  const call = (name: SyscallName, ...v: (number | bigint)[]): number => callRow(fsRows, t, name, ...v);
  const open = (path: string, flags: number): number => call('open', mem.str(path), flags | O.CREAT, 0o644);

  beforeEach(() => {
    ({ task: t, mem } = makeTask((k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } })));
  });

  it('take the whole count without reading the buffer, as Linux write_null (a bad pointer is not EFAULT)', () => {
    for (const dev of ['/dev/null', '/dev/zero']) {
      const fd = open(dev, O.WRONLY);
      assert.equal(call('write', fd, UNMAPPED, 1 << 30), 1 << 30, dev);
      assert.equal(call('pwrite64', fd, UNMAPPED, 100, 5), 100, dev);
      const iov = Buffer.alloc(32);
      iov.writeBigUInt64LE(BigInt(UNMAPPED), 0);
      iov.writeBigUInt64LE(10n, 8);
      iov.writeBigUInt64LE(BigInt(UNMAPPED + 16), 16);
      iov.writeBigUInt64LE(20n, 24);
      assert.equal(call('writev', fd, mem.alloc(32, iov), 2), 30, dev);
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
