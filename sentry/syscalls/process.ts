/**
 * Process and thread creation and reaping: fork, vfork, clone, clone3,
 * wait4, waitid. A new process gets a copy-on-write copy of its parent's
 * stub (the platform's fork); a new thread is a host thread in the same
 * stub, sharing the address space.
 */
import { REG } from '../abi/linux/ptrace';
import { CAP } from '../abi/linux/capability';
import { RLIMIT } from '../kernel/limits';
import { CLONE, CLONE_ARGS_SIZE_VER0, CLONE_NEW_MASK, CLD, CSIGNAL, P_ALL, P_PGID, P_PID, P_PIDFD, WAIT } from '../abi/linux/sched';
import { O } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import { Process, Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { takeJobStatus } from '../kernel/signal/send';
import { SyscallArgs } from './args';
import { writeI32 } from '../kernel/usermem';
import { inheritSchedAttr } from '../kernel/schedattr';
import { SemUndoList } from '../kernel/ipc/sem';
import { FamilyRows, partial } from './rows';
import { pidfdAt, reservePidfd } from './pidfd';

interface CloneRequest {
  flags: number;
  exitSignal: number;
  stack: number;
  parentTid: number;
  childTid: number;
  tls: bigint;
  /** Where CLONE_PIDFD stores the child's pidfd. */
  pidfd: number;
}

/** Linux's flag-combination rules for clone (EINVAL), and namespaces (EPERM in the sandbox). */
function checkFlags(f: number): void {
  if (f & CLONE.THREAD && !(f & CLONE.SIGHAND)) fail('EINVAL', 'CLONE_THREAD needs CLONE_SIGHAND');
  if (f & CLONE.SIGHAND && !(f & CLONE.VM)) fail('EINVAL', 'CLONE_SIGHAND needs CLONE_VM');
  if (f & CLONE.FS && f & CLONE.NEWNS) fail('EINVAL');
  // Pidfds of threads came with Linux 6.9; CLONE_DETACHED is kept unused for pidfds.
  if (f & CLONE.PIDFD && f & (CLONE.THREAD | CLONE.DETACHED)) fail('EINVAL', 'CLONE_PIDFD with CLONE_THREAD or CLONE_DETACHED');
  if (f & CLONE_NEW_MASK) fail('EPERM', 'namespaces inside the sandbox are not supported');
}

/**
 * Linux's limits on new tasks, checked before anything is made: EAGAIN
 * when the sandbox holds threads-max tasks, or when the caller's real user
 * has RLIMIT_NPROC of them, which Linux waives for real uid 0 and for
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
 */
function checkTaskLimits(t: Task): void {
  const k = t.kernel;
  if (k.taskCount() >= k.maxTasks) fail('EAGAIN', `threads-max ${k.maxTasks} reached`);
  const c = t.process.creds;
  if (c.uid === 0 || c.hasCap(CAP.SYS_RESOURCE) || c.hasCap(CAP.SYS_ADMIN)) return;
  if (BigInt(k.taskCount(c.uid)) >= t.process.limits[RLIMIT.NPROC].cur) fail('EAGAIN', 'RLIMIT_NPROC reached');
}

/** The new task's registers: the parent's, returning 0, on the requested stack and TLS. */
function childRegs(parent: Task, child: Task, r: CloneRequest): void {
  child.regs.copyFrom(parent.regs);
  child.regs.set(REG.rax, 0n);
  if (r.stack !== 0) child.regs.set(REG.rsp, BigInt(r.stack));
  if (r.flags & CLONE.SETTLS) child.regs.set(REG.fs_base, r.tls);
  child.sigmask = parent.sigmask;
}

function newProcess(t: Task, r: CloneRequest): Task {
  const k = t.kernel;
  const parent = t.process;
  const ctx = t.ctx.fork();
  const pid = k.allocTid();
  const p = new Process(
    k, pid, parent.pid, parent.mm.fork(ctx.as, ctx.mem, pid),
    r.flags & CLONE.FILES ? parent.fds : parent.fds.clone(),
    r.flags & CLONE.FS ? parent.fs : parent.fs.clone(),
    parent.creds.clone(), parent.limits.map((l) => ({ ...l })),
  );
  p.argv = parent.argv;
  p.envp = parent.envp;
  p.exe = parent.exe;
  p.comm = parent.comm;
  // no_new_privs, dumpable and seccomp filters are inherited (prctl(2), seccomp(2)).
  p.noNewPrivs = parent.noNewPrivs;
  p.dumpable = parent.dumpable;
  p.personality = parent.personality;
  p.oomScoreAdj = parent.oomScoreAdj;
  p.oomScoreAdjMin = parent.oomScoreAdjMin;
  p.seccomp = parent.seccomp;
  // CLONE_SYSVSEM shares the undo list (made now if the parent had none); otherwise the child starts without.
  if (r.flags & CLONE.SYSVSEM) {
    p.semUndo = parent.semUndo ??= new SemUndoList();
    p.semUndo.users++;
  }
  p.pgid = parent.pgid;
  p.sid = parent.sid;
  p.exitSignal = r.exitSignal;
  p.mounts = parent.mounts;
  p.container = parent.container;
  p.sigactions.copyFrom(parent.sigactions);
  p.parent = parent;
  p.creatorTid = t.tid;
  parent.children.add(p);
  k.processes.set(pid, p);
  return new Task(k, pid, p, ctx);
}

function newThread(t: Task): Task {
  return new Task(t.kernel, t.kernel.allocTid(), t.process, t.ctx.newThread());
}

/**
 * The common clone path. CLONE_VM without CLONE_THREAD (vfork,
 * posix_spawn) gets a copy of the address space rather than a shared one,
 * and the parent is not suspended until the child execs: children that
 * only exec or exit behave the same.
 */
function doClone(t: Task, r: CloneRequest): number {
  checkFlags(r.flags);
  checkTaskLimits(t);
  const pidfd = r.flags & CLONE.PIDFD ? reservePidfd(t, r.pidfd) : undefined;
  let child: Task;
  try {
    child = r.flags & CLONE.THREAD ? newThread(t) : newProcess(t, r);
  } catch (e) {
    pidfd?.cancel();
    throw e;
  }
  pidfd?.bind(child.process);
  childRegs(t, child, r);
  child.schedAttr = inheritSchedAttr(t.schedAttr);
  child.memPolicy = t.memPolicy;
  t.kernel.tasks.set(child.tid, child);
  if (r.flags & CLONE.PARENT_SETTID) writeI32(t.mem, r.parentTid, child.tid);
  if (r.flags & CLONE.CHILD_SETTID) writeI32(child.mem, r.childTid, child.tid);
  if (r.flags & CLONE.CHILD_CLEARTID) child.clearChildTid = r.childTid;
  t.kernel.sched.adopt(child);
  return child.tid;
}

/** fork(2). */
function fork(t: Task): number {
  return doClone(t, { flags: 0, exitSignal: 17, stack: 0, parentTid: 0, childTid: 0, tls: 0n, pidfd: 0 });
}

/**
 * clone(2): x86_64 argument order is flags, stack, parent_tid, child_tid,
 * tls. CLONE_PIDFD stores the pidfd at parent_tid, so it excludes
 * CLONE_PARENT_SETTID (EINVAL).
 */
function clone(t: Task, a: SyscallArgs): number {
  const f = a.uint(0);
  if (f & CLONE.PIDFD && f & CLONE.PARENT_SETTID) fail('EINVAL', 'CLONE_PIDFD with CLONE_PARENT_SETTID');
  return doClone(t, { flags: f & ~CSIGNAL, exitSignal: f & CSIGNAL, stack: a.ptr(1), parentTid: a.ptr(2), childTid: a.ptr(3), tls: a.u64(4), pidfd: a.ptr(2) });
}

/** clone3(2): struct clone_args; the stack is [stack, stack + stack_size). */
function clone3(t: Task, a: SyscallArgs): number {
  const size = a.size(1);
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) fail('EINVAL', 'clone_args size');
  const b = t.mem.read(a.ptr(0), CLONE_ARGS_SIZE_VER0);
  const u = (i: number) => b.readBigUInt64LE(i * 8);
  const flags = u(0);
  if (flags > 0xffffffffn || u(4) > 64n) fail('EINVAL');
  const stack = u(5) === 0n ? 0 : Number(u(5) + u(6));
  return doClone(t, { flags: Number(flags), exitSignal: Number(u(4)), stack, parentTid: Number(u(3)), childTid: Number(u(2)), tls: u(7), pidfd: Number(u(1)) });
}

