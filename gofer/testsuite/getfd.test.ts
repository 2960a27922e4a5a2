/**
 * Tgetfd against a real Gofer: which fids it donates, that a donated
 * descriptor reads exactly what node:fs reads, that GoferFs reads through
 * it (and stays coherent with its own 9P writes), and that no descriptor
 * leaks into the test process.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { Errno } from '../../sentry/abi/linux/errno';
import { O } from '../../sentry/abi/linux/fs';
import { LinuxError } from '../../sentry/errors/linuxerr';
import { GoferFs, GoferInode } from '../../sentry/fsimpl/gofer/fs';
import { MAX_HOST_FDS } from '../../sentry/fsimpl/gofer/hostfds';
import { closeFd, preadFd } from '../../sentry/platform/host/fdio';
import { assertErrno, BIG_SIZE, closeAndCheck, makeTree, open, pattern, removeTree, Session, Tree } from './harness';

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

/** Reads `size` bytes from host fd `fd` with preadFd in odd-sized pieces. */
function preadAllOf(fd: number, size: number): Buffer {
  const out = Buffer.alloc(size + 10);
  let done = 0;
  for (;;) {
    const n = preadFd(fd, out.subarray(done, done + 77777), done);
    if (n === 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

function inode(gfs: GoferFs, ...names: string[]): GoferInode {
  let n: GoferInode = gfs.root;
  for (const name of names) n = (n.lookup(name) as GoferInode | undefined) ?? assert.fail(`no ${name}`);
  return n;
}

function readWhole(n: GoferInode, size: number, chunk = 32768): Buffer {
  const out = Buffer.alloc(size + chunk);
  let done = 0;
  for (;;) {
    const got = n.read(out.subarray(done, done + chunk), done);
    if (got === 0) break;
    done += got;
  }
  return out.subarray(0, done);
}

describe('gofer: Tgetfd (donated descriptors)', () => {
  let t: Tree;
  let s: Session;
  let before: number;
  const disk = (...p: string[]): string => path.join(t.root, ...p);
  const openAt = (flags: number, ...names: string[]): number => {
    const fid = s.client.walk(s.rootFid, names).fid;
    s.client.lopen(fid, flags);
    return fid;
  };

  /** A GoferFs on the session; its donated descriptors are closed after the test. */
  let gfs: GoferFs | undefined;
  const goferFs = (): GoferFs => (gfs = new GoferFs(s.client, 1, false));

  beforeEach(() => {
    t = makeTree();
    before = openFds();
    s = open(t.root);
  });
  afterEach(async () => {
    gfs?.hostFds.clear();
    gfs = undefined;
    await closeAndCheck(s);
    removeTree(t);
    assert.equal(openFds(), before, 'descriptors leaked');
  });

  it('donates a descriptor whose pread returns exactly what node:fs reads', () => {
    for (const name of ['hello.txt', 'big.bin']) {
      const fd = s.client.getfd(openAt(O.RDONLY, name));
      try {
        assert.ok(preadAllOf(fd, BIG_SIZE).equals(fs.readFileSync(disk(name))), name);
        // The receiver's own descriptor, close-on-exec so no stub inherits it.
        assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), fs.realpathSync(disk(name)));
        const flags = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '';
        assert.equal(parseInt(flags, 8) & (O.CLOEXEC | O.ACCMODE), O.CLOEXEC | O.RDONLY);
      } finally {
        closeFd(fd);
      }
    }
  });

  it('keeps the descriptor usable after the fid is clunked', () => {
    const fid = openAt(O.RDONLY, 'hello.txt');
    const fd = s.client.getfd(fid);
    s.client.clunk(fid);
    const b = Buffer.alloc(64);
    assert.equal(b.subarray(0, preadFd(fd, b, 0)).toString(), 'hello world\n');
    closeFd(fd);
  });

  it('refuses directories and unopened fids (EINVAL), write opens (EACCES), unknown fids (EBADF)', () => {
    assertErrno(() => s.client.getfd(openAt(O.RDONLY | O.DIRECTORY, 'dir')), 'EINVAL');
    assertErrno(() => s.client.getfd(s.client.walk(s.rootFid, ['hello.txt']).fid), 'EINVAL');
    assertErrno(() => s.client.getfd(openAt(O.RDWR, 'hello.txt')), 'EACCES');
    assertErrno(() => s.client.getfd(openAt(O.WRONLY, 'dir', 'a')), 'EACCES');
    assertErrno(() => s.client.getfd(12345), 'EBADF');
    // The connection is still in step after the refusals.
    assert.equal(s.client.readlink(s.client.walk(s.rootFid, ['rel']).fid), 'hello.txt');
  });

  it('Tlopenfd opens a clone and attaches the descriptor Tgetfd would give, or none', () => {
    const r = s.client.lopenfd(s.rootFid, O.RDONLY);
    assert.equal(r.fd, undefined, 'a directory has none');
    assert.notEqual(r.fid, s.rootFid);
    assert.ok(s.client.readdir(r.fid, 0n, 4096).length > 0, 'the clone is open');
    const file = s.client.walk(s.rootFid, ['hello.txt']).fid;
    const f = s.client.lopenfd(file, O.RDONLY);
    const b = Buffer.alloc(64);
    assert.equal(b.subarray(0, preadFd(f.fd as number, b, 0)).toString(), 'hello world\n');
    closeFd(f.fd as number);
    assert.equal(s.client.lopenfd(file, O.RDWR).fd, undefined, 'opened for writing: none');
    const rel = s.client.walk(s.rootFid, ['rel']).fid;
    const next = s.client.walk(s.rootFid, []).fid;
    s.client.clunk(next);
    assertErrno(() => s.client.lopenfd(rel, O.RDONLY), 'ELOOP');
    assert.equal(s.client.walk(s.rootFid, []).fid, next, 'a failed open leaves no fid behind');
  });

  it('GoferFs reads a file through one donated descriptor, with no Tread', () => {
    const gfs = goferFs();
    const calls = { lopenfd: 0, getfd: 0, read: 0 };
    const { lopenfd, getfd, read } = s.client;
    s.client.lopenfd = (fid, flags) => {
      calls.lopenfd++;
      return lopenfd.call(s.client, fid, flags);
    };
    s.client.getfd = (fid) => {
      calls.getfd++;
      return getfd.call(s.client, fid);
    };
    s.client.read = (fid, off, n) => {
      calls.read++;
      return read.call(s.client, fid, off, n);
    };
    const big = inode(gfs, 'big.bin');
    assert.ok(readWhole(big, BIG_SIZE).equals(pattern(BIG_SIZE)));
    assert.ok(readWhole(big, BIG_SIZE, 3 << 20).equals(pattern(BIG_SIZE)));
    assert.deepEqual(calls, { lopenfd: 1, getfd: 0, read: 0 });
    assert.equal(gfs.hostFds.size, 1);
  });

  it('GoferFs reads see its own 9P writes and truncation (overlay=none)', () => {
    const gfs = goferFs();
    const f = inode(gfs, 'dir', 'a');
    const b = Buffer.alloc(32);
    assert.equal(b.subarray(0, f.read(b, 0)).toString(), 'aaaaaaaaaa');
    assert.equal(gfs.hostFds.size, 1);
    assert.equal(f.write(Buffer.from('XYZ'), 2), 3);
    assert.equal(f.write(Buffer.from('tail'), 10), 4);
    assert.equal(b.subarray(0, f.read(b, 0)).toString(), 'aaXYZaaaaatail');
    f.setattr({ size: 4 });
    assert.equal(b.subarray(0, f.read(b, 0)).toString(), 'aaXY');
    assert.equal(fs.readFileSync(disk('dir', 'a'), 'utf8'), 'aaXY');
  });

  it('GoferFs falls back to Tread with read-ahead when the Gofer does not donate', () => {
    const gfs = goferFs();
    // An older Gofer: no Tlopenfd, and Tgetfd refused.
    (s.client as { lopenfd?: unknown }).lopenfd = undefined;
    let asked = 0;
    s.client.getfd = () => {
      asked++;
      throw new LinuxError(Errno.EINVAL, 'older gofer');
    };
    const big = inode(gfs, 'big.bin');
    assert.ok(readWhole(big, BIG_SIZE, 4096).equals(pattern(BIG_SIZE)));
    assert.equal(asked, 1);
    assert.equal(gfs.hostFds.size, 0);
  });

  it(`keeps at most ${MAX_HOST_FDS} donated descriptors open, least recently used closed first`, () => {
    const names = Array.from({ length: MAX_HOST_FDS + 44 }, (_, i) => `f${i}`);
    for (const n of names) fs.writeFileSync(disk(n), n);
    const gfs = goferFs();
    const b = Buffer.alloc(16);
    const base = openFds();
    const files = names.map((n) => inode(gfs, n));
    files.forEach((f, i) => assert.equal(b.subarray(0, f.read(b, 0)).toString(), names[i]));
    assert.equal(gfs.hostFds.size, MAX_HOST_FDS);
    assert.equal(openFds() - base, MAX_HOST_FDS);
    // The first file's descriptor was closed; it asks again and still reads right.
    assert.equal(b.subarray(0, files[0].read(b, 0)).toString(), 'f0');
    assert.equal(openFds() - base, MAX_HOST_FDS);
  });
});
