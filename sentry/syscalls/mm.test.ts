import assert from 'node:assert/strict';
import { MAP, PROT } from '../abi/linux/mm';
import { SYS } from '../abi/linux/syscalls';
import { isLinuxError } from '../errors/linuxerr';
import { MemoryManager } from '../mm/mm';
import { FakeMemory } from '../mm/testing';
import { argsOf, fakeTask } from '../testing/fakes';
import { mmSyscalls } from './mm';
import { SyscallRow } from './types';

const TASK = 0x7ffb_0000_0000;

function setup() {
  const f = fakeTask();
  const mem = new FakeMemory();
  f.task.process.mm = new MemoryManager(mem, mem, TASK);
  const call = (name: keyof typeof mmSyscalls, ...args: (number | bigint)[]) =>
    (mmSyscalls[name] as SyscallRow).handler(f.task, argsOf(f.ctx, SYS[name], ...args));
  return { ...f, mem, call };
}

describe('mm syscalls', () => {
  it('mmap, mprotect, mincore and munmap through the argument registers', () => {
    const { call, task, ctx, mem } = setup();
    const a = call('mmap', 0, 8192, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0) as number;
    assert.equal(a, task.process.mm.mmapBase - 8192);
    assert.equal(call('mprotect', a, 4096, PROT.READ), 0);
    assert.equal(mem.protAt(a), PROT.READ);
    ctx.memory.mapAnonymous(0x10000, 0x1000, 3);
    assert.equal(call('mincore', a, 8192, 0x10000), 0);
    assert.deepEqual([...ctx.memory.read(0x10000, 3)], [1, 1, 0]);
    assert.equal(call('munmap', a, 8192), 0);
    assert.equal(task.process.mm.vmas.size, 0);
  });

  it('checks the offset before the fd, and unknown high flag bits', () => {
    const { call } = setup();
    assert.throws(() => call('mmap', 0, 4096, PROT.READ, MAP.PRIVATE, 99, 1), (e) => isLinuxError(e, 'EINVAL'));
    assert.throws(() => call('mmap', 0, 4096, PROT.READ, MAP.PRIVATE, 99, 0), (e) => isLinuxError(e, 'EBADF'));
    assert.throws(() => call('mprotect', 0x10000, 4096, 1n << 40n), (e) => isLinuxError(e, 'EINVAL'));
    assert.throws(() => call('mremap', 0x10000, 4096, 4096, 1n << 33n, 0), (e) => isLinuxError(e, 'EINVAL'));
  });

  it('brk reports the break', () => {
    const { call, task } = setup();
    task.process.mm.setBrkStart(0x60_0000);
    assert.equal(call('brk', 0), 0x60_0000);
    assert.equal(call('brk', 0x60_1000), 0x60_1000);
  });
});
