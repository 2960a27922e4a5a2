import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O, S_IFMT, S_IFREG } from '../../abi/linux/fs';
import { Errno } from '../../abi/linux/errno';
import { LinuxError } from '../../errors/linuxerr';
import { FakeMemory } from '../../vfs/testkit';
import { HostFile } from './hostfile';

describe('host fd files', () => {
  it('reads, writes, seeks and fstats a host fd; ENOTTY for tty ioctls on a non-tty', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'hostfd-')), 'f');
    const fd = openSync(path, 'w+');
    const f = new HostFile(fd, O.RDWR);
    assert.equal(f.write(Buffer.from('hello')), 5);
    assert.equal(f.pwrite(Buffer.from('J'), 0), 1);
    assert.equal(f.seek(1, 0), 1);
    const b = Buffer.alloc(8);
    assert.equal(f.read(b), 4);
    assert.equal(b.subarray(0, 4).toString(), 'ello');
    const st = f.stat();
    assert.equal(st.mode & S_IFMT, S_IFREG);
    assert.equal(st.ino, statSync(path).ino);
    assert.equal(st.size, 5);
    assert.equal(f.path, `host:[${fd}]`);
    const mem = new FakeMemory();
    assert.throws(() => f.ioctl(mem, 0x5401, mem.alloc(64)), (e: unknown) => e instanceof LinuxError && e.errno === Errno.ENOTTY);
    const ro = new HostFile(fd, O.RDONLY);
    assert.throws(() => ro.write(Buffer.from('x')), (e: unknown) => e instanceof LinuxError && e.errno === Errno.EBADF);
    closeSync(fd);
    assert.equal(readFileSync(path, 'utf8'), 'Jello');
    assert.throws(() => f.stat(), (e: unknown) => e instanceof LinuxError && e.errno === Errno.EBADF);
  });
});
