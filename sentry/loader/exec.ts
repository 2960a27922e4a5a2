/**
 * execve for the kernel: the syscall and the start of the first process
 * both come through execImage/execFile.
 */
import { O, S_ISGID, S_ISUID } from '../abi/linux/fs';
import { ADDR_NO_RANDOMIZE } from '../abi/linux/personality';
import { capsOnExec } from '../kernel/capabilities';
import { RLIMIT } from '../kernel/limits';
import { deThread } from '../kernel/dethread';
import { exitRobustList } from '../kernel/robust';
import type { Task } from '../kernel/task';
import { MemoryManager } from '../mm/mm';
import { FileDescription } from '../vfs/file';
import { notifyFile } from '../vfs/fsnotify';
import { IN } from '../abi/linux/inotify';
import { commitExec, ExecEnv, prepareExec, releasePlan } from './image';

/** TASK_COMM_LEN - 1. */
const COMM_MAX = 15;

/**
 * Thrown when exec fails after the point of no return (the old image is
 * gone). The kernel must kill the process with SIGSEGV, as Linux does.
 */
export class ImageLostError extends Error {
  constructor(readonly reason: unknown) {
    super(`exec failed after the point of no return: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'ImageLostError';
  }
}

/**
 * The credentials of the new image. Set-user-ID and set-group-ID
 * executables (the ELF that runs, so never a #! script itself): the
 * effective ids become the file's, unless the process set no_new_privs.
 * Set-group-ID needs the group execute bit, as in Linux (without it, the
 * bit means mandatory locking). Then the capability sets follow execve's
 * rules (kernel/capabilities.ts capsOnExec), the saved ids become the
 * effective ones and keep-caps is cleared.
 */
function execCreds(p: Task['process'], file: FileDescription): void {
  const c = p.creds;
  if (!p.noNewPrivs) {
    const st = file.stat();
    if (st.mode & S_ISUID) c.euid = st.uid;
    if (st.mode & S_ISGID && st.mode & 0o010) c.egid = st.gid;
  }
  // As Linux: an image whose effective ids differ from the real ones counts as set-id (its ambient set goes).
  c.caps = capsOnExec(c.caps, c, c.euid !== c.uid || c.egid !== c.gid, p.noNewPrivs === 1);
  c.suid = c.euid;
  c.sgid = c.egid;
  c.keepCaps = false;
}

/** comm for a new image: the basename of the exec'd path, truncated to 15 bytes. */
export function commFor(filename: string): string {
  const base = Buffer.from(filename.slice(filename.lastIndexOf('/') + 1), 'utf8');
  return base.subarray(0, COMM_MAX).toString('utf8');
}

/**
 * Replaces the calling process's image with `path` (resolved and opened
 * through the VFS). Throws LinuxError with the old image intact, or
 * ImageLostError. Other threads die at the point of no return
 * (kernel/dethread.ts); signal handlers are the syscall's to reset.
 */
export function execImage(t: Task, path: string, argv: string[], envp: string[]): void {
  execFile(t, t.process.mounts.openPath(t, path, O.RDONLY), path, argv, envp);
}

/**
 * execImage for an already-open file (execveat): takes ownership of `file`;
 * `filename` becomes AT_EXECFN, `comm` the new comm.
 */
export function execFile(t: Task, file: FileDescription, filename: string, argv: string[], envp: string[], comm = commFor(filename)): void {
  const p = t.process;
  const env: ExecEnv = {
    open: (path) => t.process.mounts.openPath(t, path, O.RDONLY),
    creds: p.creds,
    stackRlimit: p.limits[RLIMIT.STACK].cur,
    taskSize: p.mm.taskSize,
    randomize: (p.personality & ADDR_NO_RANDOMIZE) === 0,
  };
  const plan = prepareExec(env, file, filename, argv, envp);
  notifyFile(file, IN.ACCESS);
  // Point of no return.
  try {
    deThread(t); // the other threads die first, with the old memory still mapped
    exitRobustList(t); // the old image's robust locks, while its memory is still there
    const old = p.mm;
    old.unmapAll();
    p.mm = new MemoryManager(old.as, old.io, old.taskSize, env.stackRlimit, plan.randomization);
    execCreds(p, plan.main.file);
    commitExec(plan, p.mm, p.creds, t.regs, undefined, t.kernel.vdso);
  } catch (e) {
    throw new ImageLostError(e);
  } finally {
    releasePlan(plan);
  }
  p.argv = plan.argv;
  p.envp = plan.envp;
  p.exe = plan.main.file.path;
  p.comm = comm;
  p.fds.closeOnExec();
}
