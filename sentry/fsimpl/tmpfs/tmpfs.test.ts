import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { errnoOf } from '../../vfs/testkit';
import { Tmpfs, TmpfsFile } from './tmpfs';

const GiB = 1024 ** 3;
const CHUNK = 64 * 1024;

function file(): { fs: Tmpfs; f: TmpfsFile } {
  const fs = new Tmpfs(1);
  return { fs, f: new TmpfsFile(fs, 0o644, { uid: 0, gid: 0 }) };
}

function readAt(f: TmpfsFile, offset: number, n: number): Buffer {
  const b = Buffer.alloc(n, 0xee);
  return b.subarray(0, f.read(b, offset));
}

describe('tmpfs regular files', () => {
  it('are sparse: data written far out takes its own pages only, holes read as zeros', () => {
    const { f } = file();
    assert.equal(f.write(Buffer.from('hello'), 5 * GiB), 5);
    assert.equal(f.size, 5 * GiB + 5);
    assert.equal(readAt(f, 5 * GiB - 2, 10).toString('latin1'), '\0\0hello');
    assert.deepEqual(readAt(f, 0, 8), Buffer.alloc(8));
    assert.equal(f.allocatedPages, 1);
    assert.equal(f.stat().blocks, 8);
    assert.ok(f.heldBytes <= CHUNK, `${f.heldBytes} bytes held`);
  });

  it('truncate grows without memory and shrinking then growing again reads zeros', () => {
    const { f } = file();
    f.setattr({ size: 100 * GiB });
    assert.equal(f.size, 100 * GiB);
    assert.equal(f.heldBytes, 0);
    assert.deepEqual(readAt(f, 50 * GiB, 4), Buffer.alloc(4));
    f.setattr({ size: 0 });
    f.write(Buffer.alloc(3 * CHUNK, 1), 0);
    assert.equal(f.allocatedPages, 48);
    f.setattr({ size: CHUNK + 10 });
    assert.equal(f.allocatedPages, 17);
    f.setattr({ size: 3 * CHUNK });
    assert.deepEqual(readAt(f, CHUNK + 8, 4), Buffer.from([1, 1, 0, 0]));
    assert.deepEqual(readAt(f, 2 * CHUNK, 4), Buffer.alloc(4));
    assert.equal(readAt(f, 3 * CHUNK - 2, 10).length, 2);
  });

  it('writes across chunk boundaries read back whole; a small file holds about its size', () => {
    const { fs, f } = file();
    const data = Buffer.from(Array.from({ length: 3 * CHUNK + 100 }, (_, i) => (i * 7) & 0xff));
    f.write(data, CHUNK - 50);
    assert.deepEqual(readAt(f, CHUNK - 50, data.length), data);
    const small = new TmpfsFile(fs, 0o644, { uid: 0, gid: 0 });
    small.write(Buffer.from('12345'), 0);
    assert.equal(small.heldBytes, 5);
    assert.equal(small.allocatedPages, 1);
  });

  it('EFBIG past 2^53 bytes, EINVAL for a negative size', () => {
    const { f } = file();
    assert.equal(errnoOf(() => f.write(Buffer.from('x'), Number.MAX_SAFE_INTEGER)), Errno.EFBIG);
    assert.equal(errnoOf(() => f.setattr({ size: -1 })), Errno.EINVAL);
  });
});
