/**
 * The parent-death signal (prctl PR_SET_PDEATHSIG). As in Linux, a
 * child's parent is the *thread* that created it: when that thread ends
 * while others of its process live on, the child is handed to one of them
 * and still gets the signal; when the whole process ends the child is
 * re-parented to the reaper and gets it too. The setting is per thread
 * (each thread of the child that set one is signalled, as a
 * process-directed signal) and is 0 in every new task.
 *
 * The signal carries SI_USER with the dying process's pid and uid, as
 * Linux's SEND_SIG_NOINFO from the exiting task does. Not modelled: the
 * reset on set-id exec and on credential changes.
 */
import { SI, SIGINFO } from '../abi/linux/sigframe';
import { queueSignal } from './signal/send';
import { kernelInfo } from './signal/siginfo';
import type { Process, Task } from './task';

function notify(child: Process, dead: Process): void {
  if (child.exitStatus !== undefined) return;
  for (const t of [...child.tasks]) {
    if (t.pdeathSignal === 0) continue;
    const info = kernelInfo(t.pdeathSignal, SI.USER);
    info.writeInt32LE(dead.pid, SIGINFO.PID);
    info.writeUInt32LE(dead.creds.uid, SIGINFO.UID);
    queueSignal(child, t.pdeathSignal, info);
  }
}

/**
 * Thread `dying` of a process that goes on: the children it created
 * move to another live thread (`heir`) and get their death signal.
 */
export function creatorThreadExited(dying: Task, heir: Task): void {
  for (const c of [...dying.process.children]) {
    if (c.creatorTid !== dying.tid) continue;
    c.creatorTid = heir.tid;
    notify(c, dying.process);
  }
}

/** Process `p` ended: every child it leaves gets its death signal (before the reaper adopts it). */
export function parentExited(p: Process): void {
  for (const c of [...p.children]) notify(c, p);
}
