import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { O } from '../../abi/linux/fs';
import { errnoOf, makeTask } from '../../vfs/testkit';
import { Vfs } from '../../vfs/vfs';
import { OverlayFs } from '../overlay/overlay';
import { Tmpfs, TmpfsDir, TmpfsFile } from './tmpfs';

const GiB = 1024 ** 3;
const CHUNK = 64 * 1024;
const owner = { uid: 0, gid: 0 };

function file(): { fs: Tmpfs; f: TmpfsFile } {
  const fs = new Tmpfs(1);
  return { fs, f: new TmpfsFile(fs, 0o644, owner) };
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

  it('a small file grown by truncate reads zeros past its written bytes, within the same chunk', () => {
    const { f } = file();
    f.write(Buffer.alloc(2605, 7), 0);
    f.setattr({ size: 6737 });
    assert.deepEqual(readAt(f, 2600, 10), Buffer.from([7, 7, 7, 7, 7, 0, 0, 0, 0, 0]));
    assert.deepEqual(readAt(f, 6598, 4096), Buffer.alloc(139));
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

describe('tmpfs size (ENOSPC, statfs)', () => {
  const PAGE = 4096;

  it('a write past the size is short, then ENOSPC; unlinking gives the space back', () => {
    const fs = new Tmpfs(1, 0o1777, 32); // 128 KiB
    const a = fs.root.create('a', 0o644, owner) as TmpfsFile;
    assert.equal(a.write(Buffer.alloc(2 * CHUNK - PAGE, 1), 0), 2 * CHUNK - PAGE);
    assert.equal(fs.statfs().bfree, 1);
    const b = fs.root.create('b', 0o644, owner) as TmpfsFile;
    assert.equal(b.write(Buffer.alloc(10), 0), 10, 'a small file fits in the last page');
    assert.equal(errnoOf(() => b.write(Buffer.alloc(CHUNK), 10)), Errno.ENOSPC);
    assert.equal(b.size, 10, 'a failed write changes nothing');
    fs.root.unlink('a');
    assert.equal(fs.statfs().bfree, 31);
    assert.equal(b.write(Buffer.alloc(3 * CHUNK, 2), 10), 2 * CHUNK - 10, 'short: what fitted');
    assert.deepEqual(readAt(b, 2 * CHUNK - 2, 4), Buffer.from([2, 2]));
  });

  it('an unlinked file still open counts (growth included, ENOSPC too) until its last description closes', () => {
    const { task } = makeTask(() => new Vfs());
    const fs = new Tmpfs(1, 0o1777, 32);
    const f = fs.root.create('f', 0o644, owner) as TmpfsFile;
    const d = f.open(task, O.RDWR, '/f');
    d.incRef(); // a dup
    f.write(Buffer.alloc(CHUNK), 0);
    fs.root.unlink('f');
    assert.equal(fs.statfs().bfree, 16, 'still open');
    f.write(Buffer.alloc(CHUNK), CHUNK);
    assert.equal(fs.statfs().bfree, 0);
    assert.equal(errnoOf(() => f.write(Buffer.alloc(1), 2 * CHUNK)), Errno.ENOSPC);
    fs.root.link('back', f);
    fs.root.unlink('back');
    assert.equal(fs.bytesInMemory, 2 * CHUNK, 'a link made and removed while open changes nothing');
    d.decRef();
    assert.equal(fs.statfs().bfree, 0, 'one description is left');
    d.decRef();
    assert.equal(fs.statfs().bfree, 32, 'the last close frees it');
  });

  it('a hard-linked file counts once; an overlay description of an upper file keeps it counted once unlinked', () => {
    const { task } = makeTask(() => new Vfs());
    const fs = new Tmpfs(1, 0o1777, 32);
    const f = fs.root.create('f', 0o644, owner) as TmpfsFile;
    f.write(Buffer.alloc(CHUNK), 0);
    fs.root.link('g', f);
    assert.equal(fs.bytesInMemory, CHUNK);
    const upper = new Tmpfs(2, 0o755, 32);
    const overlay = new OverlayFs(3, upper, new Tmpfs(4).root);
    const o = overlay.root.create('x', 0o644, owner);
    const d = o.open(task, O.WRONLY, '/x');
    d.write(Buffer.alloc(CHUNK));
    overlay.root.unlink('x');
    assert.equal(upper.bytesInMemory, CHUNK);
    d.decRef();
    assert.equal(upper.bytesInMemory, 0);
  });

  it('an unlinked file stops counting (growth included) until it is linked again', () => {
    const fs = new Tmpfs(1, 0o1777, 32);
    const f = fs.root.create('f', 0o644, owner) as TmpfsFile;
    f.write(Buffer.alloc(CHUNK), 0);
    assert.equal(fs.statfs().bfree, 16);
    fs.root.unlink('f');
    f.write(Buffer.alloc(CHUNK), CHUNK);
    assert.equal(fs.statfs().bfree, 32);
    fs.root.link('again', f);
    assert.equal(fs.statfs().bfree, 0);
    f.setattr({ size: CHUNK });
    assert.equal(fs.statfs().bfree, 16);
  });
});

describe('tmpfs inodes (nr_inodes)', () => {
  const used = (fs: Tmpfs): number => fs.statfs().files - fs.statfs().ffree;

  it('the root, every node and every extra hard link take one; ENOSPC past nr_inodes changes nothing', () => {
    const fs = new Tmpfs(1, 0o1777, 32, 5);
    assert.equal(used(fs), 1, 'the root');
    const f = fs.root.create('f', 0o644, owner) as TmpfsFile;
    const d = fs.root.mkdir('d', 0o755, owner);
    fs.root.symlink('s', 'f', owner);
    assert.equal(used(fs), 4);
    fs.root.link('f2', f);
    assert.equal(used(fs), 5, 'a second name takes an inode, as Linux shmem_link');
    assert.equal(errnoOf(() => fs.root.link('f3', f)), Errno.ENOSPC);
    assert.equal(f.stat().nlink, 2, 'the failed link left the count');
    assert.equal(fs.root.lookup('f3'), undefined);
    assert.equal(errnoOf(() => fs.root.create('g', 0o644, owner)), Errno.ENOSPC);
    assert.equal(errnoOf(() => d.mkdir('sub', 0o755, owner)), Errno.ENOSPC);
    assert.equal(errnoOf(() => fs.root.mknod('n', 0o10644, owner)), Errno.ENOSPC);
    assert.equal(used(fs), 5);
    assert.deepEqual(fs.root.readdir().map((e) => e.name).sort(), ['d', 'f', 'f2', 's']);
    fs.root.unlink('f2');
    fs.root.create('g', 0o644, owner);
    assert.equal(errnoOf(() => fs.root.create('f', 0o644, owner)), Errno.EEXIST, 'a taken name fails before any inode is taken');
    assert.equal(used(fs), 5);
  });

  it('an unlinked file keeps its inode until its last close; rmdir and rename over a name give theirs back', () => {
    const { task } = makeTask(() => new Vfs());
    const fs = new Tmpfs(1, 0o1777, 32, 10);
    const f = fs.root.create('f', 0o644, owner) as TmpfsFile;
    const desc = f.open(task, O.RDONLY, '/f');
    fs.root.unlink('f');
    assert.equal(used(fs), 2, 'still open');
    fs.root.link('back', f);
    assert.equal(used(fs), 2, 'linking an open unlinked file takes no second inode (O_TMPFILE rule)');
    fs.root.unlink('back');
    desc.decRef();
    assert.equal(used(fs), 1);
    fs.root.mkdir('d', 0o755, owner).mkdir('e', 0o755, owner);
    assert.equal(used(fs), 3);
    (fs.root.lookup('d') as TmpfsDir).rmdir('e');
    fs.root.rmdir('d');
    assert.equal(used(fs), 1);
    fs.root.create('a', 0o644, owner);
    fs.root.create('b', 0o644, owner);
    fs.root.rename('a', fs.root, 'b');
    assert.equal(used(fs), 2);
    assert.equal(fs.inodesInUse, 2);
  });
});
