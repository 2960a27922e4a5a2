/**
 * System V shared memory compared with native runs: a C program (fork,
 * exec'd attacher, IPC_STAT fields, keys, IPC_SET, IPC_RMID, SHM_RDONLY,
 * SHM_RND/SHM_REMAP, permissions as nobody, SHM_STAT, errors), and
 * util-linux ipcmk/ipcs/ipcrm against a native run in a fresh IPC
 * namespace (unshare -i), whose ids start at 0 like the sandbox's.
 */
import { checkNoLeaks, compileC, native, sandboxed } from './harness';
import { assertOutput, sameAsNative } from './compare';
import * as assert from 'assert';

/** ipcmk picks random keys and the creators' pids differ: both are hidden. */
const IPC_SCRIPT = [
  'ipcmk -M 4096',
  'ipcmk -M 100 -p 0600',
  'ipcs -m | sed -E "s/0x[0-9a-f]{8}/0xKEY/"',
  'ipcrm -m 0',
  'ipcs -m | sed -E "s/0x[0-9a-f]{8}/0xKEY/"',
  'ipcs -m -u',
  'ipcs -m -i 1 | sed -E "s/0x[0-9a-f]{8}/0xKEY/; s/cpid=[0-9]+/cpid=PID/; /time=/d"',
  // Every column but the key, cpid and the times.
  'head -1 /proc/sysvipc/shm',
  'awk "NR > 1 { print \\$2, \\$3, \\$4, \\$6, \\$7, \\$8, \\$9, \\$10, \\$11, \\$15, \\$16 }" /proc/sysvipc/shm',
].join('; ');

describe('e2e: System V shared memory', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: shmget/shmat/shmdt/shmctl between forked and exec\'d processes, like Linux', () => sameAsNative([compileC('sysvshm')]));

  it('ipcmk -M, ipcs -m, ipcrm -m list and remove segments as in a fresh IPC namespace', () => {
    const n = native(['/usr/bin/unshare', '-i', '/bin/sh', '-c', IPC_SCRIPT]);
    assert.strictEqual(n.code, 0, n.stderr);
    assert.match(n.stdout.toString(), /Shared memory id: 1\n/);
    assertOutput(sandboxed(['/bin/sh', '-c', IPC_SCRIPT]), n.stdout);
  });
});
