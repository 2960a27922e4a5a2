/** pipe(2)/pipe2(2), and the pipe-size fcntls for fs-open's fcntl to delegate to. */
import { F, O } from '../abi/linux/fs';
import { SIG } from '../abi/linux/signal';
import { fail } from '../errors/linuxerr';
import { sendSignal } from '../kernel/signal/send';
import type { Task } from '../kernel/task';
import { newPipe, PipeFile } from '../fsimpl/pipe/pipe';
import type { FileDescription } from '../vfs/file';
import type { SyscallArgs } from './args';
import { nofile } from './fs-mem';
import { FamilyRows, partial } from './rows';

/**
 * Installs both ends and writes int[2]; like Linux, nothing stays installed
 * when the array cannot be written (EFAULT).
 */
function makePipe(t: Task, addr: number, flags: number): number {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK | O.DIRECT)) fail('EINVAL', `pipe2 flags ${flags.toString(8)}`);
  if (flags & O.DIRECT) fail('EINVAL', 'O_DIRECT (packet mode) pipes are not supported');
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const ends = newPipe(t.process.creds.euid, t.process.creds.egid, flags & O.NONBLOCK);
  const fds: number[] = [];
  try {
    for (const end of ends) fds.push(t.process.fds.install(end, { cloexec, limit: nofile(t) }));
    const b = Buffer.alloc(8);
    b.writeInt32LE(fds[0], 0);
    b.writeInt32LE(fds[1], 4);
    t.mem.write(addr, b);
    return 0;
  } catch (e) {
    for (const fd of fds) t.process.fds.close(fd);
    ends.slice(fds.length).forEach((end) => end.decRef());
    throw e;
  }
}

/** pipe(2). */
function pipe(t: Task, a: SyscallArgs): number {
  return makePipe(t, a.ptr(0), 0);
}

/** pipe2(2): O_CLOEXEC and O_NONBLOCK; O_DIRECT (packet mode) is EINVAL. */
function pipe2(t: Task, a: SyscallArgs): number {
  return makePipe(t, a.ptr(0), a.int(1));
}

/**
 * F_GETPIPE_SZ/F_SETPIPE_SZ for fcntl(2); undefined for other commands or
 * non-pipes, so the caller keeps its own answer (EINVAL for pipe commands).
 */
export function pipeFcntl(f: FileDescription, cmd: number, arg: number): number | undefined {
  if (!(f instanceof PipeFile)) return undefined;
  if (cmd === F.GETPIPE_SZ) return f.pipe.capacity;
  if (cmd === F.SETPIPE_SZ) return f.pipe.resize(arg);
  return undefined;
}

/**
 * Linux sends SIGPIPE to the writing thread when a write fails with EPIPE;
 * the dispatcher calls this for write-family syscalls that failed so
 * (descriptions do not know which task writes).
 */
export function raiseSigpipe(t: Task): void {
  sendSignal(t, SIG.SIGPIPE);
}

const SHORT_WRITES = 'blocking writes above PIPE_BUF return a short count when the pipe fills instead of waiting for the rest';

export const pipeRows: FamilyRows = {
  pipe: partial(pipe, SHORT_WRITES),
  pipe2: partial(pipe2, `O_DIRECT (packet mode) is EINVAL; ${SHORT_WRITES}`),
};
