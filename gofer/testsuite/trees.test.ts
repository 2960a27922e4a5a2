/**
 * One Gofer serving several trees (a container's root and its mounts), each
 * on its own socket: one process; each tree confined to itself ('..',
 * symlinks into another tree or the host, a host-side swap of a directory
 * for a symlink); read-only per tree, in the Gofer and in the kernel.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { O } from '../../sentry/abi/linux/fs';
import { P9Client } from '../../sentry/fsimpl/gofer/client';
import { startTreesGofer } from '../launch';
import { QT } from '../p9/types';
import { alive, assertErrno, makeTree, removeTree, Tree, waitGone } from './harness';

/** Symlinks from the writable mount out of it: into the root tree (by its staged name and by its host path), the host, the staging dir. */
const ESCAPES: Record<string, string> = {
  toRootAbs: '/0/hello.txt',
  toRootRel: '../0/hello.txt',
  toRootHost: '', // set to the root tree's host path
  toHost: '/etc/passwd',
  toSecret: '../../secret.txt',
  toStage: '/',
};

describe('gofer: one process for several trees', () => {
  let t: Tree;
  let rw: string;
  let ro: string;
  let pid: number;
  let clients: P9Client[];
  /** Root fids of the trees: root (read-only), rw mount, ro mount. */
  let roots: number[];
  const walk = (tree: number, ...names: string[]): number => clients[tree].walk(roots[tree], names).fid;

  before(() => {
    t = makeTree();
    rw = path.join(t.top, 'rw');
    ro = path.join(t.top, 'ro');
    fs.mkdirSync(path.join(rw, 'd'), { recursive: true });
    fs.writeFileSync(path.join(rw, 'mine.txt'), 'rw tree');
    fs.mkdirSync(path.join(ro, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(ro, 'ro.txt'), 'ro tree');
    // A host mount below a read-only tree: read-only in the Gofer too.
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(ro, 'sub')]);
    // The writable tree is a shared mount, as a kubelet volume with HostToContainer propagation sits on.
    execFileSync('mount', ['--bind', rw, rw]);
    execFileSync('mount', ['--make-shared', rw]);
    ESCAPES.toRootHost = path.join(t.root, 'hello.txt');
    for (const [name, target] of Object.entries(ESCAPES)) fs.symlinkSync(target, path.join(rw, name));
  });
  after(() => {
    execFileSync('umount', [path.join(ro, 'sub')]);
    execFileSync('umount', [rw]);
    removeTree(t);
  });
  beforeEach(() => {
    const g = startTreesGofer([
      { root: t.root, readOnly: true },
      { root: rw, readOnly: false },
      { root: ro, readOnly: true },
    ]);
    pid = g.pid;
    clients = g.fds.map((fd) => P9Client.connect(fd));
    roots = clients.map((c) => c.attach('/'));
  });
  afterEach(async () => {
    for (const c of clients) c.close();
    await waitGone(pid);
    fs.rmSync(path.join(rw, 'new.txt'), { force: true });
  });

  const read = (tree: number, ...names: string[]): string => {
    const fid = walk(tree, ...names);
    clients[tree].lopen(fid, O.RDONLY);
    return clients[tree].read(fid, 0, 100).toString();
  };

  it('serves each tree on its own socket', () => {
    assert.equal(read(0, 'hello.txt'), 'hello world\n');
    assert.equal(read(1, 'mine.txt'), 'rw tree');
    assert.equal(read(2, 'ro.txt'), 'ro tree');
    assertErrno(() => walk(1, 'hello.txt'), 'ENOENT');
    assertErrno(() => walk(0, 'mine.txt'), 'ENOENT');
  });

  it("'..' at a tree's root stays there", () => {
    for (const tree of [1, 2]) {
      const rootQid = clients[tree].getattr(roots[tree]).qid;
      assert.deepEqual(clients[tree].walk(roots[tree], ['..', '..']).qids, [rootQid, rootQid]);
      assertErrno(() => walk(tree, '..', '0'), 'ENOENT');
      assertErrno(() => walk(tree, '..', 'hello.txt'), 'ENOENT');
      assertErrno(() => walk(tree, '..', '..', 'secret.txt'), 'ENOENT');
      assertErrno(() => clients[tree].attach('/../0'), 'ENOENT');
      assertErrno(() => clients[tree].attach('/../1'), 'ENOENT');
    }
  });

  it('never follows a symlink out of a tree', () => {
    const c = clients[1];
    for (const [name, target] of Object.entries(ESCAPES)) {
      const r = c.walk(roots[1], [name]);
      assert.equal(r.qids[0].type, QT.SYMLINK, name);
      assert.equal(c.readlink(r.fid), target, name);
      assertErrno(() => c.lopen(r.fid, O.RDONLY), 'ELOOP');
      assertErrno(() => walk(1, name, 'x'), 'ENOTDIR');
      assertErrno(() => c.lcreate(walk(1), name, O.WRONLY | O.TRUNC, 0o644, 0), 'ELOOP');
    }
    assert.equal(fs.readFileSync(path.join(t.root, 'hello.txt'), 'utf8'), 'hello world\n');
    assert.equal(fs.readFileSync(t.secret, 'utf8'), 'outside the root');
  });

  it('refuses writes in read-only trees and takes them in the writable one', () => {
    clients[1].lcreate(walk(1), 'new.txt', O.WRONLY, 0o644, 0);
    assert.equal(fs.existsSync(path.join(rw, 'new.txt')), true);
    for (const tree of [0, 2]) {
      assertErrno(() => clients[tree].lcreate(walk(tree), 'new.txt', O.WRONLY, 0o644, 0), 'EROFS');
      assertErrno(() => clients[tree].mkdir(walk(tree), 'newdir', 0o755, 0), 'EROFS');
    }
    assertErrno(() => clients[0].lopen(walk(0, 'hello.txt'), O.WRONLY), 'EROFS');
    assertErrno(() => clients[2].lopen(walk(2, 'ro.txt'), O.RDWR), 'EROFS');
    assert.equal(fs.existsSync(path.join(t.root, 'new.txt')), false);
    assert.equal(fs.existsSync(path.join(ro, 'new.txt')), false);
  });

  it('runs chrooted into a read-only directory of read-only (with the mounts below them) and writable binds of the trees, and nothing else', () => {
    // mountinfo lists the mounts the process sees, relative to its root.
    const mounts = fs
      .readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map((f) => `${f[4]} ${f[5].split(',')[0]}`);
    assert.deepEqual(mounts.sort(), ['/ ro', '/0 ro', '/1 rw', '/2 ro', '/2/sub ro']);
    assert.deepEqual(fs.readdirSync(`/proc/${pid}/root`).sort(), ['0', '1', '2']);
  });

  it('a directory swapped for a symlink on the host stays inside the chroot, and read-only binds refuse writes through it', () => {
    // A fid named d/hello.txt, then (by another container sharing the volume, say) d becomes a symlink.
    fs.writeFileSync(path.join(rw, 'd', 'hello.txt'), 'decoy');
    fs.writeFileSync(path.join(rw, 'd', 'secret.txt'), 'decoy');
    const toRoot = walk(1, 'd', 'hello.txt');
    const toHost = walk(1, 'd', 'secret.txt');
    fs.renameSync(path.join(rw, 'd'), path.join(rw, 'd2'));
    try {
      fs.symlinkSync(t.top, path.join(rw, 'd'));
      assertErrno(() => clients[1].lopen(toHost, O.RDONLY), 'ENOENT'); // the host's top is not in the chroot
      fs.unlinkSync(path.join(rw, 'd'));
      fs.symlinkSync('/0', path.join(rw, 'd'));
      assertErrno(() => clients[1].lopen(toRoot, O.WRONLY), 'EROFS'); // the kernel's read-only bind
      assert.equal(fs.readFileSync(path.join(t.root, 'hello.txt'), 'utf8'), 'hello world\n');
    } finally {
      fs.rmSync(path.join(rw, 'd'), { force: true });
      fs.renameSync(path.join(rw, 'd2'), path.join(rw, 'd'));
    }
  });

  it('sees host mounts made below a shared tree after it started (HostToContainer propagation)', () => {
    const late = path.join(rw, 'late');
    fs.mkdirSync(late);
    try {
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', late]);
      try {
        fs.writeFileSync(path.join(late, 'f'), 'mounted later');
        assert.equal(read(1, 'late', 'f'), 'mounted later');
      } finally {
        execFileSync('umount', ['-l', late]);
      }
    } finally {
      fs.rmdirSync(late);
    }
  });

  it('holds no host file outside its trees open, and exits once every socket has closed', async () => {
    clients[0].lopen(walk(0, 'big.bin'), O.RDONLY);
    clients[1].lopen(walk(1, 'mine.txt'), O.RDONLY);
    const root = fs.readlinkSync(`/proc/${pid}/root`);
    const files = fs
      .readdirSync(`/proc/${pid}/fd`)
      .filter((fd) => Number(fd) > 2)
      .map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
      .filter((p) => p.startsWith('/'));
    assert.deepEqual(files.filter((p) => p !== root && !p.startsWith(`${root}/`)), []);
    assert.ok(files.includes(`${root}/0/big.bin`), files.join(' '));
    assert.ok(files.includes(`${root}/1/mine.txt`), files.join(' '));
    clients[0].close();
    clients[2].close();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(pid), 'exited with a socket still open');
    assert.equal(read(1, 'mine.txt'), 'rw tree');
  });
});
