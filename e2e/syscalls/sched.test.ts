/**
 * Scheduling attributes: a C program (nice values of a thread, a group and
 * a user; policies and priorities through every setter and getter,
 * SCHED_RESET_ON_FORK across fork; I/O priorities; /proc/self/stat; what
 * an unprivileged user is refused) and nice, renice, chrt, ionice and ps,
 * each run natively and in the sandbox. The Sentry keeps and reports them;
 * it does not schedule by them. Before, setpriority was accepted and
 * forgotten (nice printed 0) and sched_setscheduler, sched_setattr and
 * ioprio_set were ENOSYS (chrt -b and ionice failed).
 */
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC } from './harness';

const TOOLS = String.raw`
nice -n 7 nice
chrt -b 0 sh -c 'chrt -p $$' | sed 's/pid [0-9]*/pid N/'
chrt -r 5 sh -c 'chrt -p $$' | sed 's/pid [0-9]*/pid N/'
ionice -c 3 ionice
ionice -c 2 -n 6 sh -c 'ionice -p $$'
sh -c 'renice -n 4 -p $$ >/dev/null; nice; ps -o ni= -p $$'
`;

describe('e2e: scheduling attributes', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: nice, policies, priorities, reset-on-fork, I/O priorities, /proc/self/stat and refusals, as natively', () => {
    const r = sameAsNative([compileC('sched')]);
    expectNativeLines(r.native.stdout, ['setpriority 5: ok, raw getpriority 15', 'rr: policy 0x40000002 priority 5', 'forked child: policy 0x0 priority 0 nice 0', 'nobody: nice 3 ok, then 1 EACCES']);
  });

  it('nice, chrt, ionice, renice and ps print what they print natively', () => {
    sameAsNative(['/bin/sh', '-c', TOOLS], {}, ['7', "pid N's current scheduling policy: SCHED_BATCH", "pid N's current scheduling priority: 0",
      "pid N's current scheduling policy: SCHED_RR", "pid N's current scheduling priority: 5", 'idle', 'best-effort: prio 6', '4', '  4', ''].join('\n'));
  });
});
