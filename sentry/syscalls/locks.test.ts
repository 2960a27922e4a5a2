import assert from 'node:assert/strict';
import { AT_FDCWD, F, F_RDLCK, F_UNLCK, F_WRLCK, FLOCK, LOCK, O } from '../abi/linux/fs';
import { Errno } from '../abi/linux/errno';
import { SyscallName } from '../abi/linux/syscalls';
import { Process, Task } from '../kernel/task';
import { FakeContext } from '../testing/fakes';
import { buildRootVfs } from '../vfs/mounts';
import { blockOf, callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';

/** Process 1 (`a`), and `fork()` for a child (pid 2) that inherits its descriptors. */
function setup(): { a: Task; fork: () => Task; mem: FakeMemory } {
  const gofer = new FakeGofer();
  gofer.add('etc', 'dir');
  const { task, mem, kernel } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 2048 } }));
  const fork = (): Task => {
    const p = task.process;
    // Same files through a copy of the table; memory is shared for the test's convenience.
    const p2 = new Process(kernel, 2, 1, p.mm, p.fds.clone(), p.fs, p.creds, p.limits);
    p2.mounts = p.mounts;
    kernel.processes.set(2, p2);
    const b = new Task(kernel, 2, p2, new FakeContext(undefined, mem, task.ctx.as));
    kernel.tasks.set(2, b);
    return b;
  };
  return { a: task, fork, mem };
}

function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow(fsRows, t, name, ...v);
}

function flockStruct(mem: FakeMemory, type: number, start: number, len: number | bigint, whence = 0, pid = 0): number {
  const b = Buffer.alloc(FLOCK.SIZE);
  b.writeInt16LE(type, FLOCK.TYPE);
  b.writeInt16LE(whence, FLOCK.WHENCE);
  b.writeBigInt64LE(BigInt(start), FLOCK.START);
  b.writeBigInt64LE(BigInt(len), FLOCK.LEN);
  b.writeInt32LE(pid, FLOCK.PID);
  return mem.alloc(FLOCK.SIZE, b);
}

function readFlock(mem: FakeMemory, addr: number): string {
  const b = mem.read(addr, FLOCK.SIZE);
  return `type=${b.readInt16LE(FLOCK.TYPE)} whence=${b.readInt16LE(FLOCK.WHENCE)} start=${b.readBigInt64LE(FLOCK.START)} len=${b.readBigInt64LE(FLOCK.LEN)} pid=${b.readInt32LE(FLOCK.PID)}`;
}

