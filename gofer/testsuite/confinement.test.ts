/**
 * The Gofer cannot be talked out of its root: '..' at the root, names with
 * '/', symlinks inside and outside the root, and the process itself is
 * chrooted in fresh namespaces with no host file open.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { O } from '../../sentry/abi/linux/fs';
import { QT } from '../p9/types';
import { assertErrno, closeAndCheck, makeTree, open, removeTree, Session, Tree } from './harness';

describe('gofer: confinement', () => {
  let t: Tree;
  let s: Session;
  const walk = (...names: string[]): number => s.client.walk(s.rootFid, names).fid;

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

  it("'..' at the root stays at the root", () => {
    const rootQid = s.client.getattr(s.rootFid).qid;
    const r = s.client.walk(s.rootFid, ['..', '..', '..']);
    assert.deepEqual(r.qids, [rootQid, rootQid, rootQid]);
    assertErrno(() => walk('..', 'secret.txt'), 'ENOENT');
    assertErrno(() => walk('dir', '..', '..', '..', 'secret.txt'), 'ENOENT');
    assertErrno(() => s.client.attach('/../secret.txt'), 'ENOENT');
  });

  it("rejects names containing '/' in every request", () => {
    const root = (): number => walk();
    assertErrno(() => walk('../secret.txt'), 'EINVAL');
    assertErrno(() => walk('/etc'), 'EINVAL');
    assertErrno(() => s.client.lcreate(root(), '../x', O.RDWR, 0o644, 0), 'EINVAL');
    assertErrno(() => s.client.mkdir(root(), '../x', 0o755, 0), 'EINVAL');
    assertErrno(() => s.client.symlink(root(), 'd/x', '/', 0), 'EINVAL');
    assertErrno(() => s.client.unlinkat(root(), '../secret.txt', 0), 'EINVAL');
    assertErrno(() => s.client.renameat(root(), '../secret.txt', root(), 'stolen'), 'EINVAL');
    assertErrno(() => s.client.link(root(), walk('hello.txt'), '../planted'), 'EINVAL');
    assert.equal(fs.readFileSync(t.secret, 'utf8'), 'outside the root');
    assert.equal(fs.existsSync(`${t.top}/x`), false);
    assert.equal(fs.existsSync(`${t.top}/planted`), false);
  });

  it('never follows symlinks while walking or opening', () => {
    for (const link of ['out', 'abs', 'rel', 'dirlink']) {
      const r = s.client.walk(s.rootFid, [link]);
      assert.equal(r.qids[0].type, QT.SYMLINK, link);
      assertErrno(() => s.client.lopen(r.fid, O.RDONLY), 'ELOOP');
      assertErrno(() => walk(link, 'x'), 'ENOTDIR');
    }
    assertErrno(() => walk('dirlink', 'a'), 'ENOTDIR');
  });

  it('creating through a symlink to outside does not write outside', () => {
    // 'out' -> ../secret.txt; O_CREAT on an existing symlink name must not follow it.
    assertErrno(() => s.client.lcreate(walk(), 'out', O.WRONLY | O.TRUNC, 0o644, 0), 'ELOOP');
    assert.equal(fs.readFileSync(t.secret, 'utf8'), 'outside the root');
    s.client.setattr(walk('out'), { mtime: { sec: 1, nsec: 0 } });
    assert.notEqual(fs.statSync(t.secret).mtimeMs, 1000);
  });

  it('runs chrooted into the root, in its own mount and network namespaces', () => {
    assert.equal(fs.readlinkSync(`/proc/${s.pid}/root`), t.root);
    for (const ns of ['mnt', 'net', 'ipc', 'uts']) {
      assert.notEqual(fs.readlinkSync(`/proc/${s.pid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), ns);
    }
  });

  it('holds no host file outside the root open', () => {
    s.client.lopen(walk('big.bin'), O.RDONLY);
    s.client.lopen(walk('dir'), O.RDONLY | O.DIRECTORY);
    // fds 0-2 are inherited stdio, opened by the launcher before the Gofer ran.
    const fds = fs.readdirSync(`/proc/${s.pid}/fd`).filter((fd) => Number(fd) > 2);
    const files = fds.map((fd) => fs.readlinkSync(`/proc/${s.pid}/fd/${fd}`)).filter((p) => p.startsWith('/'));
    // libuv keeps a spare fd on '/' (after chroot: the root itself) for EMFILE recovery.
    const outside = files.filter((p) => p !== t.root && !p.startsWith(`${t.root}/`));
    assert.deepEqual(outside, []);
    assert.ok(files.includes(`${t.root}/big.bin`));
    assert.ok(files.includes(`${t.root}/dir`));
  });
});
