import assert from 'node:assert/strict';
import { AT, AT_FDCWD, O, S_IFMT } from '../../abi/linux/fs';
import { Errno } from '../../abi/linux/errno';
import { LinuxError } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import { GoferFs } from '../gofer/fs';
import { Tmpfs } from '../tmpfs/tmpfs';
import { FakeGofer, makeTask } from '../../vfs/testkit';
import { InodeFile } from '../../vfs/inodefile';
import { Vfs } from '../../vfs/vfs';
import { OverlayFs } from './overlay';

function setup(): { vfs: Vfs; t: Task; gofer: FakeGofer } {
  const gofer = new FakeGofer();
  gofer.add('etc', 'dir');
  gofer.add('etc/hosts', 'file', '127.0.0.1 localhost\n');
  gofer.add('etc/motd', 'file', 'hi');
  gofer.add('data', 'dir');
  gofer.add('data/sub', 'dir');
  gofer.add('data/sub/deep', 'file', 'deep');
  gofer.add('link', 'link', 'etc/hosts');
  const { kernel, task } = makeTask(() => {
    const vfs = new Vfs();
    const lower = new GoferFs(gofer, vfs.allocDev(), true);
    vfs.mount('/', new OverlayFs(vfs.allocDev(), new Tmpfs(vfs.allocDev(), 0o755), lower.root).root, 'overlay');
    return vfs;
  });
  return { vfs: kernel.vfs, t: task, gofer };
}

function names(vfs: Vfs, t: Task, path: string): string[] {
  const f = vfs.openPath(t, path, O.RDONLY | O.DIRECTORY) as InodeFile;
  return f.dirEntries().entries.map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
}

function content(vfs: Vfs, t: Task, path: string): string {
  const b = Buffer.alloc(1024);
  return b.subarray(0, vfs.openPath(t, path, O.RDONLY).read(b)).toString();
}

const enoent = (e: unknown): boolean => e instanceof LinuxError && e.errno === Errno.ENOENT;

