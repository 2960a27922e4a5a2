/**
 * execve(2) and execveat(2): read the path and the argv/envp arrays from the
 * caller, then replace the image (sentry/loader/exec.ts).
 */
import { MAX_ARG_STRINGS, MAX_ARG_STRLEN } from '../abi/linux/elf';
import { AT, AT_FDCWD, O } from '../abi/linux/fs';
import { SIG } from '../abi/linux/signal';
import { fail, isLinuxError } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { PageReader, readCString } from '../kernel/usermem';
import { timersOnExec } from '../kernel/signal/itimers';
import { commFor, execFile, ImageLostError } from '../loader/exec';
import { FileDescription } from '../vfs/file';
import { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';
import { SyscallControl } from './types';

/** SS_DISABLE: sigaltstack is reset by exec. */
const SS_DISABLE = 2;

/**
 * A NULL-terminated array of string pointers (NULL array: empty). More than
 * MAX_ARG_STRINGS entries or a string longer than MAX_ARG_STRLEN is E2BIG.
 */
function readStringArray(pages: PageReader, addr: number): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let at = addr; ; at += 8) {
    const p = Number(pages.u64(at));
    if (p === 0) return out;
    if (out.length >= MAX_ARG_STRINGS) fail('E2BIG', 'too many strings');
    try {
      out.push(pages.cString(p, MAX_ARG_STRLEN));
    } catch (e) {
      if (isLinuxError(e, 'ENAMETOOLONG')) fail('E2BIG', 'string longer than MAX_ARG_STRLEN');
      throw e;
    }
  }
}

/**
 * Runs the exec and resets per-image task state. Failures after the point
 * of no return kill the process with SIGSEGV, as Linux does.
 */
function run(t: Task, file: FileDescription, filename: string, argvAddr: number, envpAddr: number, comm: string): SyscallControl {
  let argv: string[];
  let envp: string[];
  try {
    // One page reader for both: a caller's argv and envp usually share pages.
    const pages = new PageReader(t.mem);
    argv = readStringArray(pages, argvAddr);
    envp = readStringArray(pages, envpAddr);
  } catch (e) {
    file.decRef();
    throw e;
  }
  try {
    execFile(t, file, filename, argv, envp, comm);
  } catch (e) {
    if (!(e instanceof ImageLostError)) throw e;
    t.kernel.debug(e.message);
    t.process.exit(SIG.SIGSEGV);
    return SyscallControl.TASK_EXITED;
  }
  t.process.sigactions.resetForExec();
  timersOnExec(t.process);
  t.altStack = { sp: 0, flags: SS_DISABLE, size: 0 };
  t.robustList = 0;
  t.clearChildTid = 0;
  return SyscallControl.REGS_SET;
}

function open(t: Task, path: string, nofollow: boolean): FileDescription {
  return t.process.mounts.openPath(t, path, O.RDONLY | (nofollow ? O.NOFOLLOW : 0));
}

/**
 * execve(2). From a multithreaded process the other threads die first and
 * the caller becomes the leader (kernel/dethread.ts), once the new image
 * is known to load: errors before that leave every thread running.
 */
function execve(t: Task, a: SyscallArgs): SyscallControl {
  const path = readCString(t.mem, a.ptr(0));
  if (path === '') fail('ENOENT', 'empty path');
  return run(t, open(t, path, false), path, a.ptr(1), a.ptr(2), commFor(path));
}

/**
 * execveat(2) with AT_FDCWD, absolute paths, AT_EMPTY_PATH (exec the fd
 * itself) and AT_SYMLINK_NOFOLLOW. A relative path against a directory fd
 * is resolved from that directory's path name. AT_EXECFN is the path, or
 * /dev/fd/N[/path] as in Linux.
 */
function execveat(t: Task, a: SyscallArgs): SyscallControl {
  const dirfd = a.int(0);
  const flags = a.int(4);
  if ((flags & ~(AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW)) !== 0) fail('EINVAL', 'execveat flags');
  const path = readCString(t.mem, a.ptr(1));
  const nofollow = (flags & AT.SYMLINK_NOFOLLOW) !== 0;
  if (path === '') {
    if ((flags & AT.EMPTY_PATH) === 0) fail('ENOENT', 'empty path');
    const file = t.process.fds.get(dirfd);
    file.incRef();
    return run(t, file, `/dev/fd/${dirfd}`, a.ptr(2), a.ptr(3), commFor(file.path));
  }
  if (path.startsWith('/') || dirfd === AT_FDCWD) return run(t, open(t, path, nofollow), path, a.ptr(2), a.ptr(3), commFor(path));
  const dir = t.process.fds.get(dirfd).path;
  return run(t, open(t, `${dir}/${path}`, nofollow), `/dev/fd/${dirfd}/${path}`, a.ptr(2), a.ptr(3), commFor(path));
}

export const execSyscalls: FamilyRows = {
  execve: supported(execve),
  execveat: partial(execveat, 'relative paths under a dirfd resolve through its path name'),
};
