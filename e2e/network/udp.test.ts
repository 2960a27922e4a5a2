/**
 * Issue 5, acceptance 3 (UDP): echo both ways between a sandbox in A and
 * python in B, exact bytes, from empty datagrams to the largest one UDP
 * carries (45 IPv4 fragments each way).
 */
import assert from 'node:assert/strict';
import { checkNoLeaks } from '../syscalls/harness';
import { labPerTest, twoHosts } from './netns';
import { PY, sandboxExec, SandboxServer, takenOver, unsupportedSyscalls } from './sandbox';

const PORT = 7000;

const ECHO_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', ${PORT}))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
`;

/** Waits for the server to answer, then sends datagrams of each size and prints what came back. */
const ECHO_CLIENT = `
import random, socket, sys, time
server = (sys.argv[1], ${PORT})
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
deadline = time.time() + 20
while True:
    s.sendto(b'ready?', server)
    try:
        if s.recvfrom(100)[0] == b'ready?':
            break
    except socket.timeout:
        if time.time() > deadline:
            sys.exit('no echo server')
s.settimeout(5)
for n in (0, 1, 1472, 1473, 8000, 65507):
    data = random.Random(n).randbytes(n)
    s.sendto(data, server)
    d, a = s.recvfrom(65535)
    while d == b'ready?':  # a late answer to a probe
        d, a = s.recvfrom(65535)
    print(n, len(d), d == data, a == server)
`;

const EXPECTED = ['0 0 True True', '1 1 True True', '1472 1472 True True', '1473 1473 True True', '8000 8000 True True', '65507 65507 True True', ''].join('\n');

describe('e2e/network: UDP between a sandbox and another namespace', function () {
  this.timeout(60_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('an echo server in the sandbox returns the exact bytes to a client in B', async () => {
    const net = twoHosts(lab());
    const server = await SandboxServer.start(lab(), net.a, [PY, '-c', ECHO_SERVER]);
    const r = await lab().exec(net.b, [PY, '-c', ECHO_CLIENT, net.addrA]);
    assert.equal(r.stdout, EXPECTED, `${r.stderr}\n${server.describe()}`);
    assert.match(server.log, takenOver(net.addrA));
    const log = await server.stop();
    assert.deepEqual(unsupportedSyscalls(log), []);
  });

  it('a client in the sandbox gets the exact bytes back from an echo server in B', async () => {
    const net = twoHosts(lab());
    lab().spawn(net.b, [PY, '-c', ECHO_SERVER]);
    const r = await sandboxExec(lab(), net.a, [PY, '-c', ECHO_CLIENT, net.addrB]);
    assert.equal(r.stdout, EXPECTED, `${r.stderr}\n${r.log}`);
    assert.match(r.log, takenOver(net.addrA));
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });
});
