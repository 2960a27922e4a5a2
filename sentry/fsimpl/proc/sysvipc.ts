/**
 * /proc/sysvipc (proc(5)): the System V IPC objects of the kernel's IPC
 * namespace in Linux's format (5.x and later: the rss and swap columns
 * aligned), which util-linux ipcs reads. shm lists the shared memory
 * segments (kernel/ipc/shm.ts; swap is always 0), sem the semaphore sets
 * (kernel/ipc/sem.ts), msg the message queues (kernel/ipc/msg.ts).
 */
import type { Kernel } from '../../kernel/kernel';
import { msgNamespace, semNamespace, shmNamespace } from '../../kernel/ipc/namespace';
import type { MsgQueue } from '../../kernel/ipc/msg';
import type { SemSet } from '../../kernel/ipc/sem';
import type { ShmSegment } from '../../kernel/ipc/shm';
import { PAGE_SIZE } from '../../abi/linux/mm';
import { ProcChild, ProcDir, ProcFile, ProcFs, ROOT_OWNER } from './nodes';

const SHM_HEADER =
  '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n';
const SEM_HEADER = '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n';
const MSG_HEADER = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n';

const pad = (v: number | string, width: number): string => String(v).padStart(width);

/** One segment's line (sysvipc_shm_proc_show). */
export function shmLine(s: ShmSegment): string {
  const p = s.perm;
  return (
    `${pad(p.key, 10)} ${pad(s.id, 10)}  ${pad(p.mode.toString(8), 4)} ${pad(s.size, 21)} ${pad(s.cpid, 5)} ${pad(s.lpid, 5)}  ` +
    `${pad(s.nattch, 5)} ${pad(p.uid, 5)} ${pad(p.gid, 5)} ${pad(p.cuid, 5)} ${pad(p.cgid, 5)} ` +
    `${pad(s.atime, 10)} ${pad(s.dtime, 10)} ${pad(s.ctime, 10)} ${pad(s.residentPages * PAGE_SIZE, 21)} ${pad(0, 21)}\n`
  );
}

/** One semaphore set's line (sysvipc_sem_proc_show). */
export function semLine(s: SemSet): string {
  const p = s.perm;
  return `${pad(p.key, 10)} ${pad(s.id, 10)}  ${pad(p.mode.toString(8), 4)} ${pad(s.sems.length, 10)} ${pad(p.uid, 5)} ${pad(p.gid, 5)} ${pad(p.cuid, 5)} ${pad(p.cgid, 5)} ${pad(s.otime, 10)} ${pad(s.ctime, 10)}\n`;
}

/** One message queue's line (sysvipc_msg_proc_show). */
export function msgLine(q: MsgQueue): string {
  const p = q.perm;
  return (
    `${pad(p.key, 10)} ${pad(q.id, 10)}  ${pad(p.mode.toString(8), 4)}  ${pad(q.bytes, 10)} ${pad(q.messages.length, 10)} ${pad(q.lspid, 5)} ${pad(q.lrpid, 5)} ` +
    `${pad(p.uid, 5)} ${pad(p.gid, 5)} ${pad(p.cuid, 5)} ${pad(p.cgid, 5)} ${pad(q.stime, 10)} ${pad(q.rtime, 10)} ${pad(q.ctime, 10)}\n`
  );
}

/** The /proc/sysvipc directory of `kernel`'s procfs. */
export function procSysvipc(fs: ProcFs, kernel: Kernel): ProcChild {
  const file = (gen: () => string): ProcChild => (key) => new ProcFile(fs, key, ROOT_OWNER, gen);
  const entries = new Map<string, ProcChild>([
    ['shm', file(() => SHM_HEADER + shmNamespace(kernel).segments().map(shmLine).join(''))],
    ['sem', file(() => SEM_HEADER + semNamespace(kernel).sets().map(semLine).join(''))],
    ['msg', file(() => MSG_HEADER + msgNamespace(kernel).queues().map(msgLine).join(''))],
  ]);
  return (key) => new ProcDir(fs, key, ROOT_OWNER, () => entries);
}