/** Which children a wait matches: pid > 0 that one, -1 any, 0 the caller's group, < -1 group -pid. */
function matches(parent: Process, c: Process, pid: number, options: number): boolean {
  if (pid > 0 && c.pid !== pid) return false;
  if (pid === 0 && c.pgid !== parent.pgid) return false;
  if (pid < -1 && c.pgid !== -pid) return false;
  if (options & WAIT.ALL) return true;
  // Without __WALL, __WCLONE selects exactly the children whose exit signal is not SIGCHLD.
  return Boolean(options & WAIT.CLONE) === (c.exitSignal !== 17);
}

/** The children a wait may report; ECHILD when none can ever match. */
function candidates(t: Task, pid: number, options: number): Process[] {
  const kids = [...t.process.children].filter((c) => matches(t.process, c, pid, options));
  if (kids.length === 0) fail('ECHILD');
  return kids;
}

/**
 * The first reportable child: a zombie, or (with WUNTRACED/WCONTINUED) a
 * stop or continue not yet reported. Consumes the job-control event unless `peek`.
 */
function findEvent(kids: Process[], untraced: boolean, continued: boolean, exited: boolean, peek = false): { p: Process; status: number } | undefined {
  for (const c of kids) {
    if (exited && c.exitStatus !== undefined) return { p: c, status: c.exitStatus };
    const job = untraced || continued ? takeJobStatus(c, untraced, continued, peek) : undefined;
    if (job !== undefined) return { p: c, status: job };
  }
  return undefined;
}

