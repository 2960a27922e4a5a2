/**
 * File locks compared with native runs: flock(2), POSIX record locks and
 * OFD locks between forked processes (a C program), and util-linux flock(1)
 * from a shell.
 */
import { checkNoLeaks, compileC } from './harness';
import { sameAsNative } from './compare';

describe('e2e: file locks', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: flock, F_SETLK/F_SETLKW/F_GETLK (ranges, EDEADLK, EINTR) and OFD locks', () => sameAsNative([compileC('locks')]));

  it('flock(1): a held lock makes -n fail until it is released', () =>
    sameAsNative(['/bin/sh', '-c', 'f=/tmp/lk$$; exec 9>$f; flock 9; flock -n $f true; echo "nb=$?"; flock -u 9; flock -n $f echo free; rm $f'], {}, 'nb=1\nfree\n'));
});
