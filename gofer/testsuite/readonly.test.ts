/** --ro: every mutating request fails with EROFS and the tree is untouched; --root / works. */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { AT, O, S_IFIFO } from '../../sentry/abi/linux/fs';
import { assertErrno, closeAndCheck, makeTree, open, removeTree, Session, Tree } from './harness';

/** Every path and its lstat mtime/size: a snapshot to prove nothing changed. */
function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((p) => {
      const st = fs.lstatSync(`${dir}/${p}`, { bigint: true });
      return `${p} ${st.mode} ${st.size} ${st.mtimeNs} ${st.atimeNs}`;
    });
}

describe('gofer: read-only mode', () => {
  let t: Tree;
  let s: Session;
  const walk = (...names: string[]): number => s.client.walk(s.rootFid, names).fid;

  before(() => {
    t = makeTree();
  });
  after(() => removeTree(t));
  beforeEach(() => {
    s = open(t.root, true);
  });
  afterEach(async () => {
    await closeAndCheck(s);
  });

  it('serves reads', () => {
    const fid = walk('hello.txt');
    s.client.lopen(fid, O.RDONLY);
    assert.equal(s.client.read(fid, 0, 100).toString(), 'hello world\n');
    const dir = walk('dir');
    s.client.lopen(dir, O.RDONLY | O.DIRECTORY);
    assert.deepEqual(s.client.readdir(dir, 0n, 4096).map((e) => e.name).sort(), ['a', 'b', 'c', 'sub']);
    assert.equal(s.client.readlink(walk('abs')), '/etc/passwd');
  });

  it('refuses every mutation with EROFS', () => {
    const before = snapshot(t.root);
    const root = (): number => walk();
    assertErrno(() => s.client.lopen(walk('hello.txt'), O.WRONLY), 'EROFS');
    assertErrno(() => s.client.lopen(walk('hello.txt'), O.RDWR), 'EROFS');
    assertErrno(() => s.client.lopen(walk('hello.txt'), O.RDONLY | O.TRUNC), 'EROFS');
    assertErrno(() => s.client.lopenfd(walk('hello.txt'), O.WRONLY), 'EROFS');
    assertErrno(() => s.client.lcreate(root(), 'new', O.RDWR, 0o644, 0), 'EROFS');
    assertErrno(() => s.client.mkdir(root(), 'new', 0o755, 0), 'EROFS');
    assertErrno(() => s.client.symlink(root(), 'new', 'x', 0), 'EROFS');
    assertErrno(() => s.client.mknod(root(), 'new', S_IFIFO | 0o644, 0, 0, 0), 'EROFS');
    assertErrno(() => s.client.link(root(), walk('hello.txt'), 'new'), 'EROFS');
    assertErrno(() => s.client.unlinkat(root(), 'hello.txt', 0), 'EROFS');
    assertErrno(() => s.client.unlinkat(root(), 'empty', AT.REMOVEDIR), 'EROFS');
    assertErrno(() => s.client.renameat(root(), 'hello.txt', root(), 'moved'), 'EROFS');
    assertErrno(() => s.client.setattr(walk('hello.txt'), { size: 0 }), 'EROFS');
    assertErrno(() => s.client.setattr(walk('hello.txt'), { mode: 0o777 }), 'EROFS');
    assertErrno(() => s.client.setattr(walk('hello.txt'), { atime: 'now' }), 'EROFS');
    const fid = walk('hello.txt');
    s.client.lopen(fid, O.RDONLY);
    assertErrno(() => s.client.write(fid, 0, Buffer.from('x')), 'EROFS');
    assert.deepEqual(snapshot(t.root), before);
  });
});

describe('gofer: --root /', () => {
  it('serves the host root, chrooted at /', async () => {
    const s = open('/', true);
    try {
      assert.equal(fs.readlinkSync(`/proc/${s.pid}/root`), '/');
      const dir = s.client.walk(s.rootFid, []).fid;
      s.client.lopen(dir, O.RDONLY | O.DIRECTORY);
      const names: string[] = [];
      for (let off = 0n; ; ) {
        const ents = s.client.readdir(dir, off, 65536);
        if (ents.length === 0) break;
        names.push(...ents.map((e) => e.name));
        off = ents[ents.length - 1].offset;
      }
      assert.deepEqual(names.sort(), fs.readdirSync('/').sort());
      const f = s.client.walk(s.rootFid, ['etc', 'passwd']).fid;
      s.client.lopen(f, O.RDONLY);
      assert.ok(s.client.read(f, 0, 1 << 20).equals(fs.readFileSync('/etc/passwd')));
      assert.deepEqual(s.client.walk(s.rootFid, ['..']).qids, [s.client.getattr(s.rootFid).qid]);
    } finally {
      await closeAndCheck(s);
    }
  });
});
