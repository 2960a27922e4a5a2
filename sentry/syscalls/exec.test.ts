import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { S_IFREG } from '../abi/linux/fs';
import { REG } from '../abi/linux/ptrace';
import { SYS } from '../abi/linux/syscalls';
import { fail, isLinuxError } from '../errors/linuxerr';
import { MemoryManager } from '../mm/mm';
import { FakeMemory, MemFile } from '../mm/testing';
import { argsOf, fakeTask } from '../testing/fakes';
import { execSyscalls } from './exec';
import { SyscallControl, SyscallRow } from './types';

const TASK = 0x7ffb_0000_0000;
const SCRATCH = 0x10000;

function setup(files: Record<string, MemFile>) {
  const f = fakeTask();
  const mem = new FakeMemory();
  f.task.process.mm = new MemoryManager(mem, mem, TASK);
  f.task.kernel.vfs.openPath = (_t, path) => {
    const file = files[path] ?? fail('ENOENT', path);
    file.incRef();
    return file;
  };
  f.ctx.memory.mapAnonymous(SCRATCH, 0x4000, 3);
  let at = SCRATCH + 0x1000;
  const str = (s: string): number => {
    const a = at;
    f.ctx.memory.write(a, Buffer.from(`${s}\0`));
    at += s.length + 1;
    return a;
  };
  /** Writes a NULL-terminated pointer array at `where`. */
  const array = (where: number, items: string[]): number => {
    const b = Buffer.alloc((items.length + 1) * 8);
    items.forEach((s, i) => b.writeBigUInt64LE(BigInt(str(s)), i * 8));
    f.ctx.memory.write(where, b);
    return where;
  };
  const call = (name: keyof typeof execSyscalls, ...args: (number | bigint)[]) =>
    (execSyscalls[name] as SyscallRow).handler(f.task, argsOf(f.ctx, SYS[name], ...args));
  return { ...f, mem, str, array, call };
}

describe('exec syscalls', () => {
  const busybox = (): MemFile => new MemFile('/bin/busybox', readFileSync('/bin/busybox'), 0, S_IFREG | 0o755);

  it('execve replaces the image, registers and process fields', () => {
    const bb = busybox();
    const s = setup({ '/bin/busybox': bb });
    s.task.process.mm.mmap({ addr: 0, len: 4096, prot: 3, flags: 0x22, offset: 0n });
    s.task.altStack = { sp: 0x1000, flags: 0, size: 4096 };
    const r = s.call('execve', s.str('/bin/busybox'), s.array(SCRATCH, ['sh', '-c', 'true']), s.array(SCRATCH + 0x100, ['A=1']));
    assert.equal(r, SyscallControl.REGS_SET);
    const p = s.task.process;
    assert.deepEqual(p.argv, ['sh', '-c', 'true']);
    assert.deepEqual(p.envp, ['A=1']);
    assert.equal(p.exe, '/bin/busybox');
    assert.equal(p.comm, 'busybox');
    assert.equal(s.task.altStack.flags, 2);
    assert.equal(bb.refs, 1, 'the exec reference was released');
    assert.ok(s.mem.calls.includes(`unmap 0 ${TASK.toString(16)}`));
    assert.equal(p.mm.vmas.find(p.mm.mmapBase - 4096), undefined, 'old mappings are gone');
    assert.equal(Number(s.ctx.regs.get(REG.rsp)), p.mm.layout.startStack);
    assert.ok(p.mm.procMaps().includes('/bin/busybox'));
  });

  it('fails without touching the old image', () => {
    const s = setup({ '/bin/busybox': busybox(), '/text': new MemFile('/text', Buffer.from('hello'), 0, S_IFREG | 0o755) });
    const mm = s.task.process.mm;
    const expect = (name: Parameters<typeof isLinuxError>[1], fn: () => unknown): void => {
      assert.throws(fn, (e) => isLinuxError(e, name));
    };
    expect('ENOENT', () => s.call('execve', s.str('/nope'), 0, 0));
    expect('ENOENT', () => s.call('execve', s.str(''), 0, 0));
    expect('ENOEXEC', () => s.call('execve', s.str('/text'), 0, 0));
    expect('EFAULT', () => s.call('execve', s.str('/bin/busybox'), 0x9990000, 0));
    expect('EFAULT', () => s.call('execve', 0x9990000, 0, 0));
    const big = 'x'.repeat(32 * 4096);
    s.ctx.memory.mapAnonymous(0x100000, 0x21000, 3);
    s.ctx.memory.write(0x100000, Buffer.from(`${big}\0`));
    const arr = Buffer.alloc(16);
    arr.writeBigUInt64LE(0x100000n);
    s.ctx.memory.write(SCRATCH + 0x800, arr);
    expect('E2BIG', () => s.call('execve', s.str('/bin/busybox'), SCRATCH + 0x800, 0));
    expect('EINVAL', () => s.call('execveat', -100, s.str('/bin/busybox'), 0, 0, 0x8000));
    assert.equal(s.task.process.mm, mm);
    assert.equal(s.mem.calls.length, 0);
  });
});
