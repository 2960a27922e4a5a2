import { REG } from '../abi/linux/ptrace';
import { Errno } from '../abi/linux/errno';
import { SYSCALL_NAMES } from '../abi/linux/syscalls';
import { LinuxError } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { raiseSigpipe } from './pipe';
import { SYS } from '../abi/linux/syscalls';

const WRITES: ReadonlySet<number> = new Set([SYS.write, SYS.writev, SYS.pwrite64, SYS.pwritev, SYS.pwritev2, SYS.sendfile, SYS.splice, SYS.tee, SYS.vmsplice, SYS.copy_file_range]);
import { SyscallArgs } from './args';
import { SYSCALL_TABLE } from './table';
import { SyscallControl, SyscallResult } from './types';
import { formatCall, formatResult } from '../strace/format';
import { seccompVerdict } from './seccomp';

/** How a syscall ended: its result is in rax, the task is gone, or it must wait. */
export type DispatchOutcome = 'done' | 'exited' | Block;

/**
 * Runs the syscall the task stopped at (unless its seccomp filters say
 * otherwise) and writes the result to rax. This
 * is the only place a LinuxError becomes -errno. A handler that throws
 * Block is parked by the scheduler and re-run later. A handler bug (any
 * other exception) is logged and answered with EIO rather than taking
 * down the sandbox.
 */
export function dispatch(t: Task): DispatchOutcome {
  const args = new SyscallArgs(t.regs);
  const nr = args.nr;
  const row = SYSCALL_TABLE.get(nr);
  const strace = t.kernel.opts.strace;
  const entry = strace ? formatCall(t, nr, args) : '';
  let result: SyscallResult;
  const verdict = seccompVerdict(t, nr, args);
  if (verdict !== undefined) {
    result = verdict;
  } else if (!row) {
    t.kernel.recordUnsupported(SYSCALL_NAMES.get(nr) ?? `syscall_${nr}`);
    result = -Errno.ENOSYS;
  } else {
    try {
      t.process.mm.useContext(t.ctx);
      result = row.handler(t, args);
    } catch (e) {
      if (e instanceof Block) return e;
      if (e instanceof LinuxError) {
        result = -e.errno;
        // EIO means a host-side failure (a broken Gofer connection, a lost stub): worth a log line.
        if (e.errno === Errno.EIO) t.kernel.debug(`${row.name}: ${e.message}`);
        // Writes to a pipe or socket without readers also raise SIGPIPE (send* decide for themselves).
        if (e.errno === Errno.EPIPE && WRITES.has(nr)) raiseSigpipe(t);
      } else {
        t.kernel.debug(`BUG in ${row.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        result = -Errno.EIO;
      }
    }
  }
  if (strace) strace(`[${t.tid}] ${entry} = ${formatResult(t, nr, args, result)}`);
  t.syscallDone();
  if (result === SyscallControl.TASK_EXITED) return 'exited';
  if (result !== SyscallControl.REGS_SET) t.regs.set(REG.rax, BigInt(result));
  return 'done';
}
