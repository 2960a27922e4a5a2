/**
 * Issue 5, acceptance 3 (ICMP and isolation): the sandbox's address is
 * answered by the sandbox's stack (A's host stack no longer has it), and a
 * port the sandbox listens on exists only in the sandbox: B reaches it, A's
 * host stack and the root namespace do not have it.
 */
import assert from 'node:assert/strict';
import { checkNoLeaks, freshDir } from '../syscalls/harness';
import { ipv4Addresses, labPerTest, runSync, twoHosts } from './netns';
import { BUSYBOX, httpServerArgv, waitForTcp } from './peer';
import { PY, SandboxServer, takenOver } from './sandbox';

const SS = '/usr/bin/ss';

/** Connects to 127.0.0.1:PORT and prints the errno name, or "connected". */
const CONNECT_LOCAL = `
import errno, socket, sys
try:
    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2).close()
    print('connected')
except OSError as e:
    print(errno.errorcode.get(e.errno, e))
`;

/** Lines of `ss -ltn` (listening TCP sockets) in `ns` whose local port is `port`. */
function listenersOn(ns: string | undefined, port: number): string {
  return runSync(ns, [SS, '-Hltn', `sport = :${port}`]).trim();
}

/** A TCP port nothing listens on in the root namespace. */
function freeRootPort(): number {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (listenersOn(undefined, port) === '') return port;
  }
  throw new Error('no free port in the root namespace');
}

describe('e2e/network: the sandbox answers for its address, and only there', function () {
  this.timeout(60_000);
  const lab = labPerTest();
  checkNoLeaks();

  it("ping of the sandbox's address from B is answered by the sandbox's stack (A's host stack has no IPv4 address left)", async () => {
    const net = twoHosts(lab());
    // Before: A's host stack has the address (and would answer pings itself).
    assert.deepEqual(ipv4Addresses(net.a, net.devA), [`${net.addrA}/${net.prefixLength}`]);
    const server = await SandboxServer.start(lab(), net.a, httpServerArgv('0.0.0.0', 8000, freshDir('www')));
    assert.match(server.log, takenOver(net.addrA));
    assert.deepEqual(ipv4Addresses(net.a, net.devA), [], 'the sandbox took the address from the host stack');
    const ping = await lab().exec(net.b, [BUSYBOX, 'ping', '-c', '3', '-i', '0.2', '-W', '5', net.addrA]);
    assert.match(ping.stdout, /3 packets transmitted, 3 packets received/, `${ping.stdout}${ping.stderr}\n${server.describe()}`);
    // An echo request of 4000 bytes arrives in fragments; the reply is fragmented by the sandbox.
    const big = await lab().exec(net.b, [BUSYBOX, 'ping', '-c', '1', '-s', '4000', '-W', '5', net.addrA]);
    assert.match(big.stdout, /4008 bytes from 10\.99\.0\.1/, big.stdout + big.stderr);
    assert.match(big.stdout, /1 packets transmitted, 1 packets received/);
    assert.ok(server.alive, server.describe());
    await server.stop();
  });

  it("a port listened on in the sandbox is open to B, but not in A's host stack nor in the root namespace", async () => {
    const net = twoHosts(lab());
    const port = freeRootPort();
    const server = await SandboxServer.start(lab(), net.a, httpServerArgv('0.0.0.0', port, freshDir('www')));
    await waitForTcp(lab(), net.b, net.addrA, port);
    for (const ns of [net.a, undefined]) {
      const where = ns === undefined ? 'the root namespace' : "A's host stack";
      assert.equal(listenersOn(ns, port), '', `a listener on ${port} in ${where}`);
      const r = await lab().exec(ns, [PY, '-c', CONNECT_LOCAL, String(port)]);
      assert.equal(r.stdout, 'ECONNREFUSED\n', `connect to 127.0.0.1:${port} in ${where}: ${r.stderr}`);
    }
    // The control: the same checks see a listener of A's host stack.
    const native = lab().spawn(net.a, [PY, '-c', `import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', ${port}))\ns.listen()\ntime.sleep(60)`]);
    await waitForTcp(lab(), net.a, '127.0.0.1', port);
    assert.match(listenersOn(net.a, port), new RegExp(`LISTEN .*0\\.0\\.0\\.0:${port} `));
    native.kill('SIGKILL');
    assert.ok(server.alive, server.describe());
    await server.stop();
  });
});
