/**
 * execve's de_thread: before a multithreaded process gets its new image,
 * every other thread of the group dies, and an exec'ing thread that is not
 * the leader becomes it.
 *
 * As in Linux: the other threads are killed wherever they are (running app
 * code, or parked in a syscall, which then never completes); each one's
 * robust list is walked and its clear_child_tid word cleared and woken
 * while the old memory is still mapped (Linux's exit path does the same
 * before exec_mmap drops the old mm); children they created move to the
 * exec'ing thread and get PR_SET_PDEATHSIG signals; their thread-directed
 * pending signals are dropped while the process's stay, and so do the
 * exec'ing thread's own mask and pending signals. The exec'ing thread takes
 * the leader's tid (the process's pid), so getpid() == gettid() afterwards,
 * the parent's wait4 sees the same single child, and its old tid is gone.
 * Nothing of this is seen by the parent (no extra SIGCHLD or wait event).
 *
 * On the host, the task whose tid is the pid always runs on the stub's
 * leader thread (the host reports that thread's exit only after the whole
 * group's), so the exec'ing thread moves onto it: its own host thread
 * exits and it takes over the leader's, halted here or kept idle since
 * the leader exited (Process.idleLeader).
 */
import type { Task } from './task';

export function deThread(t: Task): void {
  const p = t.process;
  for (const other of [...p.tasks]) {
    if (other === t) continue;
    other.leaveGroup(t);
  }
  if (t.tid === p.pid) return;
  const leaderCtx = p.idleLeader;
  if (leaderCtx === undefined) throw new Error(`process ${p.pid} has no leader host thread`);
  p.idleLeader = undefined;
  const from = t.ctx;
  from.exitThread();
  t.ctx = leaderCtx;
  t.kernel.sched.moved(t, from);
  // The exec unmaps the old image through the mm's context: the caller's old one is gone.
  p.mm.useContext(leaderCtx);
  const oldTid = t.tid;
  t.kernel.removeTask(oldTid);
  t.tid = p.pid;
  t.kernel.tasks.set(t.tid, t);
  for (const c of p.children) if (c.creatorTid === oldTid) c.creatorTid = t.tid;
}
