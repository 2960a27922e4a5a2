/**
 * Every GoferClient method through P9Client against a real Gofer process,
 * checked against what node:fs reports for the same tree.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { AT, O, S_IFCHR, S_IFIFO, S_IFMT } from '../../sentry/abi/linux/fs';
import { QT } from '../p9/types';
import {
  assertErrno,
  BIG_SIZE,
  closeAndCheck,
  makeTree,
  open,
  pattern,
  removeTree,
  Session,
  Tree,
} from './harness';

const NS = 1_000_000_000n;

describe('gofer: P9Client against a real Gofer', function () {
  let t: Tree;
  let s: Session;
  const disk = (...p: string[]): string => path.join(t.root, ...p);
  /** Walks from the root fid; the caller's fid is clunked by the session teardown. */
  const walk = (...names: string[]): number => s.client.walk(s.rootFid, names).fid;
  const openAt = (flags: number, ...names: string[]): number => {
    const fid = walk(...names);
    s.client.lopen(fid, flags);
    return fid;
  };

  before(() => {
    t = makeTree();
  });
  after(() => removeTree(t));
  beforeEach(() => {
    s = open(t.root);
  });
  afterEach(async () => {
    await closeAndCheck(s);
  });

  describe('attach and getattr', () => {
    it('negotiates a 1 MiB+ msize', () => {
      assert.equal(s.client.msize, (1 << 20) + 24);
    });

    it('reports the root exactly as lstat does', () => {
      const a = s.client.getattr(s.rootFid);
      const st = fs.lstatSync(t.root, { bigint: true });
      assert.deepEqual(a.qid, { type: QT.DIR, version: 0, path: st.ino });
      assert.equal(a.mode, Number(st.mode));
      assert.equal(a.nlink, Number(st.nlink));
      assert.equal(a.uid, Number(st.uid));
      assert.equal(a.gid, Number(st.gid));
      assert.equal(a.size, Number(st.size));
      assert.equal(a.mtimeSec, Number(st.mtimeNs / NS));
      assert.equal(a.mtimeNsec, Number(st.mtimeNs % NS));
      assert.equal(a.ctimeNsec, Number(st.ctimeNs % NS));
    });

    it('reports files, symlinks and fifos without following links', () => {
      for (const name of ['hello.txt', 'big.bin', 'rel', 'abs', 'out', 'fifo', 'dir']) {
        const a = s.client.getattr(walk(name));
        const st = fs.lstatSync(disk(name), { bigint: true });
        assert.equal(a.mode, Number(st.mode), name);
        assert.equal(a.size, Number(st.size), name);
        assert.equal(a.blocks, Number(st.blocks), name);
        assert.equal(a.blksize, Number(st.blksize), name);
        assert.equal(a.qid.path, st.ino, name);
        assert.equal(a.atimeNsec, Number(st.atimeNs % NS), name);
      }
      assert.equal(s.client.getattr(walk('big.bin')).size, BIG_SIZE);
    });

    it('attaches below the root by aname', () => {
      const fid = s.client.attach('/dir/sub');
      assert.equal(s.client.getattr(fid).qid.path, fs.lstatSync(disk('dir', 'sub'), { bigint: true }).ino);
      assertErrno(() => s.client.attach('/nope'), 'ENOENT');
      assertErrno(() => s.client.attach('/hello.txt'), 'ENOTDIR');
    });
  });

  describe('walk', () => {
    it('returns one qid per name with lstat types and inodes', () => {
      const r = s.client.walk(s.rootFid, ['dir', 'sub', 'deep.txt']);
      const ino = (...p: string[]): bigint => fs.lstatSync(disk(...p), { bigint: true }).ino;
      assert.deepEqual(r.qids, [
        { type: QT.DIR, version: 0, path: ino('dir') },
        { type: QT.DIR, version: 0, path: ino('dir', 'sub') },
        { type: QT.FILE, version: 0, path: ino('dir', 'sub', 'deep.txt') },
      ]);
      assert.deepEqual(s.client.walk(s.rootFid, ['rel']).qids[0].type, QT.SYMLINK);
    });

    it('clones with no names', () => {
      const r = s.client.walk(s.rootFid, []);
      assert.notEqual(r.fid, s.rootFid);
      assert.deepEqual(r.qids, []);
      assert.deepEqual(s.client.getattr(r.fid).qid, s.client.getattr(s.rootFid).qid);
    });

    it('walks more than 16 names (split into several Twalks)', () => {
      const names = [...Array<string>(20).fill('n'), 'leaf'];
      const r = s.client.walk(s.rootFid, names);
      assert.equal(r.qids.length, 21);
      assert.equal(r.qids[20].path, fs.lstatSync(disk(...names), { bigint: true }).ino);
      assert.equal(s.client.read((s.client.lopen(r.fid, O.RDONLY), r.fid), 0, 100).toString(), 'leaf');
    });

    it('resolves . and .. lexically', () => {
      const r = s.client.walk(s.rootFid, ['dir', 'sub', '..', '.', 'a']);
      assert.equal(r.qids[4].path, fs.lstatSync(disk('dir', 'a'), { bigint: true }).ino);
    });

    it('maps failures to ENOENT/ENOTDIR/EINVAL, including partial walks', () => {
      assertErrno(() => walk('missing'), 'ENOENT');
      assertErrno(() => walk('dir', 'missing'), 'ENOENT');
      assertErrno(() => walk('hello.txt', 'x'), 'ENOTDIR');
      assertErrno(() => walk('dir', 'a', 'x'), 'ENOTDIR');
      assertErrno(() => walk('dir/sub'), 'EINVAL');
      assertErrno(() => walk('x'.repeat(256)), 'ENAMETOOLONG');
      // Long partial walk failing in the second Twalk: the half-walked fid is clunked, not leaked.
      assertErrno(() => walk(...Array<string>(20).fill('n'), 'leaf', 'x'), 'ENOTDIR');
    });

    it('walks and stats in one Twalkgetattr: the attributes getattr gives, errors as for walk, no fid left on failure', () => {
      const r = s.client.walkGetattr(s.rootFid, 'hello.txt');
      assert.deepEqual(r.attr, s.client.getattr(r.fid));
      assert.equal(r.attr.qid.path, fs.lstatSync(disk('hello.txt'), { bigint: true }).ino);
      const dir = s.client.walkGetattr(s.rootFid, 'dir');
      assert.equal(s.client.walkGetattr(dir.fid, 'a').attr.size, fs.lstatSync(disk('dir', 'a')).size);
      assert.equal(s.client.walkGetattr(s.rootFid, 'rel').attr.qid.type, QT.SYMLINK);
      const next = walk('hello.txt');
      s.client.clunk(next);
      assertErrno(() => s.client.walkGetattr(s.rootFid, 'missing'), 'ENOENT');
      assertErrno(() => s.client.walkGetattr(next, 'x'), 'EBADF');
      assertErrno(() => s.client.walkGetattr(r.fid, 'x'), 'ENOTDIR');
      assert.equal(walk('hello.txt'), next, 'failed walks leave no fid behind');
    });

    it('reuses fids freed by clunk and by failed walks', () => {
      const a = walk('hello.txt');
      s.client.clunk(a);
      assertErrno(() => walk('missing'), 'ENOENT');
      assert.equal(walk('hello.txt'), a);
      assertErrno(() => s.client.clunk(4242), 'EBADF');
      assertErrno(() => s.client.getattr(4243), 'EBADF');
    });
  });

  describe('lopen and read', () => {
    it('reads small files byte-identically', () => {
      const fid = openAt(O.RDONLY, 'hello.txt');
      assert.equal(s.client.read(fid, 0, 4096).toString(), 'hello world\n');
      assert.equal(s.client.read(fid, 6, 5).toString(), 'world');
      assert.equal(s.client.read(fid, 12, 10).length, 0);
      assert.equal(s.client.read(fid, 1000, 10).length, 0);
    });

    it('reads a 3 MiB file in one call and at unaligned offsets', () => {
      const fid = openAt(O.RDONLY, 'big.bin');
      const want = fs.readFileSync(disk('big.bin'));
      assert.ok(s.client.read(fid, 0, BIG_SIZE + 10).equals(want));
      assert.ok(s.client.read(fid, 1_000_001, 2_000_000).equals(want.subarray(1_000_001, 3_000_001)));
    });

    it('rejects reads of unopened fids, directories, and opens of symlinks/fifos', () => {
      assertErrno(() => s.client.read(walk('hello.txt'), 0, 10), 'EBADF');
      assertErrno(() => s.client.read(openAt(O.RDONLY | O.DIRECTORY, 'dir'), 0, 10), 'EISDIR');
      assertErrno(() => openAt(O.RDONLY, 'rel'), 'ELOOP');
      assertErrno(() => openAt(O.RDONLY, 'fifo'), 'ENXIO');
      assertErrno(() => openAt(O.RDWR, 'dir'), 'EISDIR');
      assertErrno(() => openAt(O.RDONLY | O.DIRECTORY, 'hello.txt'), 'ENOTDIR');
      const fid = openAt(O.RDONLY, 'hello.txt');
      assertErrno(() => s.client.lopen(fid, O.RDONLY), 'EBADF');
    });

    it('returns the open qid and an iounit of msize minus the I/O header', () => {
      const fid = walk('hello.txt');
      const r = s.client.lopen(fid, O.RDONLY);
      assert.equal(r.qid.path, fs.lstatSync(disk('hello.txt'), { bigint: true }).ino);
      assert.equal(r.iounit, 1 << 20);
    });
  });

  describe('readdir', () => {
    const names = (dir: number, count: number): string[] => {
      const out: string[] = [];
      for (let off = 0n; ; ) {
        const ents = s.client.readdir(dir, off, count);
        if (ents.length === 0) return out;
        out.push(...ents.map((e) => e.name));
        off = ents[ents.length - 1].offset;
      }
    };

    it('lists exactly what readdir(3) lists, without . and ..', () => {
      const dir = openAt(O.RDONLY | O.DIRECTORY);
      assert.deepEqual(names(dir, 65536).sort(), fs.readdirSync(t.root).sort());
      assert.deepEqual(names(openAt(O.RDONLY | O.DIRECTORY, 'empty'), 4096), []);
    });

    it('pages with offsets, each entry once, even one entry per call', () => {
      const dir = openAt(O.RDONLY | O.DIRECTORY);
      const want = fs.readdirSync(t.root).sort();
      assert.deepEqual(names(dir, 40).sort(), want);
      assert.deepEqual(names(dir, 100).sort(), want);
      assertErrno(() => s.client.readdir(dir, 0n, 10), 'EINVAL');
    });

    it('gives inode qids and DT_ types matching lstat', () => {
      const ents = s.client.readdir(openAt(O.RDONLY | O.DIRECTORY), 0n, 65536);
      for (const e of ents) {
        const st = fs.lstatSync(disk(e.name), { bigint: true });
        assert.equal(e.qid.path, st.ino, e.name);
        assert.equal(e.type, Number((st.mode & BigInt(S_IFMT)) >> 12n), e.name);
        assert.equal(e.qid.type, st.isDirectory() ? QT.DIR : st.isSymbolicLink() ? QT.SYMLINK : QT.FILE, e.name);
      }
    });

    it('fails on unopened fids', () => {
      assertErrno(() => s.client.readdir(walk('dir'), 0n, 4096), 'EBADF');
    });

    it('readdirAll lists a walked directory whole, as Treaddir does, and keeps no descriptor open', () => {
      const fds = (): number => fs.readdirSync(`/proc/${s.pid}/fd`).length;
      const n = fds();
      const all = s.client.readdirAll(walk());
      assert.deepEqual(all.map((e) => e.name).sort(), fs.readdirSync(t.root).sort());
      assert.deepEqual(s.client.readdirAll(walk('empty')), []);
      assert.equal(fds(), n, 'the Gofer closed the directories it listed');
      assert.deepEqual(all, s.client.readdir(openAt(O.RDONLY | O.DIRECTORY), 0n, 65536), 'same qids, cookies and types');
    });

    it('readdirAll refuses files and symlinks (ENOTDIR: never followed), and a listing larger than one reply (E2BIG)', async () => {
      assertErrno(() => s.client.readdirAll(walk('hello.txt')), 'ENOTDIR');
      assertErrno(() => s.client.readdirAll(walk('dirlink')), 'ENOTDIR');
      const many = disk('many');
      fs.mkdirSync(many);
      try {
        for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(many, `entry-with-a-longish-name-${i}`), '');
        await closeAndCheck(s);
        s = open(t.root, false, 8192);
        assertErrno(() => s.client.readdirAll(walk('many')), 'E2BIG');
        assert.deepEqual(s.client.readdirAll(walk('dir')).map((e) => e.name).sort(), ['a', 'b', 'c', 'sub']);
      } finally {
        fs.rmSync(many, { recursive: true });
      }
    });
  });

  describe('readlink', () => {
    it('returns targets verbatim, inside or outside the root', () => {
      for (const name of ['rel', 'abs', 'out', 'dirlink']) {
        assert.equal(s.client.readlink(walk(name)), fs.readlinkSync(disk(name)), name);
      }
      assertErrno(() => s.client.readlink(walk('hello.txt')), 'EINVAL');
    });
  });

  describe('creating and writing', () => {
    it('lcreate makes a file with the exact mode and gid, open for writing', () => {
      const dir = walk();
      const r = s.client.lcreate(dir, 'new.txt', O.RDWR, 0o640, 1234);
      assert.equal(r.qid.type, QT.FILE);
      assert.equal(s.client.write(dir, 0, Buffer.from('written')), 7);
      assert.equal(s.client.read(dir, 0, 100).toString(), 'written');
      const st = fs.lstatSync(disk('new.txt'));
      assert.equal(st.mode & 0o7777, 0o640);
      assert.equal(st.gid, 1234);
      assert.equal(fs.readFileSync(disk('new.txt'), 'utf8'), 'written');
      assert.equal(BigInt(st.ino), r.qid.path);
    });

    it('lcreate fails with EEXIST under O_EXCL, EINVAL on bad names, ENOTDIR on files', () => {
      assertErrno(() => s.client.lcreate(walk(), 'hello.txt', O.RDWR | O.EXCL, 0o644, 0), 'EEXIST');
      assertErrno(() => s.client.lcreate(walk(), 'a/b', O.RDWR, 0o644, 0), 'EINVAL');
      assertErrno(() => s.client.lcreate(walk(), '..', O.RDWR, 0o644, 0), 'EINVAL');
      assertErrno(() => s.client.lcreate(walk('hello.txt'), 'x', O.RDWR, 0o644, 0), 'ENOTDIR');
    });

    it('writes at offsets and in msize pieces, visible on disk', () => {
      fs.writeFileSync(disk('w.bin'), '0123456789');
      const fid = openAt(O.WRONLY, 'w.bin');
      assert.equal(s.client.write(fid, 3, Buffer.from('abc')), 3);
      assert.equal(fs.readFileSync(disk('w.bin'), 'utf8'), '012abc6789');
      const big = pattern(2_500_000, 7);
      assert.equal(s.client.write(fid, 0, big), big.length);
      assert.ok(fs.readFileSync(disk('w.bin')).equals(big));
      assertErrno(() => s.client.write(openAt(O.RDONLY, 'w.bin'), 0, Buffer.from('x')), 'EBADF');
    });

    it('lopen with O_TRUNC truncates', () => {
      fs.writeFileSync(disk('trunc.txt'), 'data');
      openAt(O.WRONLY | O.TRUNC, 'trunc.txt');
      assert.equal(fs.statSync(disk('trunc.txt')).size, 0);
    });

    it('mkdir, symlink, mknod create what lstat then shows', () => {
      const q = s.client.mkdir(walk(), 'newdir', 0o750, 0);
      assert.equal(q.type, QT.DIR);
      assert.equal(fs.lstatSync(disk('newdir')).mode, 0o40750);
      assertErrno(() => s.client.mkdir(walk(), 'newdir', 0o750, 0), 'EEXIST');
      const l = s.client.symlink(walk('newdir'), 'ln', '../../escape', 0);
      assert.equal(l.type, QT.SYMLINK);
      assert.equal(fs.readlinkSync(disk('newdir', 'ln')), '../../escape');
      assert.equal(fs.lstatSync(disk('newdir', 'ln')).ino, Number(l.path));
      s.client.mknod(walk('newdir'), 'pipe', S_IFIFO | 0o600, 0, 0, 0);
      assert.ok(fs.lstatSync(disk('newdir', 'pipe')).isFIFO());
      assert.equal(fs.lstatSync(disk('newdir', 'pipe')).mode & 0o7777, 0o600);
      assertErrno(() => s.client.mknod(walk('newdir'), 'null', S_IFCHR | 0o666, 1, 3, 0), 'EPERM');
      assert.equal(fs.existsSync(disk('newdir', 'null')), false);
    });

    it('link adds a name for the same inode', () => {
      fs.writeFileSync(disk('orig'), 'x');
      s.client.link(walk('dir'), walk('orig'), 'hard');
      assert.equal(fs.statSync(disk('dir', 'hard')).ino, fs.statSync(disk('orig')).ino);
      assert.equal(fs.statSync(disk('orig')).nlink, 2);
      assertErrno(() => s.client.link(walk('dir'), walk('orig'), 'hard'), 'EEXIST');
    });
  });

  describe('setattr', () => {
    it('sets mode, owner and size', () => {
      fs.writeFileSync(disk('attr.txt'), '0123456789');
      const fid = walk('attr.txt');
      s.client.setattr(fid, { mode: 0o604, uid: 42, gid: 43, size: 4 });
      const st = fs.lstatSync(disk('attr.txt'));
      assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.size], [0o604, 42, 43, 4]);
      assert.equal(fs.readFileSync(disk('attr.txt'), 'utf8'), '0123');
      assertErrno(() => s.client.setattr(walk('dir'), { size: 0 }), 'EISDIR');
    });

    it('sets explicit times to the nanosecond and leaves the other time alone', () => {
      fs.writeFileSync(disk('times.txt'), '');
      const fid = walk('times.txt');
      s.client.setattr(fid, { atime: { sec: 1_000_000_000, nsec: 123_456_789 }, mtime: { sec: 1_500_000_000, nsec: 987_654_321 } });
      let st = fs.lstatSync(disk('times.txt'), { bigint: true });
      assert.equal(st.atimeNs, 1_000_000_000_123_456_789n);
      assert.equal(st.mtimeNs, 1_500_000_000_987_654_321n);
      s.client.setattr(fid, { atime: 'now' });
      st = fs.lstatSync(disk('times.txt'), { bigint: true });
      assert.equal(st.mtimeNs, 1_500_000_000_987_654_321n);
      assert.ok(st.atimeNs > 1_700_000_000n * NS);
    });

    it('changes a symlink\'s times, not its target\'s', () => {
      const before = fs.statSync(disk('hello.txt'), { bigint: true }).mtimeNs;
      s.client.setattr(walk('rel'), { mtime: { sec: 1234, nsec: 5 } });
      assert.equal(fs.lstatSync(disk('rel'), { bigint: true }).mtimeNs, 1234n * NS + 5n);
      assert.equal(fs.statSync(disk('hello.txt'), { bigint: true }).mtimeNs, before);
      assertErrno(() => s.client.setattr(walk('rel'), { mode: 0o777 }), 'EOPNOTSUPP');
    });
  });

  describe('unlinkat and renameat', () => {
    it('unlinks files and removes directories with AT_REMOVEDIR', () => {
      fs.writeFileSync(disk('gone.txt'), '');
      fs.mkdirSync(disk('gonedir'));
      fs.mkdirSync(disk('full'));
      fs.writeFileSync(disk('full', 'x'), '');
      s.client.unlinkat(walk(), 'gone.txt', 0);
      assert.equal(fs.existsSync(disk('gone.txt')), false);
      assertErrno(() => s.client.unlinkat(walk(), 'gonedir', 0), 'EISDIR');
      s.client.unlinkat(walk(), 'gonedir', AT.REMOVEDIR);
      assert.equal(fs.existsSync(disk('gonedir')), false);
      assertErrno(() => s.client.unlinkat(walk(), 'full', AT.REMOVEDIR), 'ENOTEMPTY');
      assertErrno(() => s.client.unlinkat(walk(), 'hello.txt', AT.REMOVEDIR), 'ENOTDIR');
      assertErrno(() => s.client.unlinkat(walk(), 'missing', 0), 'ENOENT');
      assertErrno(() => s.client.unlinkat(walk(), '..', AT.REMOVEDIR), 'EINVAL');
    });

    it('an open file stays readable after unlink', () => {
      fs.writeFileSync(disk('held.txt'), 'still here');
      const fid = openAt(O.RDONLY, 'held.txt');
      s.client.unlinkat(walk(), 'held.txt', 0);
      assert.equal(s.client.read(fid, 0, 100).toString(), 'still here');
      assert.equal(s.client.getattr(fid).nlink, 0);
    });

    it('renames across directories; fids below a renamed directory follow it', () => {
      fs.mkdirSync(disk('mv', 'inner'), { recursive: true });
      fs.writeFileSync(disk('mv', 'inner', 'f'), 'moved');
      const inner = walk('mv', 'inner', 'f');
      s.client.renameat(walk(), 'mv', walk('dir'), 'mv2');
      assert.equal(fs.existsSync(disk('mv')), false);
      assert.equal(fs.readFileSync(disk('dir', 'mv2', 'inner', 'f'), 'utf8'), 'moved');
      s.client.lopen(inner, O.RDONLY);
      assert.equal(s.client.read(inner, 0, 100).toString(), 'moved');
      assertErrno(() => s.client.renameat(walk(), 'missing', walk(), 'x'), 'ENOENT');
      assertErrno(() => s.client.renameat(walk(), 'dir', walk('dir'), 'x'), 'EINVAL');
    });
  });

  describe('fsync, statfs, clunk', () => {
    it('fsyncs open fids only', () => {
      s.client.fsync(openAt(O.RDONLY, 'hello.txt'));
      assertErrno(() => s.client.fsync(walk('hello.txt')), 'EBADF');
    });

    it('statfs matches the host file system', () => {
      const a = s.client.statfs(s.rootFid);
      const b = fs.statfsSync(t.root);
      assert.deepEqual([a.type, a.bsize, a.blocks, a.files, a.namelen], [b.type, b.bsize, b.blocks, b.files, 255]);
    });

    it('clunk closes the host fd', () => {
      const fid = openAt(O.RDONLY, 'hello.txt');
      const fds = (): number => fs.readdirSync(`/proc/${s.pid}/fd`).length;
      const n = fds();
      s.client.clunk(fid);
      assert.equal(fds(), n - 1);
    });
  });

  describe('msize', () => {
    it('works with a small negotiated msize (many round trips per call)', async () => {
      await closeAndCheck(s);
      s = open(t.root, false, 8192);
      assert.equal(s.client.msize, 8192);
      const fid = openAt(O.RDONLY, 'big.bin');
      assert.ok(s.client.read(fid, 5, 100_000).equals(fs.readFileSync(disk('big.bin')).subarray(5, 100_005)));
      const ents = s.client.readdir(openAt(O.RDONLY | O.DIRECTORY), 0n, 1 << 20);
      assert.ok(ents.length > 0);
      const w = walk();
      s.client.lcreate(w, 'small-msize.bin', O.RDWR, 0o644, 0);
      assert.equal(s.client.write(w, 0, pattern(50_000, 3)), 50_000);
      assert.ok(fs.readFileSync(disk('small-msize.bin')).equals(pattern(50_000, 3)));
    });
  });
});