/** wait4(2): exited children, and stopped/continued ones with WUNTRACED/WCONTINUED. */
function wait4(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const options = a.int(2);
  if (options & ~(WAIT.NOHANG | WAIT.UNTRACED | WAIT.CONTINUED | WAIT.NOTHREAD | WAIT.ALL | WAIT.CLONE)) fail('EINVAL');
  const ev = findEvent(candidates(t, pid, options), (options & WAIT.UNTRACED) !== 0, (options & WAIT.CONTINUED) !== 0, true);
  if (!ev) {
    if (options & WAIT.NOHANG) return 0;
    throw new Block([t.process.childEvents]);
  }
  if (a.ptr(1) !== 0) writeI32(t.mem, a.ptr(1), ev.status);
  if (a.ptr(3) !== 0) t.mem.write(a.ptr(3), Buffer.alloc(144));
  if (ev.p.exitStatus !== undefined) t.kernel.reap(ev.p);
  return ev.p.pid;
}

/** si_code and si_status of a SIGCHLD siginfo for a wait status. */
function childInfo(status: number): [number, number] {
  if (status === 0xffff) return [CLD.CONTINUED, 18 /* SIGCONT */];
  if ((status & 0xff) === 0x7f) return [CLD.STOPPED, (status >> 8) & 0xff];
  const signo = status & 0x7f;
  if (signo === 0) return [CLD.EXITED, (status >> 8) & 0xff];
  return [status & 0x80 ? CLD.DUMPED : CLD.KILLED, signo];
}