describe('file lock syscalls', () => {
  it('flock: per description, EWOULDBLOCK under LOCK_NB, Block otherwise, released on the last close', () => {
    const { a, fork, mem } = setup();
    const path = mem.str('/tmp/f');
    const b = fork();
    const fd = call(a, 'openat', AT_FDCWD, path, O.CREAT | O.RDWR, 0o644);
    const other = call(b, 'openat', AT_FDCWD, path, O.RDONLY, 0);
    assert.equal(call(a, 'flock', fd, LOCK.EX), 0);
    assert.equal(errnoOf(() => call(b, 'flock', other, LOCK.SH | LOCK.NB)), Errno.EAGAIN);
    const blk = blockOf(() => call(b, 'flock', other, LOCK.SH));
    assert.equal(blk.interrupt, 'restart');
    const dup = call(a, 'dup', fd);
    call(a, 'close', fd);
    assert.equal(errnoOf(() => call(b, 'flock', other, LOCK.SH | LOCK.NB)), Errno.EAGAIN, 'the dup keeps the description');
    let woken = 0;
    blk.queues[0].add(() => woken++);
    call(a, 'close', dup);
    assert.ok(woken > 0);
    assert.equal(call(b, 'flock', other, LOCK.SH | LOCK.NB), 0);
    assert.equal(errnoOf(() => call(b, 'flock', other, 3)), Errno.EINVAL);
  });

  it('F_GETLK reports the other process\'s lock with its pid; F_SETLK conflicts are EAGAIN', () => {
    const { a, fork, mem } = setup();
    const fd = call(a, 'openat', AT_FDCWD, mem.str('/tmp/g'), O.CREAT | O.RDWR, 0o644);
    const b = fork();
    assert.equal(call(a, 'fcntl', fd, F.SETLK, flockStruct(mem, F_WRLCK, 10, 20)), 0);
    const q = flockStruct(mem, F_RDLCK, 0, 0);
    assert.equal(call(b, 'fcntl', fd, F.GETLK, q), 0);
    assert.equal(readFlock(mem, q), `type=${F_WRLCK} whence=0 start=10 len=20 pid=1`);
    assert.equal(errnoOf(() => call(b, 'fcntl', fd, F.SETLK, flockStruct(mem, F_RDLCK, 29, 1))), Errno.EAGAIN);
    assert.equal(call(b, 'fcntl', fd, F.SETLK, flockStruct(mem, F_RDLCK, 30, 0)), 0);
    const own = flockStruct(mem, F_WRLCK, 0, 0);
    call(a, 'fcntl', fd, F.GETLK, own);
    assert.equal(readFlock(mem, own), `type=${F_RDLCK} whence=0 start=30 len=0 pid=2`);
    const free = flockStruct(mem, F_WRLCK, 0, 5, 0, 77);
    call(b, 'fcntl', fd, F.GETLK, free);
    assert.equal(readFlock(mem, free), `type=${F_UNLCK} whence=0 start=0 len=5 pid=77`, 'only l_type changes');
  });

  it('closing any descriptor of the file drops the process\'s POSIX locks; OFD locks stay with the description', () => {
    const { a, fork, mem } = setup();
    const path = mem.str('/tmp/h');
    const fd = call(a, 'openat', AT_FDCWD, path, O.CREAT | O.RDWR, 0o644);
    const ofdFd = call(a, 'openat', AT_FDCWD, path, O.RDWR, 0);
    const b = fork();
    call(a, 'fcntl', fd, F.SETLK, flockStruct(mem, F_WRLCK, 0, 10));
    call(a, 'fcntl', ofdFd, F.OFD_SETLK, flockStruct(mem, F_WRLCK, 100, 10));
    const other = call(a, 'openat', AT_FDCWD, path, O.RDONLY, 0);
    call(a, 'close', other);
    const q = flockStruct(mem, F_WRLCK, 0, 0);
    call(b, 'fcntl', fd, F.GETLK, q);
    assert.equal(readFlock(mem, q), `type=${F_WRLCK} whence=0 start=100 len=10 pid=-1`, 'the POSIX lock went, the OFD one stayed');
    assert.equal(errnoOf(() => call(a, 'fcntl', fd, F.SETLK, flockStruct(mem, F_RDLCK, 105, 1))), Errno.EAGAIN, 'OFD and POSIX locks conflict within a process');
    assert.equal(errnoOf(() => call(a, 'fcntl', fd, F.OFD_SETLK, flockStruct(mem, F_RDLCK, 0, 1, 0, 5))), Errno.EINVAL, 'l_pid must be 0');
    call(b, 'close', ofdFd); // the child's reference: the description lives on in the parent
    call(b, 'fcntl', fd, F.GETLK, q);
    assert.equal(mem.read(q, 2).readInt16LE(0), F_WRLCK);
    call(a, 'close', ofdFd);
    call(b, 'fcntl', fd, F.GETLK, q);
    assert.equal(mem.read(q, 2).readInt16LE(0), F_UNLCK);
  });

  it('F_SETLKW blocks, and reports EDEADLK when the holder waits for the caller', () => {
    const { a, fork, mem } = setup();
    const fd = call(a, 'openat', AT_FDCWD, mem.str('/tmp/d'), O.CREAT | O.RDWR, 0o644);
    const b = fork();
    call(a, 'fcntl', fd, F.SETLK, flockStruct(mem, F_WRLCK, 0, 1));
    call(b, 'fcntl', fd, F.SETLK, flockStruct(mem, F_WRLCK, 1, 1));
    const blk = blockOf(() => call(b, 'fcntl', fd, F.SETLKW, flockStruct(mem, F_WRLCK, 0, 1)));
    assert.equal(errnoOf(() => call(a, 'fcntl', fd, F.SETLKW, flockStruct(mem, F_WRLCK, 1, 1))), Errno.EDEADLK);
    blk.cancel?.();
    assert.ok(blockOf(() => call(a, 'fcntl', fd, F.SETLKW, flockStruct(mem, F_WRLCK, 1, 1))), 'no cycle once b stopped waiting');
  });

  it('checks the access mode, the type and the range', () => {
    const { a, mem } = setup();
    const path = mem.str('/tmp/r');
    const ro = call(a, 'openat', AT_FDCWD, path, O.CREAT | O.RDONLY, 0o644);
    const wo = call(a, 'openat', AT_FDCWD, path, O.WRONLY, 0);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.SETLK, flockStruct(mem, F_WRLCK, 0, 1))), Errno.EBADF);
    assert.equal(errnoOf(() => call(a, 'fcntl', wo, F.SETLK, flockStruct(mem, F_RDLCK, 0, 1))), Errno.EBADF);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.SETLK, flockStruct(mem, 7, 0, 1))), Errno.EINVAL);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.GETLK, flockStruct(mem, F_UNLCK, 0, 1))), Errno.EINVAL);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.SETLK, flockStruct(mem, F_RDLCK, 5, -6))), Errno.EINVAL);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.SETLK, flockStruct(mem, F_RDLCK, 0, 1, 9))), Errno.EINVAL);
    assert.equal(errnoOf(() => call(a, 'fcntl', ro, F.SETLK, flockStruct(mem, F_RDLCK, 2, 0x7fffffffffffffffn))), Errno.EOVERFLOW);
  });
});
