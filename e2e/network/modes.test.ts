/**
 * Issue 5, acceptance 5 (`none`, and `sandbox` where there is nothing to
 * take): `--network=none` in namespace A leaves the sandbox only `lo` and
 * A's host stack its address; `--network=sandbox` in the root namespace
 * takes no interface or address from the host and still has a working
 * 127.0.0.1. (`--network=host` has its own tests in host.test.ts.)
 */
import assert from 'node:assert/strict';
import { checkNoLeaks } from '../syscalls/harness';
import { ipv4Addresses, labPerTest, twoHosts } from './netns';
import { PY, sandboxExec, takenOver, unsupportedSyscalls } from './sandbox';

/**
 * Prints the interfaces SIOCGIFCONF lists (name and IPv4 address), the
 * outcome of a TCP connect and a UDP send to argv[1], and a TCP exchange
 * over 127.0.0.1.
 */
const PROBE = `
import array, errno, fcntl, socket, struct, sys
SIOCGIFCONF = 0x8912
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
buf = array.array('B', bytes(40 * 64))
n = struct.unpack('iL', fcntl.ioctl(s.fileno(), SIOCGIFCONF, struct.pack('iL', len(buf), buf.buffer_info()[0])))[0]
raw = buf.tobytes()[:n]
for i in range(0, n, 40):
    print('if', raw[i:i + 16].split(b'\\0')[0].decode(), socket.inet_ntoa(raw[i + 20:i + 24]))
def outcome(fn):
    try:
        fn()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
print('tcp connect', outcome(lambda: socket.create_connection((sys.argv[1], 80), timeout=3).close()))
print('udp send', outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', (sys.argv[1], 9))))
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen()
c = socket.create_connection(l.getsockname(), timeout=3)
a = l.accept()[0]
c.sendall(b'over lo')
print('loopback', a.recv(100).decode())
`;

describe('e2e/network: --network=none, and sandbox mode in the root namespace', function () {
  this.timeout(60_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('--network=none in A: only lo, B unreachable, A keeps its address', async () => {
    const net = twoHosts(lab());
    const own = [`${net.addrA}/${net.prefixLength}`];
    // The control: natively in A the probe sees eth0 and reaches B (nothing listens there: refused).
    const native = await lab().exec(net.a, [PY, '-c', PROBE, net.addrB]);
    assert.equal(native.stdout, `if lo 127.0.0.1\nif eth0 ${net.addrA}\ntcp connect ECONNREFUSED\nudp send ok\nloopback over lo\n`, native.stderr);
    const r = await sandboxExec(lab(), net.a, [PY, '-c', PROBE, net.addrB], { network: 'none' });
    assert.equal(r.stdout, 'if lo 127.0.0.1\ntcp connect ENETUNREACH\nudp send ENETUNREACH\nloopback over lo\n', `${r.stderr}\n${r.log}`);
    assert.doesNotMatch(r.log, takenOver(net.addrA));
    assert.deepEqual(ipv4Addresses(net.a, net.devA), own, 'A keeps its address');
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });

  it('--network=sandbox in the root namespace takes nothing from the host; 127.0.0.1 works', async () => {
    const before = ipv4Addresses(undefined);
    const r = await sandboxExec(lab(), undefined, [PY, '-c', PROBE, '10.99.0.2'], { network: 'sandbox' });
    assert.equal(r.stdout, 'if lo 127.0.0.1\ntcp connect ENETUNREACH\nudp send ENETUNREACH\nloopback over lo\n', `${r.stderr}\n${r.log}`);
    assert.match(r.log, /network: sandbox mode in the host network namespace: only lo/);
    assert.doesNotMatch(r.log, /taken over/);
    // Other tests may add addresses meanwhile; none of the host's may go missing.
    const after = ipv4Addresses(undefined);
    assert.deepEqual(before.filter((a) => !after.includes(a)), [], `addresses before: ${before.join(' ')}; after: ${after.join(' ')}`);
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });

  // Such as CNI's ptp plugin leaves on the host side of each pod; this VM
  // hides pid 1's network namespace, so the Sentry must know the root one otherwise.
  it('--network=sandbox in the root namespace leaves a veth with an IPv4 address there alone', async () => {
    const peer = lab().namespace('p');
    const dev = `tsvn${process.pid % 100000}`;
    const cidr = '10.98.0.1/24';
    // Deleting the peer's namespace at teardown removes the pair.
    lab().veth({ ns: undefined, dev, cidr }, { ns: peer, dev: 'eth0' });
    const r = await sandboxExec(lab(), undefined, ['/bin/true'], { network: 'sandbox' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.log, /taken over/);
    assert.deepEqual(ipv4Addresses(undefined, dev), [cidr]);
  });
});
