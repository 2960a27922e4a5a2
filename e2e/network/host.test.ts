/**
 * Issue 5, acceptance 5 (host half): `tsvisor do --network=host` uses the
 * network stack of the namespace it runs in. A sandbox in namespace A
 * serves python's http.server to curl in B and downloads from B with curl
 * (20 MB, sha256); A keeps its address and the listening socket is A's
 * host socket; the warning is printed and logged. Errors (refused,
 * unreachable, ICMP port unreachable) and the argument checks of the
 * socket calls are the host's, compared with the same programs run
 * natively.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sameAsNative } from '../syscalls/compare';
import { checkNoLeaks, compileC, freshDir } from '../syscalls/harness';
import { ipv4Addresses, labPerTest, runSync, twoHosts } from './netns';
import { curlArgv, httpServerArgv, randomFile, rate, sha256File, waitForTcp } from './peer';
import { PY, sandboxExec, SandboxServer, takenOver, unsupportedSyscalls } from './sandbox';

const SIZE = 20 << 20;
const WARNING = "tsvisor: warning: --network=host: the sandbox uses the host's network stack directly (less isolation)\n";
const HOST_MODE_LOG = /network: host mode \(less isolation\)/;

/** Connects and talks to B and to nowhere; prints the outcome of each call (errno names, not messages). */
const ERRORS_PY = `
import errno, socket, sys, time
b, absent = sys.argv[1:3]
def show(label, fn):
    try:
        print(label, 'ok', fn())
    except OSError as e:
        print(label, type(e).__name__, errno.errorcode.get(e.errno, e.errno))
s = socket.socket()
show('tcp connect to a closed port on B', lambda: s.connect((b, 9)))
show('connect again', lambda: s.connect((b, 9)))
n = socket.socket()
n.setblocking(False)
show('non-blocking connect_ex', lambda: errno.errorcode.get(n.connect_ex((b, 9)), 0))
n.setblocking(True)
time.sleep(0.3)
show('SO_ERROR', lambda: errno.errorcode.get(n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((b, 9))
show('udp send to a closed port', lambda: u.send(b'x'))
time.sleep(0.3)
show('udp recv after the ICMP error', lambda: u.recv(10))
t = socket.socket()
t.settimeout(1)
show('connect to an absent neighbour, 1 s timeout', lambda: t.connect((absent, 80)))
show('connect off the subnet (no route)', lambda: socket.socket().connect(('192.0.2.1', 80)))
show('bind to a foreign address', lambda: socket.socket().bind(('192.0.2.1', 0)))
`;

describe('e2e/network: --network=host', function () {
  this.timeout(180_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('20 MB each way over HTTP: http.server in a host-mode sandbox in A to curl in B, and curl in a sandbox from B; A keeps its address', async () => {
    const net = twoHosts(lab());
    const [fromA, fromB] = [randomFile(SIZE), randomFile(SIZE)];
    lab().spawn(net.b, httpServerArgv(net.addrB, 8001, fromB.dir));
    const server = await SandboxServer.start(lab(), net.a, httpServerArgv(net.addrA, 8000, fromA.dir), 'host');
    await Promise.all([waitForTcp(lab(), net.b, net.addrA, 8000), waitForTcp(lab(), net.a, net.addrB, 8001)]);
    // The listener is a socket of A's own stack, which keeps its address (the sandbox stack takes nothing).
    assert.match(runSync(net.a, ['/usr/bin/ss', '-Hltn', 'sport = :8000']), /LISTEN .* 10\.99\.0\.1:8000 /);
    assert.deepEqual(ipv4Addresses(net.a, 'eth0'), [`${net.addrA}/${net.prefixLength}`]);

    const got = join(freshDir('dl'), 'got');
    let t0 = Date.now();
    const served = await lab().exec(net.b, curlArgv(`http://${net.addrA}:8000/${fromA.name}`, got));
    console.log(`      20 MB host-mode sandbox → B in ${Date.now() - t0} ms (${rate(SIZE, Date.now() - t0)})`);
    assert.equal(served.code, 0, `curl in B: ${served.stderr}\n${server.describe()}`);
    assert.equal(sha256File(got), fromA.sha256);

    t0 = Date.now();
    // The sandbox's writes stay in its overlay: the download is hashed inside.
    const fetch = `${curlArgv(`http://${net.addrB}:8001/${fromB.name}`, '/tmp/got').join(' ')} && sha256sum /tmp/got`;
    const fetched = await sandboxExec(lab(), net.a, ['/bin/sh', '-c', fetch], { network: 'host' });
    console.log(`      20 MB B → host-mode sandbox in ${Date.now() - t0} ms incl. sandbox start`);
    assert.deepEqual([fetched.code, fetched.stdout, fetched.stderr], [0, `${fromB.sha256}  /tmp/got\n`, WARNING], fetched.log);
    assert.match(fetched.log, HOST_MODE_LOG);
    assert.deepEqual(unsupportedSyscalls(fetched.log), []);

    assert.ok(server.alive, server.describe());
    const log = await server.stop();
    assert.ok(server.stderr.startsWith(WARNING), server.describe());
    assert.match(log, HOST_MODE_LOG);
    assert.doesNotMatch(log, takenOver(net.addrA));
    assert.deepEqual(unsupportedSyscalls(log), []);
  });

  it('refused, unreachable and ICMP errors are those of a native run in the same namespace', async () => {
    const net = twoHosts(lab());
    // Each run asks for its own absent neighbour: a failed resolution stays in A's neighbour table.
    const native = await lab().exec(net.a, [PY, '-c', ERRORS_PY, net.addrB, '10.99.0.77']);
    assert.equal(native.code, 0, native.stderr);
    assert.match(native.stdout, /^tcp connect to a closed port on B ConnectionRefusedError ECONNREFUSED$/m);
    const r = await sandboxExec(lab(), net.a, [PY, '-c', ERRORS_PY, net.addrB, '10.99.0.78'], { network: 'host' });
    assert.equal(r.code, 0, `${r.stderr}\n${r.log}`);
    assert.equal(r.stdout, native.stdout);
  });

  it('C: argument checks, errors in the wrong state, refused connects and SIGPIPE as native', () => {
    sameAsNative([compileC('inet_args')], { rawFlags: ['--network=host'] });
  });

  it('C: the non-blocking epoll event loop of the loopback tests, on the host loopback', () => {
    sameAsNative([compileC('inet_epoll')], { rawFlags: ['--network=host'] });
  });
});
