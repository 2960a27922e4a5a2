/**
 * System V semaphores: a C program (semget, semop with waits ended by
 * another process, a signal, a timeout and the set's removal, SEM_UNDO at
 * exit, semctl's commands and permissions, /proc/sysvipc/sem) run natively
 * and in the sandbox, and util-linux ipcmk/ipcs/ipcrm. Before, the four
 * syscalls were ENOSYS.
 */
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC } from './harness';

/** ipcmk makes a set, ipcs -s -i describes it (times and ids left out), ipcrm removes it. */
const TOOLS = String.raw`
id=$(ipcmk -S 4 -p 0640 | awk '{ print $NF }')
ipcs -s -i "$id" | grep -Ev 'otime|ctime|semid' | sed 's/ *$//'
ipcrm -s "$id" && echo removed
ipcs -s -i "$id" 2>&1 | sed 's/ *$//' | sed "s/$id/ID/"
`;

describe('e2e: System V semaphores', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: semget, semop and its waits, SEM_UNDO, semctl, permissions and /proc/sysvipc/sem, as natively', () => {
    const r = sameAsNative([compileC('sem')]);
    expectNativeLines(r.native.stdout, ['a second waiter: GETNCNT of 0: 1', 'SEM_UNDO -3/+2 undone at exit: 7 8 9', 'waiting while the set is removed: EIDRM', 'a signal ends a wait: EINTR']);
  });

  it('ipcmk, ipcs and ipcrm print what they print natively', () => {
    sameAsNative(['/bin/sh', '-c', TOOLS]);
  });
});
