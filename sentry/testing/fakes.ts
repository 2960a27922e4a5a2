/**
 * Test doubles for kernel code: a sparse, page-granular app memory and a
 * Context that never runs anything. They let syscall handlers run in
 * unit tests without ptrace.
 */
import { AddressSpace, Context, MemoryIO, Registers, StopEvent } from '../platform/platform';
import { fail } from '../errors/linuxerr';
import { Kernel } from '../kernel/kernel';
import { Process, Task } from '../kernel/task';
import { Credentials } from '../kernel/creds';
import { defaultLimits } from '../kernel/limits';
import { MemoryManager } from '../mm/mm';
import { FdTable } from '../vfs/fdtable';
import { FsContext } from '../vfs/fscontext';
import { Vfs } from '../vfs/vfs';
import { Platform } from '../platform/platform';
import { SyscallArgs } from '../syscalls/args';
import { SYSCALL_ARG_REGS } from '../abi/linux/ptrace';

const PAGE = 0x1000;

/** App memory made of explicitly mapped pages; anything else is EFAULT. */
export class FakeMemory implements MemoryIO, AddressSpace {
  readonly pages = new Map<number, Buffer>();
  readonly calls: string[] = [];

  mapAnonymous(addr: number, len: number, prot: number): void {
    this.calls.push(`mmap ${addr.toString(16)} ${len.toString(16)} ${prot}`);
    for (let p = addr; p < addr + len; p += PAGE) this.pages.set(p, Buffer.alloc(PAGE));
  }
  unmap(addr: number, len: number): void {
    this.calls.push(`munmap ${addr.toString(16)} ${len.toString(16)}`);
    for (let p = addr; p < addr + len; p += PAGE) this.pages.delete(p);
  }
  protect(addr: number, len: number, prot: number): void {
    this.calls.push(`mprotect ${addr.toString(16)} ${len.toString(16)} ${prot}`);
  }
  remap(oldAddr: number, oldLen: number, newLen: number, newAddr: number): void {
    this.calls.push(`mremap ${oldAddr.toString(16)} ${oldLen.toString(16)} ${newLen.toString(16)} ${newAddr.toString(16)}`);
    const moved: Buffer[] = [];
    for (let p = 0; p < oldLen; p += PAGE) moved.push(this.pages.get(oldAddr + p) ?? Buffer.alloc(PAGE));
    this.unmap(oldAddr, oldLen);
    this.mapAnonymous(newAddr, newLen, 0);
    moved.forEach((b, i) => i * PAGE < newLen && this.pages.set(newAddr + i * PAGE, b));
  }

  private each(addr: number, len: number, f: (page: Buffer, off: number, done: number, n: number) => void): void {
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const base = a - (a % PAGE);
      const page = this.pages.get(base) ?? fail('EFAULT', `fake memory ${a.toString(16)}`);
      const n = Math.min(PAGE - (a - base), len - done);
      f(page, a - base, done, n);
      done += n;
    }
  }
  read(addr: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    this.readInto(addr, b);
    return b;
  }
  readInto(addr: number, dst: Uint8Array): void {
    this.each(addr, dst.length, (page, off, done, n) => dst.set(page.subarray(off, off + n), done));
  }
  write(addr: number, src: Uint8Array): void {
    this.each(addr, src.length, (page, off, done, n) => page.set(src.subarray(done, done + n), off));
  }
}

export class FakeContext implements Context {
  readonly regs = new Registers();
  killed = false;
  constructor(readonly memory = new FakeMemory()) {}
  get mem(): MemoryIO {
    return this.memory;
  }
  get as(): AddressSpace {
    return this.memory;
  }
  switchTo(): StopEvent {
    throw new Error('FakeContext cannot run code');
  }
  cpuTimeNs(): bigint {
    return 1_500_000_000n;
  }
  kill(): void {
    this.killed = true;
  }
}

class FakePlatform implements Platform {
  readonly name = 'fake';
  newContext(): FakeContext {
    return new FakeContext();
  }
}

/** A kernel with one process (pid 1) and one task, backed by fakes. */
export function fakeTask(makeVfs: (k: Kernel) => Vfs = () => new Vfs()): { task: Task; ctx: FakeContext; kernel: Kernel } {
  const kernel = new Kernel(new FakePlatform(), makeVfs, { hostname: 'sandbox' });
  const ctx = new FakeContext();
  const proc = new Process(
    kernel, kernel.allocTid(), 0, new MemoryManager(ctx.as, ctx.mem, 0x7ffb_0000_0000), new FdTable(),
    new FsContext('/'), new Credentials(), defaultLimits(),
  );
  const task = new Task(kernel, proc.pid, proc, ctx);
  kernel.processes.set(proc.pid, proc);
  kernel.tasks.set(task.tid, task);
  return { task, ctx, kernel };
}

/** Syscall arguments as the handler would see them. */
export function argsOf(ctx: FakeContext, nr: number, ...values: (number | bigint)[]): SyscallArgs {
  ctx.regs.set(15 /* orig_rax */, BigInt(nr));
  values.forEach((v, i) => ctx.regs.set(SYSCALL_ARG_REGS[i], BigInt.asUintN(64, BigInt(v))));
  return new SyscallArgs(ctx.regs);
}
