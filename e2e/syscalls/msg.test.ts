/**
 * System V message queues: a C program (msgget, msgsnd and msgrcv by
 * type, MSG_NOERROR, MSG_COPY, waits ended by a message, by room, by a
 * signal and by the queue's removal, msgctl, permissions,
 * /proc/sysvipc/msg) run natively and in the sandbox, and util-linux
 * ipcmk/ipcs/ipcrm. Before, the four syscalls were ENOSYS.
 */
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC } from './harness';

/** ipcmk makes a queue, ipcs -q -i describes it (times and ids left out), ipcrm removes it. */
const TOOLS = String.raw`
id=$(ipcmk -Q -p 0620 | awk '{ print $NF }')
ipcs -q -i "$id" | grep -Ev 'time|msqid' | sed 's/ *$//'
ipcrm -q "$id" && echo removed
ipcs -q -i "$id" 2>&1 | sed 's/ *$//' | sed "s/$id/ID/"
`;

describe('e2e: System V message queues', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: msgget, msgsnd/msgrcv by type, waits, msgctl, permissions and /proc/sysvipc/msg, as natively', () => {
    const r = sameAsNative([compileC('msg')]);
    expectNativeLines(r.native.stdout, ["lowest up to 5: type 1 'one'", 'a sender waits for room: 0', 'waiting while the queue is removed: EIDRM', "MSG_NOERROR: type 7 'a '"]);
  });

  it('ipcmk, ipcs and ipcrm print what they print natively', () => {
    sameAsNative(['/bin/sh', '-c', TOOLS]);
  });
});
