/**
 * splice(2), tee(2) and vmsplice(2): a C program (every kind of end,
 * offsets, blocking, EOF, errors and SIGPIPE) run natively and in the
 * sandbox, and a Go TCP relay, whose io.Copy between connections goes
 * through splice. Before, the three were ENOSYS and the relay failed with
 * "splice: function not implemented".
 */
import { assertOutput, expectNativeLines } from './compare';
import { checkNoLeaks, compileC, compileGo, native, sandboxed } from './harness';

describe('e2e: splice, tee, vmsplice', function () {
  this.timeout(180_000);
  checkNoLeaks();

  it('C: files, sockets and pipes through splice, tee and vmsplice, with the errors, as natively', () => {
    const prog = compileC('splice');
    const script = 'd=$(mktemp -d "$1/splice.XXXXXX") && "$0" "$d"; s=$?; rm -rf "$d"; exit $s';
    const n = native(['/bin/sh', '-c', script, prog, '/dev/shm']);
    expectNativeLines(n.stdout, ["socket to pipe: 16, pipe to socket: 16, read 'through a socket'", "tee input untouched: 'tee me'", 'to a pipe without readers: EPIPE, SIGPIPE 1, tee: EPIPE, SIGPIPE 2']);
    assertOutput(n, n.stdout);
    assertOutput(sandboxed(['/bin/sh', '-c', script, prog, '/tmp']), n.stdout);
  });

  it('a Go TCP relay (io.Copy, splice through a pipe) moves 8 MiB intact, as natively', () => {
    const relay = compileGo('relay');
    const n = native([relay]);
    assertOutput(n, /^relayed 8388608 bytes, same: true, sha256 [0-9a-f]{64}\n$/.test(n.stdout.toString()) ? n.stdout : 'a native run that relayed 8 MiB');
    assertOutput(sandboxed([relay]), n.stdout);
  });
});
