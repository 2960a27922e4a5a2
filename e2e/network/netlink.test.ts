/**
 * rtnetlink in the sandbox (NETLINK_ROUTE sockets answered by the Sentry):
 * in namespace A with a veth (10.99.0.1/24, broadcast, default route via
 * B), iproute2's and busybox's `ip`, glibc's if_nameindex (python) and
 * getifaddrs (Node's os.networkInterfaces) print the same natively in A
 * and in a sandbox that took A's interface over. Changes fail as for an
 * unprivileged program. What may differ is normalised: interface indexes
 * (the sandbox numbers lo 1 and its interface 2), and the veth's peer
 * (`@ifN`, `link-netns`, busybox's `M-DOWN`: the sandbox does not show
 * the host's link to the other namespace).
 */
import assert from 'node:assert/strict';
import { checkNoLeaks } from '../syscalls/harness';
import { ipv4Addresses, IP, labPerTest, runSync } from './netns';
import { BUSYBOX } from './peer';
import { PY, sandboxExec, takenOver, unsupportedSyscalls } from './sandbox';

const ADDR = '10.99.0.1';
const GATEWAY = '10.99.0.2';

/** Interface names (glibc's if_nameindex), then getifaddrs' view through Node (IPv6 is off in the test namespaces). */
const NAMES = `import socket; print([n for _, n in socket.if_nameindex()])`;
const IFADDRS = `const o = require('os').networkInterfaces(); console.log(JSON.stringify(o, null, 1))`;

/** Each command's output after a `## command` line. */
const READERS = [
  `${IP} -4 addr`, `${IP} addr show dev eth0`, `${IP} link`, `${IP} -o link show lo`, `${IP} route`,
  `${IP} -4 route show table all`, `${IP} route get 192.0.2.7`, `${IP} route get 10.99.0.9`, `${IP} route get ${ADDR}`,
  `${BUSYBOX} ip addr`, `${BUSYBOX} ip route`, `${PY} -c "${NAMES}"`, `${process.execPath} -e "${IFADDRS}"`,
];

/** Changes, each with its exit status: what an unprivileged program gets natively. */
const WRITERS = [
  `${IP} addr add 10.9.9.9/24 dev eth0`, `${IP} link set eth0 mtu 1400`, `${IP} route add 10.5.0.0/16 via ${GATEWAY}`,
  `${IP} link set eth0 down`,
];

const script = (cmds: string[]) => cmds.map((c) => `echo '## ${c}'; ${c} 2>&1; echo "exit $?"`).join('\n');

/** Output with what may differ normalised: indexes, the veth's peer. */
function normalise(out: string): string {
  return out
    .replace(/^\d+: /gm, 'N: ')
    .replace(/^(N: [^@:\s]+)@[^:\s]+:/gm, '$1:')
    .replace(/ link-netns(id)? \S+/g, '')
    .replace(/,M-DOWN>/g, '>');
}

describe('e2e/network: rtnetlink (ip, getifaddrs, if_nameindex) as natively', function () {
  this.timeout(120_000);
  const lab = labPerTest();
  checkNoLeaks();

  it("the sandbox's interfaces, addresses and routes read as Linux shows them; changes are EPERM", async () => {
    const a = lab().namespace('a');
    const b = lab().namespace('b');
    lab().veth({ ns: a, dev: 'eth0' }, { ns: b, dev: 'eth0', cidr: `${GATEWAY}/24` });
    runSync(a, [IP, 'addr', 'add', `${ADDR}/24`, 'brd', '+', 'dev', 'eth0']);
    runSync(a, [IP, 'route', 'add', 'default', 'via', GATEWAY]);
    const native = await lab().exec(a, ['/bin/sh', '-c', script(READERS)]);
    assert.equal(native.code, 0, native.stderr);
    // The control: natively the answers name eth0 with its address and route.
    assert.match(native.stdout, /inet 10\.99\.0\.1\/24 brd 10\.99\.0\.255 scope global eth0/);
    assert.match(native.stdout, /default via 10\.99\.0\.2 dev eth0/);
    assert.match(native.stdout, /\['lo', 'eth0'\]/);
    // Changes, natively as an unprivileged user (the sandbox's addresses are fixed whoever asks).
    const unprivileged = await lab().exec(a, ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', script(WRITERS)]);
    assert.match(unprivileged.stdout, /RTNETLINK answers: Operation not permitted\nexit 2/);
    const r = await sandboxExec(lab(), a, ['/bin/sh', '-c', `${script(READERS)}\n${script(WRITERS)}`]);
    assert.match(r.log, takenOver(ADDR));
    assert.deepEqual(ipv4Addresses(a, 'eth0'), [], 'the sandbox has the address');
    assert.equal(r.code, 0, `${r.stderr}\n${r.log.slice(-3000)}`);
    assert.equal(normalise(r.stdout), normalise(native.stdout + unprivileged.stdout));
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });

  it('--network=none: only lo, as in a namespace that has nothing else', async () => {
    const lonely = lab().namespace('c');
    const cmds = [`${IP} addr`, `${IP} route`, `${IP} -4 route show table all`, `${IP} route get 192.0.2.7`, `${PY} -c "${NAMES}"`];
    const native = await lab().exec(lonely, ['/bin/sh', '-c', script(cmds)]);
    assert.match(native.stdout, /Network is unreachable/);
    const r = await sandboxExec(lab(), lonely, ['/bin/sh', '-c', script(cmds)], { network: 'none' });
    assert.equal(r.code, 0, `${r.stderr}\n${r.log.slice(-3000)}`);
    assert.equal(normalise(r.stdout), normalise(native.stdout));
  });
});
