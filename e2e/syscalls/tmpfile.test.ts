/**
 * open(2) with O_TMPFILE: a C program (the nameless file, linkat through
 * /proc/self/fd and AT_EMPTY_PATH, O_EXCL, the flag errors, tmpfile(3))
 * run natively on a tmpfs and in the sandbox on its /tmp (tmpfs) and on
 * its memory overlay. Before, O_TMPFILE was EOPNOTSUPP and tmpfile(3)
 * fell back to a named file.
 */
import { assertOutput, expectNativeLines } from './compare';
import { checkNoLeaks, compileC, freshDir, native, sandboxed } from './harness';

describe('e2e: O_TMPFILE', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: a nameless file, named by linkat unless O_EXCL, and the flag errors, as natively (tmpfs and overlay)', () => {
    const prog = compileC('tmpfile');
    const n = native(['/bin/sh', '-c', 'd=$(mktemp -d /dev/shm/tmpfile.XXXXXX) && "$0" "$d"; s=$?; rm -rf "$d"; exit $s', prog]);
    expectNativeLines(n.stdout, ['link DIR/#INO (deleted)', 'linked: same inode 1, nlink 1', 'O_EXCL: linkat: ENOENT', "tmpfile(3): 'via stdio'"]);
    assertOutput(n, n.stdout);
    for (const dir of ['/tmp', freshDir('tmpfile')]) assertOutput(sandboxed([prog, dir]), n.stdout);
  });
});
