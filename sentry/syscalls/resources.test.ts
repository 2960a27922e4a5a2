import assert from 'node:assert/strict';
import { AT_FDCWD, O } from '../abi/linux/fs';
import { Errno } from '../abi/linux/errno';
import type { Task } from '../kernel/task';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { resourceSyscalls } from './resources';
import type { SyscallName } from '../abi/linux/syscalls';

describe('the CPU count', () => {
  // cpuinfo says one CPU; the kernel is told three: every view must show the kernel's number.
  const { task, mem } = makeTask(
    (k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: 'processor\t: 0\n', memTotalKb: 1 } }),
    undefined,
    { cpus: 3 },
  );
  const call = (t: Task, name: SyscallName, ...v: (number | bigint)[]): number => callRow({ ...fsRows, ...resourceSyscalls }, t, name, ...v);
  const readFile = (path: string): string => {
    const fd = call(task, 'openat', AT_FDCWD, mem.str(path), O.RDONLY, 0);
    const buf = mem.alloc(4096);
    const n = call(task, 'read', fd, buf, 4096);
    call(task, 'close', fd);
    return mem.read(buf, n).toString();
  };

  it('sched_getaffinity: a mask of the kernel CPUs, in 8-byte words; EINVAL for a shorter or ragged size', () => {
    const buf = mem.alloc(16, Buffer.alloc(16, 0xff));
    assert.equal(call(task, 'sched_getaffinity', 0, 16, buf), 8);
    assert.deepEqual([...mem.read(buf, 9)], [0b111, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    assert.equal(errnoOf(() => call(task, 'sched_getaffinity', 0, 4, buf)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(task, 'sched_getaffinity', 0, 12, buf)), Errno.EINVAL);
  });

  it('sched_setaffinity: EINVAL for a mask naming none of the kernel CPUs', () => {
    assert.equal(call(task, 'sched_setaffinity', 0, 8, mem.alloc(8, Buffer.from([0b100, 0, 0, 0, 0, 0, 0, 0]))), 0);
    assert.equal(errnoOf(() => call(task, 'sched_setaffinity', 0, 8, mem.alloc(8, Buffer.from([0b1000, 0, 0, 0, 0, 0, 0, 0])))), Errno.EINVAL);
  });

  it('/proc/stat and /sys/devices/system/cpu show the same CPUs', () => {
    assert.deepEqual(readFile('/proc/stat').match(/^cpu\d+/gm), ['cpu0', 'cpu1', 'cpu2']);
    assert.equal(readFile('/sys/devices/system/cpu/online'), '0-2\n');
    assert.equal(readFile('/sys/devices/system/cpu/possible'), '0-2\n');
  });
});
