/**
 * AF_INET sockets on the sandbox's own loopback (the Sentry's network
 * stack), compared with the same programs on the host's loopback: a C
 * event loop (non-blocking connect, epoll, options, UDP), python TCP and
 * UDP echo servers, `python3 -m http.server` fetched with urllib, and
 * busybox httpd with wget and nc.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sameAsNative } from './compare';
import { bigFile, WORDS } from './fixtures';
import { checkNoLeaks, compileC, freshDir, REPO_ROOT } from './harness';

const PY = '/usr/bin/python3';
const BB = '/bin/busybox';

/** A copy of a python script in the fixtures folder: the checkout may live under /tmp, which the sandbox hides. */
function script(name: string): string {
  const copy = join(freshDir('py'), `${name}.py`);
  copyFileSync(join(REPO_ROOT, 'e2e', 'syscalls', 'py', `${name}.py`), copy);
  return copy;
}

/** A folder with a 2 MiB file and a small one, for the web servers. */
function webRoot(): { dir: string; big: string; sha256: string } {
  const big = bigFile(2);
  writeFileSync(join(big.file, '..', 'words.txt'), WORDS);
  return { dir: join(big.file, '..'), big: basename(big.file), sha256: big.sha256 };
}

describe('e2e: AF_INET sockets on loopback', function () {
  this.timeout(180_000);
  checkNoLeaks();

  it('C: non-blocking connect and epoll, refused connects, options, peek, FIONREAD, UDP', () =>
    sameAsNative([compileC('inet_epoll')]));

  it('C: sendmmsg and recvmmsg (unix datagrams and UDP), MSG_WAITFORONE, errors on the first or a later message', () =>
    sameAsNative([compileC('mmsg')]));

  it('C: address and option checks, errors in the wrong state, refused connects, EPIPE and SIGPIPE after a reset', () =>
    sameAsNative([compileC('inet_args')]));

  it('python: TCP echo server thread, 1 MiB round trip, half-close', () =>
    sameAsNative([PY, script('tcp_echo')], {}, "listening on 127.0.0.1\nb'hello'\nserver: peer is the client True\n1048576 True\nafter half-close: b'bye'\n"));

  it('python: UDP echo up to 60000-byte datagrams, connected socket, timeout, ICMP refusal', () =>
    sameAsNative([PY, script('udp_echo')], {}, "echoed 7 of 7\nb'detcennoc' True\ntimed out\nrefused 111\n"));

  it('python: python3 -m http.server in a child process, fetched with urllib', () => {
    const w = webRoot();
    const pair = sameAsNative([PY, script('http_pair'), w.dir, w.big]);
    if (!pair.sandbox.stdout.toString().startsWith(`200 2097152 2097152 ${w.sha256}\n`)) throw new Error(`unexpected output:\n${pair.sandbox.stdout}`);
  });

  it('busybox: httpd served to wget and nc', () => {
    const w = webRoot();
    // A port of its own per test process (ports are shared with the host's loopback on the native side).
    const port = 20000 + (process.pid % 20000);
    const sh = [
      'bb=$0; d=$1; p=$2; big=$3',
      '$bb httpd -f -p 127.0.0.1:$p -h $d & h=$!',
      'i=0; until $bb wget -q -O - http://127.0.0.1:$p/words.txt 2>/dev/null; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done',
      '$bb wget -q -O - http://127.0.0.1:$p/$big | $bb sha256sum',
      'echo hello | $bb nc 127.0.0.1 $p | head -1',
      'kill $h; wait $h; echo httpd $?',
    ].join('\n');
    sameAsNative([BB, 'sh', '-c', sh, BB, w.dir, String(port), w.big], {}, `${WORDS}${w.sha256}  -\nHTTP/1.1 400 Bad Request\r\nhttpd 143\n`);
  });
});
