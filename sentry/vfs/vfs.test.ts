import assert from 'node:assert/strict';
import { AT, AT_FDCWD, O, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../abi/linux/fs';
import { Errno, ErrnoName } from '../abi/linux/errno';
import { LinuxError } from '../errors/linuxerr';
import { Credentials } from '../kernel/creds';
import type { Task } from '../kernel/task';
import { buildRootVfs } from './mounts';
import { FakeGofer, makeTask } from './testkit';
import { Vfs } from './vfs';

function throwsErrno(fn: () => unknown, name: ErrnoName): void {
  assert.throws(fn, (e: unknown) => e instanceof LinuxError && e.errno === Errno[name]);
}

function setup(overlay: 'memory' | 'none' = 'memory', creds?: Credentials): { vfs: Vfs; t: Task; gofer: FakeGofer } {
  const gofer = new FakeGofer();
  gofer.add('bin', 'dir');
  gofer.add('bin/sh', 'file', '#!sh', 0o755);
  gofer.add('etc', 'dir');
  gofer.add('etc/passwd', 'file', 'root:x:0:0');
  gofer.add('etc/secret', 'file', 'shh', 0o600);
  gofer.add('usr', 'dir');
  gofer.add('usr/lib', 'dir');
  gofer.add('lib', 'link', 'usr/lib');
  gofer.add('usr/lib/libc.so', 'file', 'ELF');
  gofer.add('abs', 'link', '/etc/passwd');
  gofer.add('loop1', 'link', 'loop2');
  gofer.add('loop2', 'link', 'loop1');
  gofer.add('dangling', 'link', 'nowhere');
  gofer.add('tmp', 'dir');
  gofer.add('tmp/host-only', 'file', 'host');
  const { kernel, task } = makeTask((k) => buildRootVfs({ gofer, overlay, kernel: k, host: { cpuinfo: 'processor\t: 0\n', memTotalKb: 1024 } }), creds);
  return { vfs: kernel.vfs, t: task, gofer };
}

function readAll(vfs: Vfs, t: Task, path: string): string {
  const f = vfs.openPath(t, path, O.RDONLY);
  const b = Buffer.alloc(4096);
  const n = f.read(b);
  f.decRef();
  return b.subarray(0, n).toString();
}

describe('vfs path resolution', () => {
  it('follows relative and absolute symlinks, and ".."', () => {
    const { vfs, t } = setup();
    assert.equal(readAll(vfs, t, '/lib/libc.so'), 'ELF');
    assert.equal(readAll(vfs, t, '/abs'), 'root:x:0:0');
    assert.equal(readAll(vfs, t, '/usr/lib/../../etc/./passwd'), 'root:x:0:0');
    assert.equal(readAll(vfs, t, '/../../etc/passwd'), 'root:x:0:0');
    assert.equal(vfs.resolve(t, AT_FDCWD, '/lib/..', true).path, '/usr');
  });

  it('resolves relative to the cwd and to a dirfd', () => {
    const { vfs, t } = setup();
    t.process.fs.cwd = '/etc';
    assert.equal(readAll(vfs, t, 'passwd'), 'root:x:0:0');
    const dir = vfs.openPath(t, '/usr', O.RDONLY | O.DIRECTORY);
    const fd = t.process.fds.install(dir);
    assert.equal(vfs.resolve(t, fd, 'lib/libc.so', true).path, '/usr/lib/libc.so');
    throwsErrno(() => vfs.resolve(t, t.process.fds.install(vfs.openPath(t, '/etc/passwd', O.RDONLY)), 'x', true), 'ENOTDIR');
  });

  it('reports ELOOP, ENOENT, ENOTDIR and ENAMETOOLONG like Linux', () => {
    const { vfs, t } = setup();
    throwsErrno(() => vfs.openPath(t, '/loop1', O.RDONLY), 'ELOOP');
    throwsErrno(() => vfs.openPath(t, '/dangling', O.RDONLY), 'ENOENT');
    throwsErrno(() => vfs.openPath(t, '/etc/passwd/x', O.RDONLY), 'ENOTDIR');
    throwsErrno(() => vfs.openPath(t, '/etc/passwd/', O.RDONLY), 'ENOTDIR');
    throwsErrno(() => vfs.openPath(t, '', O.RDONLY), 'ENOENT');
    throwsErrno(() => vfs.openPath(t, `/${'a'.repeat(256)}`, O.RDONLY), 'ENAMETOOLONG');
    throwsErrno(() => vfs.openPath(t, `/${'a/'.repeat(2048)}`, O.RDONLY), 'ENAMETOOLONG');
  });

  it('counts at most 40 links', () => {
    const { vfs, t } = setup();
    vfs.symlinkAt(t, '/etc/passwd', AT_FDCWD, '/tmp/l0');
    for (let i = 1; i <= 40; i++) vfs.symlinkAt(t, `/tmp/l${i - 1}`, AT_FDCWD, `/tmp/l${i}`);
    assert.equal(readAll(vfs, t, '/tmp/l39'), 'root:x:0:0');
    throwsErrno(() => readAll(vfs, t, '/tmp/l40'), 'ELOOP');
  });

  it('honours O_NOFOLLOW, AT_SYMLINK_NOFOLLOW and O_PATH on symlinks', () => {
    const { vfs, t } = setup();
    throwsErrno(() => vfs.openPath(t, '/abs', O.RDONLY | O.NOFOLLOW), 'ELOOP');
    assert.equal(vfs.statAt(t, AT_FDCWD, '/abs', AT.SYMLINK_NOFOLLOW).mode & S_IFMT, S_IFLNK);
    assert.equal(vfs.statAt(t, AT_FDCWD, '/abs', 0).mode & S_IFMT, S_IFREG);
    const p = vfs.openPath(t, '/abs', O.PATH | O.NOFOLLOW);
    assert.equal(p.stat().mode & S_IFMT, S_IFLNK);
    throwsErrno(() => p.read(Buffer.alloc(1)), 'EBADF');
    assert.equal(vfs.statAt(t, AT_FDCWD, '/lib/', 0).mode & S_IFMT, S_IFDIR);
  });

  it('checks permissions for non-root users', () => {
    const { vfs, t } = setup('memory', new Credentials(1000, 1000));
    throwsErrno(() => vfs.openPath(t, '/etc/secret', O.RDONLY), 'EACCES');
    throwsErrno(() => vfs.openPath(t, '/etc/new', O.CREAT | O.WRONLY, 0o644), 'EACCES');
    throwsErrno(() => vfs.accessAt(t, AT_FDCWD, '/etc/passwd', 2, 0), 'EACCES');
    vfs.accessAt(t, AT_FDCWD, '/bin/sh', 1, 0);
    assert.equal(readAll(vfs, t, '/etc/passwd'), 'root:x:0:0');
  });

  it('creates with O_CREAT|O_EXCL, applies the umask, and rejects directories', () => {
    const { vfs, t } = setup();
    const f = vfs.openPath(t, '/tmp/new', O.CREAT | O.EXCL | O.RDWR, 0o666);
    assert.equal(f.write(Buffer.from('hello')), 5);
    assert.equal(f.stat().mode, S_IFREG | 0o644);
    throwsErrno(() => vfs.openPath(t, '/tmp/new', O.CREAT | O.EXCL | O.RDWR, 0o666), 'EEXIST');
    throwsErrno(() => vfs.openPath(t, '/tmp', O.WRONLY), 'EISDIR');
    throwsErrno(() => vfs.openPath(t, '/tmp/', O.CREAT | O.WRONLY), 'EISDIR');
    throwsErrno(() => vfs.openPath(t, '/tmp/new', O.RDONLY | O.DIRECTORY), 'ENOTDIR');
    vfs.openPath(t, '/tmp/new', O.WRONLY | O.TRUNC).decRef();
    assert.equal(vfs.statAt(t, AT_FDCWD, '/tmp/new', 0).size, 0);
  });

  it('mounts tmpfs over /tmp so the host /tmp stays hidden', () => {
    const { vfs, t, gofer } = setup();
    throwsErrno(() => vfs.openPath(t, '/tmp/host-only', O.RDONLY), 'ENOENT');
    vfs.openPath(t, '/tmp/x', O.CREAT | O.WRONLY, 0o600).decRef();
    assert.equal(gofer.get('tmp/x'), undefined);
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/x', AT_FDCWD, '/x', 0), 'EXDEV');
    throwsErrno(() => vfs.unlinkAt(t, AT_FDCWD, '/tmp', AT.REMOVEDIR), 'EBUSY');
  });

  it('implements unlink/rmdir/rename/link errno rules', () => {
    const { vfs, t } = setup();
    vfs.mkdirAt(t, AT_FDCWD, '/tmp/d', 0o755);
    vfs.openPath(t, '/tmp/d/f', O.CREAT | O.WRONLY, 0o644).decRef();
    throwsErrno(() => vfs.mkdirAt(t, AT_FDCWD, '/tmp/d', 0o755), 'EEXIST');
    throwsErrno(() => vfs.unlinkAt(t, AT_FDCWD, '/tmp/d', 0), 'EISDIR');
    throwsErrno(() => vfs.unlinkAt(t, AT_FDCWD, '/tmp/d', AT.REMOVEDIR), 'ENOTEMPTY');
    throwsErrno(() => vfs.unlinkAt(t, AT_FDCWD, '/tmp/d/f', AT.REMOVEDIR), 'ENOTDIR');
    throwsErrno(() => vfs.unlinkAt(t, AT_FDCWD, '/tmp/d/.', AT.REMOVEDIR), 'EINVAL');
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/d', AT_FDCWD, '/tmp/d/sub', 0), 'EINVAL');
    vfs.mkdirAt(t, AT_FDCWD, '/tmp/e', 0o755);
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/d/f', AT_FDCWD, '/tmp/e', 0), 'EISDIR');
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/e', AT_FDCWD, '/tmp/d/f', 0), 'ENOTDIR');
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/e', AT_FDCWD, '/tmp/d', 0), 'ENOTEMPTY');
    vfs.linkAt(t, AT_FDCWD, '/tmp/d/f', AT_FDCWD, '/tmp/g', 0);
    assert.equal(vfs.statAt(t, AT_FDCWD, '/tmp/g', 0).nlink, 2);
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/tmp/g', AT_FDCWD, '/tmp/d/f', 1), 'EEXIST');
    vfs.renameAt(t, AT_FDCWD, '/tmp/g', AT_FDCWD, '/tmp/e/h', 0);
    assert.equal(vfs.statAt(t, AT_FDCWD, '/tmp/e/h', 0).ino, vfs.statAt(t, AT_FDCWD, '/tmp/d/f', 0).ino);
    throwsErrno(() => vfs.linkAt(t, AT_FDCWD, '/tmp/e', AT_FDCWD, '/tmp/e2', 0), 'EPERM');
    vfs.unlinkAt(t, AT_FDCWD, '/tmp/e/h', 0);
    vfs.unlinkAt(t, AT_FDCWD, '/tmp/e', AT.REMOVEDIR);
    throwsErrno(() => vfs.statAt(t, AT_FDCWD, '/tmp/e', 0), 'ENOENT');
  });

  it('readlink answers EINVAL for non-links and chdir needs a directory', () => {
    const { vfs, t } = setup();
    assert.equal(vfs.readlinkAt(t, AT_FDCWD, '/lib'), 'usr/lib');
    throwsErrno(() => vfs.readlinkAt(t, AT_FDCWD, '/etc/passwd'), 'EINVAL');
    vfs.chdir(t, vfs.resolve(t, AT_FDCWD, '/lib', true));
    assert.equal(t.process.fs.cwd, '/usr/lib');
    throwsErrno(() => vfs.chdir(t, vfs.resolve(t, AT_FDCWD, '/etc/passwd', true)), 'ENOTDIR');
  });

  it('with --overlay=none writes through to the gofer', () => {
    const { vfs, t, gofer } = setup('none');
    const f = vfs.openPath(t, '/etc/new', O.CREAT | O.WRONLY, 0o644);
    f.write(Buffer.from('through'));
    assert.equal(gofer.get('etc/new')?.data.toString(), 'through');
    vfs.unlinkAt(t, AT_FDCWD, '/etc/passwd', 0);
    assert.equal(gofer.get('etc/passwd'), undefined);
  });
});
