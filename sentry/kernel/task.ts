import { Context, MemoryIO, Registers } from '../platform/platform';
import { MemoryManager } from '../mm/mm';
import { FdTable } from '../vfs/fdtable';
import { FsContext } from '../vfs/fscontext';
import { Credentials } from './creds';
import { Rlimit } from './limits';
import type { Kernel } from './kernel';

/** A thread group: what Linux calls a process. Pids are virtual (the first is 1). */
export class Process {
  /** argv/envp of the current image, for /proc/[pid]/cmdline and environ. */
  argv: string[] = [];
  envp: string[] = [];
  /** Sandbox path of the current executable (/proc/[pid]/exe). */
  exe = '';
  /** comm (PR_SET_NAME, /proc/[pid]/comm): basename of exe, 15 bytes at most. */
  comm = '';
  /** Set once the whole group has exited: wait status in Linux's encoding. */
  exitStatus: number | undefined;
  readonly tasks = new Set<Task>();

  constructor(
    readonly kernel: Kernel,
    readonly pid: number,
    public ppid: number,
    public mm: MemoryManager,
    public fds: FdTable,
    public fs: FsContext,
    public creds: Credentials,
    public limits: Rlimit[],
  ) {}
}

/** One application thread, running on a platform Context. */
export class Task {
  /** set_tid_address(2): cleared and futex-woken at exit. */
  clearChildTid = 0;

  constructor(
    readonly kernel: Kernel,
    readonly tid: number,
    readonly process: Process,
    readonly ctx: Context,
  ) {
    process.tasks.add(this);
  }

  get mem(): MemoryIO {
    return this.ctx.mem;
  }

  get regs(): Registers {
    return this.ctx.regs;
  }
}
