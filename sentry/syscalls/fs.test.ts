import assert from 'node:assert/strict';
import { AT_FDCWD, F, FD_CLOEXEC, FIOASYNC, O, S_IFCHR, S_IFDIR, S_IFREG } from '../abi/linux/fs';
import { Errno } from '../abi/linux/errno';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { pipeRows } from './pipe';
import { SyscallName } from '../abi/linux/syscalls';
import type { Task } from '../kernel/task';

function setup(): { t: Task; mem: ReturnType<typeof makeTask>['mem'] } {
  const gofer = new FakeGofer();
  gofer.add('etc', 'dir');
  gofer.add('etc/hosts', 'file', 'localhost\n');
  const { task, mem } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: 'processor\t: 0', memTotalKb: 2048 } }));
  return { t: task, mem };
}

function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow({ ...fsRows, ...pipeRows }, t, name, ...v);
}

describe('file syscalls', () => {
  it('open/write/lseek/read/pread through app memory', () => {
    const { t, mem } = setup();
    const fd = call(t, 'openat', AT_FDCWD, mem.str('/tmp/f'), O.CREAT | O.RDWR | O.CLOEXEC, 0o644);
    assert.equal(fd, 0, 'lowest free fd');
    assert.equal(call(t, 'fcntl', fd, F.GETFD), FD_CLOEXEC);
    assert.equal(call(t, 'write', fd, mem.alloc(5, Buffer.from('hello')), 5), 5);
    assert.equal(call(t, 'lseek', fd, 1, 0), 1);
    const buf = mem.alloc(16);
    assert.equal(call(t, 'read', fd, buf, 16), 4);
    assert.equal(mem.read(buf, 4).toString(), 'ello');
    assert.equal(call(t, 'pread64', fd, buf, 2, 3), 2);
    assert.equal(mem.read(buf, 2).toString(), 'lo');
    assert.equal(errnoOf(() => call(t, 'read', 99, buf, 1)), Errno.EBADF);
    call(t, 'lseek', fd, 0, 0);
    assert.equal(errnoOf(() => call(t, 'read', fd, 0x10, 1)), Errno.EFAULT);
  });

  it('writev/readv gather and scatter', () => {
    const { t, mem } = setup();
    const fd = call(t, 'open', mem.str('/tmp/v'), O.CREAT | O.RDWR, 0o600);
    const a = mem.alloc(3, Buffer.from('abc'));
    const b = mem.alloc(2, Buffer.from('de'));
    const iov = Buffer.alloc(32);
    iov.writeBigUInt64LE(BigInt(a), 0);
    iov.writeBigUInt64LE(3n, 8);
    iov.writeBigUInt64LE(BigInt(b), 16);
    iov.writeBigUInt64LE(2n, 24);
    assert.equal(call(t, 'writev', fd, mem.alloc(32, iov), 2), 5);
    assert.equal(call(t, 'pread64', fd, a, 3, 2), 3);
    assert.equal(mem.read(a, 3).toString(), 'cde');
    assert.equal(errnoOf(() => call(t, 'writev', fd, mem.alloc(32, iov), 1025)), Errno.EINVAL);
  });

  it('stat matches the x86_64 struct stat layout', () => {
    const { t, mem } = setup();
    const st = mem.alloc(144);
    call(t, 'stat', mem.str('/etc/hosts'), st);
    const b = mem.read(st, 144);
    assert.equal(b.readUInt32LE(24), S_IFREG | 0o644, 'st_mode at 24');
    assert.equal(b.readBigInt64LE(48), 10n, 'st_size at 48');
    assert.equal(b.readBigUInt64LE(16), 1n, 'st_nlink at 16');
    assert.equal(b.readBigInt64LE(56), 4096n, 'st_blksize at 56');
    assert.equal(b.readBigInt64LE(88), 1000n, 'st_mtime at 88');
    call(t, 'stat', mem.str('/dev/null'), st);
    const d = mem.read(st, 144);
    assert.equal(d.readUInt32LE(24), S_IFCHR | 0o666);
    assert.equal(d.readBigUInt64LE(40), 0x103n, 'st_rdev of /dev/null is makedev(1, 3)');
  });

  it('statx matches struct statx', () => {
    const { t, mem } = setup();
    const sx = mem.alloc(256);
    call(t, 'statx', AT_FDCWD, mem.str('/etc'), 0, 0x7ff, sx);
    const b = mem.read(sx, 256);
    assert.equal(b.readUInt32LE(0), 0x7ff, 'stx_mask');
    assert.equal(b.readUInt16LE(28), S_IFDIR | 0o755, 'stx_mode at 28');
    assert.equal(b.readBigInt64LE(112), 1000n, 'stx_mtime at 112');
    assert.equal(errnoOf(() => call(t, 'statx', AT_FDCWD, mem.str('/etc'), 0x6000, 0, sx)), Errno.EINVAL);
  });

  it('getdents64 writes aligned linux_dirent64 records and continues', () => {
    const { t, mem } = setup();
    const fd = call(t, 'open', mem.str('/etc'), O.RDONLY | O.DIRECTORY);
    const buf = mem.alloc(1024);
    const n = call(t, 'getdents64', fd, buf, 1024);
    const b = mem.read(buf, n);
    const seen: string[] = [];
    for (let off = 0; off < n; ) {
      const reclen = b.readUInt16LE(off + 16);
      assert.equal(reclen % 8, 0);
      seen.push(b.subarray(off + 19, b.indexOf(0, off + 19)).toString());
      off += reclen;
    }
    assert.deepEqual(seen, ['.', '..', 'hosts']);
    assert.equal(call(t, 'getdents64', fd, buf, 1024), 0);
    assert.equal(call(t, 'lseek', fd, 0, 0), 0);
    assert.equal(errnoOf(() => call(t, 'getdents64', fd, buf, 10)), Errno.EINVAL);
  });

  it('dup/dup2/dup3/fcntl follow Linux rules and RLIMIT_NOFILE', () => {
    const { t, mem } = setup();
    const fd = call(t, 'open', mem.str('/etc/hosts'), O.RDONLY);
    assert.equal(call(t, 'dup', fd), 1);
    assert.equal(call(t, 'dup2', fd, fd), fd);
    assert.equal(errnoOf(() => call(t, 'dup3', fd, fd, 0)), Errno.EINVAL);
    assert.equal(call(t, 'dup3', fd, 7, O.CLOEXEC), 7);
    assert.equal(call(t, 'fcntl', 7, F.GETFD), FD_CLOEXEC);
    assert.equal(call(t, 'fcntl', fd, F.DUPFD, 5), 5);
    assert.equal(call(t, 'fcntl', fd, F.GETFL), O.LARGEFILE);
    const buf = mem.alloc(4);
    call(t, 'read', 5, buf, 4);
    assert.equal(call(t, 'lseek', fd, 0, 1), 4, 'dup shares the offset');
    t.process.limits[7] = { cur: 8n, max: 8n };
    assert.equal(errnoOf(() => call(t, 'dup2', fd, 8)), Errno.EBADF);
    assert.equal(errnoOf(() => call(t, 'fcntl', fd, F.DUPFD, 8)), Errno.EINVAL);
    assert.deepEqual([2, 3, 4, 6].map(() => call(t, 'dup', fd)), [2, 3, 4, 6]);
    assert.equal(errnoOf(() => call(t, 'dup', fd)), Errno.EMFILE);
    const clone = t.process.fds.clone();
    t.process.fds.closeOnExec();
    assert.equal(errnoOf(() => t.process.fds.get(7)), Errno.EBADF);
    assert.ok(clone.get(7));
    assert.equal(call(t, 'close_range', 1, 100, 0), 0);
    assert.deepEqual(t.process.fds.list().map(([n]) => n), [0]);
  });

  it('ioctl FIOASYNC sets O_ASYNC on a pipe; ENOTTY on a regular file and /dev/null unless nothing changes (as Linux)', () => {
    const { t, mem } = setup();
    const fds = mem.alloc(8);
    call(t, 'pipe2', fds, 0);
    const r = mem.read(fds, 4).readInt32LE(0);
    const int = (v: number) => mem.alloc(4, Buffer.from(Int32Array.of(v).buffer));
    const async = (fd: number) => call(t, 'fcntl', fd, F.GETFL) & O.ASYNC;
    assert.equal(call(t, 'ioctl', r, FIOASYNC, int(1)), 0);
    assert.equal(async(r), O.ASYNC);
    assert.equal(call(t, 'ioctl', r, FIOASYNC, int(1)), 0, 'again: no change');
    assert.equal(call(t, 'ioctl', r, FIOASYNC, int(0)), 0);
    assert.equal(async(r), 0);
    const file = call(t, 'open', mem.str('/etc/hosts'), O.RDONLY);
    const dev = call(t, 'open', mem.str('/dev/null'), O.RDONLY);
    for (const fd of [file, dev]) {
      assert.equal(errnoOf(() => call(t, 'ioctl', fd, FIOASYNC, int(1))), Errno.ENOTTY);
      assert.equal(call(t, 'ioctl', fd, FIOASYNC, int(0)), 0, 'clearing a clear flag changes nothing');
      assert.equal(async(fd), 0);
    }
  });

  it('getcwd, chdir, mkdir, rename, unlink, readlink, umask', () => {
    const { t, mem } = setup();
    assert.equal(call(t, 'umask', 0o077), 0o022);
    call(t, 'mkdir', mem.str('/tmp/d'), 0o777);
    call(t, 'chdir', mem.str('/tmp/d'));
    const buf = mem.alloc(64);
    assert.equal(call(t, 'getcwd', buf, 64), 7);
    assert.equal(mem.read(buf, 7).toString(), '/tmp/d\0');
    assert.equal(errnoOf(() => call(t, 'getcwd', buf, 6)), Errno.ERANGE);
    call(t, 'symlink', mem.str('/etc/hosts'), mem.str('l'));
    assert.equal(call(t, 'readlink', mem.str('l'), buf, 4), 4);
    assert.equal(mem.read(buf, 4).toString(), '/etc');
    call(t, 'rename', mem.str('l'), mem.str('m'));
    call(t, 'unlink', mem.str('m'));
    assert.equal(errnoOf(() => call(t, 'unlink', mem.str('m'))), Errno.ENOENT);
    const st = mem.alloc(144);
    call(t, 'stat', mem.str('/tmp/d'), st);
    assert.equal(mem.read(st, 144).readUInt32LE(24), S_IFDIR | 0o700, 'umask 077 applied');
    assert.equal(errnoOf(() => call(t, 'chroot', mem.str('/'))), Errno.EPERM);
  });

  it('/proc shows the sandbox process and /dev devices behave', () => {
    const { t, mem } = setup();
    const read = (path: string): string => {
      const fd = call(t, 'open', mem.str(path), O.RDONLY);
      const buf = mem.alloc(4096);
      const n = call(t, 'read', fd, buf, 4096);
      call(t, 'close', fd);
      return mem.read(buf, n).toString();
    };
    assert.equal(read('/proc/self/cmdline'), '/bin/app\0x\0');
    assert.equal(read('/proc/1/comm'), 'app\n');
    assert.match(read('/proc/self/status'), /^Name:\tapp\n[\s\S]*\nPid:\t1\n[\s\S]*\nThreads:\t1\n/);
    assert.match(read('/proc/self/stat'), /^1 \(app\) R 0 1 1 /);
    assert.equal(read('/proc/self/stat').trim().split(' ').length, 52);
    assert.equal(read('/proc/version'), 'Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016\n');
    assert.equal(read('/proc/sys/kernel/hostname'), 'sandbox\n');
    assert.match(read('/proc/mounts'), /^overlay \/ overlay rw,relatime 0 0\nproc \/proc proc rw/);
    assert.match(read('/proc/meminfo'), /^MemTotal: +2048 kB\n/);
    const buf = mem.alloc(64);
    assert.equal(call(t, 'readlink', mem.str('/proc/self'), buf, 64), 1);
    assert.equal(call(t, 'readlink', mem.str('/proc/self/exe'), buf, 64), 8);
    const fd = call(t, 'open', mem.str('/etc/hosts'), O.RDONLY);
    assert.equal(mem.read(buf, call(t, 'readlink', mem.str(`/proc/self/fd/${fd}`), buf, 64)).toString(), '/etc/hosts');
    assert.equal(read(`/dev/fd/${fd}`), 'localhost\n');
    assert.equal(read('/dev/null'), '');
    assert.equal(read('/dev/zero').length, 4096);
    // One read of /dev/zero fills the whole count, past the 1 MiB chunks other devices stop at (Linux's read_zero).
    const zero = call(t, 'open', mem.str('/dev/zero'), O.RDONLY);
    const big = mem.alloc(3 << 20);
    assert.equal(call(t, 'read', zero, big, 3 << 20), 3 << 20);
    const full = call(t, 'open', mem.str('/dev/full'), O.WRONLY);
    assert.equal(errnoOf(() => call(t, 'write', full, buf, 1)), Errno.ENOSPC);
    assert.equal(errnoOf(() => call(t, 'open', mem.str('/dev/tty'), O.RDWR)), Errno.ENXIO);
    assert.equal(errnoOf(() => call(t, 'open', mem.str('/proc/version'), O.WRONLY)), Errno.EACCES);
    assert.equal(errnoOf(() => call(t, 'ioctl', fd, 0x5401, buf)), Errno.ENOTTY);
  });
});
