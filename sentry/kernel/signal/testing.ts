/** Test helpers for signal code: more processes in a fake kernel, handler actions, a stack. */
import { SA } from '../../abi/linux/sigframe';
import { REG } from '../../abi/linux/ptrace';
import { MemoryManager } from '../../mm/mm';
import { FakeContext, fakeTask } from '../../testing/fakes';
import { FdTable } from '../../vfs/fdtable';
import { FsContext } from '../../vfs/fscontext';
import { Credentials } from '../creds';
import { Kernel } from '../kernel';
import { defaultLimits } from '../limits';
import { SigAction } from '../signals';
import { Process, Task } from '../task';

export const STACK = 0x7000_0000;
export const STACK_SIZE = 0x10000;
export const HANDLER = 0x40_5000n;
export const RESTORER = 0x40_6000n;

/** Gives a fake task a mapped stack and user-mode segment registers. */
export function withStack(ctx: FakeContext): void {
  ctx.memory.mapAnonymous(STACK, STACK_SIZE, 3);
  ctx.regs.set(REG.cs, 0x33n);
  ctx.regs.set(REG.ss, 0x2bn);
  ctx.regs.set(REG.rsp, BigInt(STACK + STACK_SIZE - 0x100));
  ctx.regs.set(REG.rip, 0x40_1002n);
}

/** A sandbox with init (pid 1) on a stack, recording the tasks the scheduler was asked to interrupt. */
export function sandbox(): { task: Task; ctx: FakeContext; kernel: Kernel; interrupted: Task[] } {
  const f = fakeTask();
  withStack(f.ctx);
  const interrupted: Task[] = [];
  f.kernel.sched = { ...f.kernel.sched, interrupt: (t) => interrupted.push(t) };
  return { ...f, interrupted };
}

/** A new process (one task) as a child of `parent`, in `parent`'s process group. */
export function child(kernel: Kernel, parent: Process): { task: Task; ctx: FakeContext } {
  const ctx = new FakeContext();
  withStack(ctx);
  const pid = kernel.allocTid();
  const p = new Process(
    kernel, pid, parent.pid, new MemoryManager(ctx.as, ctx.mem, 0x7ffb_0000_0000), new FdTable(),
    new FsContext('/'), new Credentials(), defaultLimits(),
  );
  p.parent = parent;
  p.pgid = parent.pgid;
  parent.children.add(p);
  kernel.processes.set(pid, p);
  const task = new Task(kernel, pid, p, ctx);
  kernel.tasks.set(pid, task);
  return { task, ctx };
}

/** Another thread in `p`, sharing the memory of `sibling`. */
export function thread(kernel: Kernel, p: Process, sibling: FakeContext): Task {
  const t = new Task(kernel, kernel.allocTid(), p, new FakeContext(sibling.memory));
  kernel.tasks.set(t.tid, t);
  return t;
}

/** A handler action with SA_RESTORER plus `flags`. */
export function handler(flags = 0, mask = 0n): SigAction {
  return { handler: HANDLER, flags: BigInt(SA.RESTORER | flags), restorer: RESTORER, mask };
}
