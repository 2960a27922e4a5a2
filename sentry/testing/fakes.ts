/**
 * Test doubles for kernel code: a Context that never runs anything, over
 * the mm's fake page map, and a kernel with one process. They let syscall handlers run in
 * unit tests without ptrace.
 */
import { AddressSpace, Context, MemoryIO, Registers, StopEvent } from '../platform/platform';
import { FakeMemory } from '../mm/testing';
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
import { PROT } from '../abi/linux/mm';

export class FakeContext implements Context {
  readonly regs = new Registers();
  killed = false;
  constructor(
    readonly memory = new FakeMemory(),
    readonly mem: MemoryIO = memory,
    readonly as: AddressSpace = memory,
  ) {}
  switchTo(): StopEvent {
    throw new Error('FakeContext cannot run code');
  }
  resume(): void {
    throw new Error('FakeContext cannot run code');
  }
  fork(): FakeContext {
    return new FakeContext();
  }
  newThread(): FakeContext {
    return new FakeContext(this.memory);
  }
  exitThread(): void {
    this.killed = true;
  }
  halt(): void {}
  cpuTimeNs(): bigint {
    return 1_500_000_000n;
  }
  kill(): void {
    this.killed = true;
  }
}

export class FakePlatform implements Platform {
  readonly name = 'fake';
  newContext(): FakeContext {
    return new FakeContext();
  }
  waitAny(): undefined {
    throw new Error('FakePlatform runs no code');
  }
}

/**
 * Handler tests read and write the fake memory at addresses of their
 * choosing below 4 GiB: the mm is told the app mapped all of it writable
 * (an area in its model only), since reads store only where it allows.
 */
export function mapTestMemory(mm: MemoryManager): void {
  mm.vmas.insert({ start: 0x1_0000, end: 0x1_0000_0000, prot: PROT.READ | PROT.WRITE, maxProt: PROT.READ | PROT.WRITE | PROT.EXEC, shared: false, growsDown: false, backing: { kind: 'anon' } });
}

/** A kernel with one process (pid 1) and one task, backed by fakes. */
export function fakeTask(makeVfs: (k: Kernel) => Vfs = () => new Vfs()): { task: Task; ctx: FakeContext; kernel: Kernel } {
  const kernel = new Kernel(new FakePlatform(), makeVfs, { hostname: 'sandbox' });
  const ctx = new FakeContext();
  const proc = new Process(
    kernel, kernel.allocTid(), 0, new MemoryManager(ctx.as, ctx.mem, 0x7ffb_0000_0000), new FdTable(),
    new FsContext('/'), new Credentials(), defaultLimits(),
  );
  mapTestMemory(proc.mm);
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
