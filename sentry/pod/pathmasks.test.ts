import assert from 'node:assert/strict';
import { AT_FDCWD, O, R_OK, S_IFCHR, S_IFMT, W_OK } from '../abi/linux/fs';
import { Errno, ErrnoName } from '../abi/linux/errno';
import { LinuxError } from '../errors/linuxerr';
import { checkExecutable } from '../loader/image';
import { buildRootVfs } from '../vfs/mounts';
import { FakeGofer, makeTask } from '../vfs/testkit';
import { applyPathRules } from './pathmasks';

const throwsErrno = (fn: () => unknown, name: ErrnoName) => assert.throws(fn, (e: unknown) => e instanceof LinuxError && e.errno === Errno[name]);

function setup() {
  const gofer = new FakeGofer();
  gofer.add('bin', 'dir');
  gofer.add('bin/busybox', 'file', 'ELF', 0o755);
  gofer.add('bin/ls', 'file', 'ELF', 0o755);
  gofer.add('bin/sh', 'link', 'busybox');
  gofer.add('etc', 'dir');
  gofer.add('etc/conf', 'dir');
  gofer.add('etc/conf/secret', 'file', 'shh', 0o644);
  gofer.add('data', 'dir');
  gofer.add('data/keep', 'file', 'x', 0o644);
  const { kernel, task } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: 'processor\t: 0\n', memTotalKb: 1024 } }));
  return { vfs: kernel.vfs, t: task };
}

describe('masked and read-only paths of a container', () => {
  it('a masked file is /dev/null (reads empty, cannot be exec\'d); a masked directory is an empty read-only tmpfs', () => {
    const { vfs, t } = setup();
    applyPathRules(t, vfs, ['/bin/ls', '/etc/conf', '/no/such/path'], []);
    const st = vfs.statAt(t, AT_FDCWD, '/bin/ls', 0);
    assert.equal(st.mode & S_IFMT, S_IFCHR);
    const f = vfs.openPath(t, '/bin/ls', O.RDONLY);
    assert.equal(f.read(Buffer.alloc(16)), 0);
    throwsErrno(() => checkExecutable(f, t.process.creds), 'EACCES');
    f.decRef();
    throwsErrno(() => vfs.openPath(t, '/etc/conf/secret', O.RDONLY), 'ENOENT');
    throwsErrno(() => vfs.openPath(t, '/etc/conf/new', O.WRONLY | O.CREAT, 0o644), 'EROFS');
    // Other names of the same files are not masked (a bind mount covers one path).
    assert.equal(vfs.statAt(t, AT_FDCWD, '/bin/busybox', 0).size, 3);
  });

  it('masking follows symlinks, as mount(2) does', () => {
    const { vfs, t } = setup();
    applyPathRules(t, vfs, ['/bin/sh'], []);
    assert.equal(vfs.statAt(t, AT_FDCWD, '/bin/busybox', 0).mode & S_IFMT, S_IFCHR);
  });

  it('a read-only path refuses writes below it with EROFS; the rest of the root stays writable', () => {
    const { vfs, t } = setup();
    applyPathRules(t, vfs, [], ['/data', '/tmp']);
    throwsErrno(() => vfs.openPath(t, '/data/keep', O.WRONLY), 'EROFS');
    throwsErrno(() => vfs.openPath(t, '/data/new', O.WRONLY | O.CREAT, 0o644), 'EROFS');
    throwsErrno(() => vfs.openPath(t, '/tmp/test', O.WRONLY | O.CREAT, 0o644), 'EROFS');
    throwsErrno(() => vfs.mkdirAt(t, AT_FDCWD, '/data/d', 0o755), 'EROFS');
    throwsErrno(() => vfs.accessAt(t, AT_FDCWD, '/data/keep', W_OK, 0), 'EROFS');
    vfs.accessAt(t, AT_FDCWD, '/data/keep', R_OK, 0);
    throwsErrno(() => vfs.renameAt(t, AT_FDCWD, '/data/keep', AT_FDCWD, '/keep', 0), 'EXDEV');
    vfs.openPath(t, '/etc/new', O.WRONLY | O.CREAT, 0o644).decRef();
    assert.ok(vfs.mountList().some((m) => m.path === '/data' && m.readOnly));
  });
});