describe('memory overlay', () => {
  it('copies a file up on first write and never writes the lower layer', () => {
    const { vfs, t, gofer } = setup();
    const before = vfs.statAt(t, AT_FDCWD, '/etc/hosts', 0);
    const ro = vfs.openPath(t, '/etc/hosts', O.RDONLY);
    const f = vfs.openPath(t, '/etc/hosts', O.WRONLY | O.APPEND);
    f.write(Buffer.from('10.0.0.1 box\n'));
    assert.equal(content(vfs, t, '/etc/hosts'), '127.0.0.1 localhost\n10.0.0.1 box\n');
    assert.equal(gofer.get('etc/hosts')?.data.toString(), '127.0.0.1 localhost\n');
    assert.equal(gofer.mutations, 0);
    const after = vfs.statAt(t, AT_FDCWD, '/etc/hosts', 0);
    assert.equal(after.ino, before.ino, 'st_ino is stable across copy-up');
    assert.equal(after.mode, before.mode);
    assert.equal(after.mtime.sec > 1000, true);
    const b = Buffer.alloc(100);
    assert.equal(b.subarray(0, ro.read(b)).toString(), '127.0.0.1 localhost\n10.0.0.1 box\n');
  });

  it('truncates, chmods and writes through symlinks in the upper layer only', () => {
    const { vfs, t, gofer } = setup();
    vfs.openPath(t, '/link', O.WRONLY | O.TRUNC).write(Buffer.from('x'));
    vfs.setattr(t, vfs.resolve(t, AT_FDCWD, '/etc/motd', true), { mode: 0o600 });
    assert.equal(content(vfs, t, '/etc/hosts'), 'x');
    assert.equal(vfs.statAt(t, AT_FDCWD, '/etc/motd', 0).mode & 0o777, 0o600);
    assert.equal(gofer.get('etc/motd')?.mode !== undefined && (gofer.get('etc/motd')!.mode & 0o777), 0o644);
    assert.equal(gofer.mutations, 0);
  });

  it('whiteouts hide deleted lower files and directories; readdir merges layers', () => {
    const { vfs, t, gofer } = setup();
    vfs.openPath(t, '/etc/new', O.CREAT | O.WRONLY, 0o644).decRef();
    vfs.unlinkAt(t, AT_FDCWD, '/etc/motd', 0);
    assert.deepEqual(names(vfs, t, '/etc'), ['hosts', 'new']);
    assert.throws(() => vfs.openPath(t, '/etc/motd', O.RDONLY), enoent);
    assert.throws(() => vfs.unlinkAt(t, AT_FDCWD, '/data/sub', AT.REMOVEDIR), (e: unknown) => e instanceof LinuxError && e.errno === Errno.ENOTEMPTY);
    vfs.unlinkAt(t, AT_FDCWD, '/data/sub/deep', 0);
    vfs.unlinkAt(t, AT_FDCWD, '/data/sub', AT.REMOVEDIR);
    assert.deepEqual(names(vfs, t, '/data'), []);
    vfs.mkdirAt(t, AT_FDCWD, '/data/sub', 0o755);
    assert.deepEqual(names(vfs, t, '/data/sub'), [], 'a directory re-created over a whiteout is opaque');
    vfs.openPath(t, '/etc/motd', O.CREAT | O.WRONLY, 0o644).decRef();
    assert.equal(content(vfs, t, '/etc/motd'), '');
    vfs.unlinkAt(t, AT_FDCWD, '/etc/motd', 0);
    assert.throws(() => vfs.openPath(t, '/etc/motd', O.RDONLY), enoent, 'the lower file stays hidden');
    assert.ok(gofer.get('etc/motd') && gofer.get('data/sub/deep'));
    assert.equal(gofer.mutations, 0);
  });

  it('lists lower-only names from the lower listing, with the inode and type stat reports', () => {
    const { vfs, t, gofer } = setup();
    vfs.openPath(t, '/etc/new', O.CREAT | O.WRONLY, 0o644).decRef();
    const f = vfs.openPath(t, '/data', O.RDONLY | O.DIRECTORY) as InodeFile;
    const walks: string[][] = [];
    const walk = gofer.walk.bind(gofer);
    gofer.walk = (fid, names) => (walks.push(names), walk(fid, names));
    const listed = f.dirEntries().entries.filter((e) => e.name !== '.' && e.name !== '..');
    assert.deepEqual(walks.filter((w) => w.length > 0), [], 'no walk per listed name');
    for (const e of [...listed, ...(vfs.openPath(t, '/etc', O.RDONLY | O.DIRECTORY) as InodeFile).dirEntries().entries]) {
      if (e.name === '.' || e.name === '..') continue;
      const dir = listed.includes(e) ? '/data' : '/etc';
      const st = vfs.statAt(t, AT_FDCWD, `${dir}/${e.name}`, AT.SYMLINK_NOFOLLOW);
      assert.deepEqual([e.name, e.ino, e.type], [e.name, st.ino, (st.mode & S_IFMT) >>> 12]);
    }
  });

  it('renames files across directories, leaving a whiteout behind', () => {
    const { vfs, t, gofer } = setup();
    vfs.renameAt(t, AT_FDCWD, '/etc/motd', AT_FDCWD, '/data/motd', 0);
    assert.equal(content(vfs, t, '/data/motd'), 'hi');
    assert.throws(() => vfs.openPath(t, '/etc/motd', O.RDONLY), enoent);
    vfs.renameAt(t, AT_FDCWD, '/data/motd', AT_FDCWD, '/etc/hosts', 0);
    assert.equal(content(vfs, t, '/etc/hosts'), 'hi');
    assert.deepEqual(names(vfs, t, '/etc'), ['hosts']);
    assert.throws(() => vfs.renameAt(t, AT_FDCWD, '/data/sub', AT_FDCWD, '/moved', 0), (e: unknown) => e instanceof LinuxError && e.errno === Errno.EXDEV);
    vfs.mkdirAt(t, AT_FDCWD, '/newdir', 0o755);
    vfs.openPath(t, '/newdir/f', O.CREAT | O.WRONLY, 0o644).write(Buffer.from('f'));
    vfs.renameAt(t, AT_FDCWD, '/newdir', AT_FDCWD, '/data/moved', 0);
    assert.equal(content(vfs, t, '/data/moved/f'), 'f');
    assert.equal(gofer.mutations, 0);
  });

  it('hard-links a lower file after copying it up', () => {
    const { vfs, t, gofer } = setup();
    vfs.linkAt(t, AT_FDCWD, '/etc/motd', AT_FDCWD, '/etc/motd2', 0);
    vfs.openPath(t, '/etc/motd2', O.WRONLY).write(Buffer.from('HI'));
    assert.equal(content(vfs, t, '/etc/motd'), 'HI');
    assert.equal(vfs.statAt(t, AT_FDCWD, '/etc/motd', 0).nlink, 2);
    assert.equal(gofer.mutations, 0);
  });
});