/**
 * The pid a waitid for a pidfd waits for (its process, while it is not
 * reaped; 0, no child, once it is), and whether the pidfd is nonblocking.
 */
function pidfdWaitTarget(t: Task, fd: number): { pid: number; nonblock: boolean } {
  if (fd < 0) fail('EINVAL', `pidfd ${fd}`);
  const f = pidfdAt(t, fd);
  return { pid: f.target.reaped ? Number.MAX_SAFE_INTEGER : f.target.pid, nonblock: (f.flags & O.NONBLOCK) !== 0 };
}

/**
 * waitid(2): WEXITED/WSTOPPED/WCONTINUED events with their SIGCHLD
 * siginfo; WNOWAIT leaves them. P_PIDFD waits for the pidfd's process (a
 * child, else ECHILD), without blocking (EAGAIN) when the pidfd is
 * nonblocking.
 */
function waitid(t: Task, a: SyscallArgs): number {
  const idtype = a.int(0);
  const id = a.int(1);
  const options = a.int(3);
  if (options & ~(WAIT.NOHANG | WAIT.STOPPED | WAIT.EXITED | WAIT.CONTINUED | WAIT.NOWAIT | WAIT.NOTHREAD | WAIT.ALL | WAIT.CLONE)) fail('EINVAL');
  if (!(options & (WAIT.EXITED | WAIT.STOPPED | WAIT.CONTINUED))) fail('EINVAL');
  let pid: number;
  let nonblock = false;
  if (idtype === P_ALL) pid = -1;
  else if (idtype === P_PID && id > 0) pid = id;
  else if (idtype === P_PGID && id >= 0) pid = id === 0 ? 0 : -id;
  else if (idtype === P_PIDFD) ({ pid, nonblock } = pidfdWaitTarget(t, id));
  else return fail('EINVAL', `idtype ${idtype}`);
  const peek = (options & WAIT.NOWAIT) !== 0;
  const ev = findEvent(candidates(t, pid, options), (options & WAIT.STOPPED) !== 0, (options & WAIT.CONTINUED) !== 0, (options & WAIT.EXITED) !== 0, peek);
  const info = Buffer.alloc(128);
  if (!ev) {
    if (!(options & WAIT.NOHANG) && nonblock) fail('EAGAIN', 'nonblocking pidfd');
    if (!(options & WAIT.NOHANG)) throw new Block([t.process.childEvents]);
  } else {
    info.writeInt32LE(17, 0); // si_signo = SIGCHLD
    const [code, status] = childInfo(ev.status);
    info.writeInt32LE(code, 8);
    info.writeInt32LE(ev.p.pid, 16);
    info.writeInt32LE(ev.p.creds.uid, 20);
    info.writeInt32LE(status, 24);
    if (ev.p.exitStatus !== undefined && !peek) t.kernel.reap(ev.p);
  }
  if (a.ptr(2) !== 0) t.mem.write(a.ptr(2), info);
  if (a.ptr(4) !== 0) t.mem.write(a.ptr(4), Buffer.alloc(144));
  return 0;
}

const COPY_NOTE = 'CLONE_VM without CLONE_THREAD copies the address space instead of sharing it; vfork does not suspend the parent';

export const processSyscalls: FamilyRows = {
  fork: partial(fork, COPY_NOTE),
  vfork: partial((t) => doClone(t, { flags: CLONE.VM | CLONE.VFORK, exitSignal: 17, stack: 0, parentTid: 0, childTid: 0, tls: 0n, pidfd: 0 }), COPY_NOTE),
  clone: partial(clone, COPY_NOTE),
  clone3: partial(clone3, `${COPY_NOTE}; no set_tid or cgroup; no pidfds of threads`),
  wait4: partial(wait4, 'rusage is zero'),
  waitid: partial(waitid, 'rusage is zero'),
};
