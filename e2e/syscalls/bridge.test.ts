/**
 * Bridge devices compared with Linux: busybox brctl (the bridge ioctls)
 * and `ip link` in a fresh network namespace natively (unshare -n, lo
 * brought up: the sandbox with --network=none has only lo, up), and as a
 * process without
 * CAP_NET_ADMIN (setpriv), which Linux and the sandbox both refuse.
 * Random MAC addresses are hidden.
 */
import * as assert from 'assert';
import { assertOutput } from './compare';
import { checkNoLeaks, native, sandboxed } from './harness';

const BRCTL = '/bin/busybox brctl';
// brctl's messages carry the errno's text: stderr is compared too.
const SCRIPT = [
  'exec 2>&1',
  `${BRCTL} addbr foobar; echo addbr=$?`,
  `${BRCTL} addbr foobar; echo again=$?`,
  `${BRCTL} addbr lo; echo lo=$?`,
  `${BRCTL} addbr a:b; echo colon=$?`,
  `${BRCTL} addbr br1; echo br1=$?`,
  // lo and a bridge cannot be ports (EINVAL, ELOOP); no interface is a port yet.
  `${BRCTL} addif foobar lo; echo addif-lo=$?`,
  `${BRCTL} addif foobar br1; echo addif-br=$?`,
  `${BRCTL} delif foobar lo; echo delif=$?`,
  `${BRCTL} addif lo lo; echo addif-notbridge=$?`,
  'ip -o link show | sed -E "s#link/ether [0-9a-f:]+#link/ether MAC#"',
  'ip -o -4 addr show',
  'cut -d: -f1 /proc/net/dev',
  `${BRCTL} delbr nope; echo delbr-none=$?`,
  `${BRCTL} delbr lo; echo delbr-lo=$?`,
  `${BRCTL} delbr foobar; echo delbr=$?`,
  'ip -o link show | cut -d: -f2',
].join('; ');

/** The same requests by root without CAP_NET_ADMIN in its bounding and effective sets. */
const UNPRIVILEGED = `/usr/bin/setpriv --inh-caps=-net_admin --bounding-set=-net_admin /bin/sh -c 'exec 2>&1; ${BRCTL} addbr foobar; echo addbr=$?; ${BRCTL} delbr lo; echo delbr=$?'`;

describe('e2e: bridge devices', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('brctl addbr/delbr/addif and ip link behave as in a fresh network namespace', () => {
    const n = native(['/usr/bin/unshare', '-n', '/bin/sh', '-c', `ip link set lo up; ${SCRIPT}`]);
    assert.strictEqual(n.code, 0, n.stderr);
    assert.match(n.stdout.toString(), /^addbr=0\nbrctl: bridge foobar: File exists\n/);
    assertOutput(sandboxed(['/bin/sh', '-c', SCRIPT], { rawFlags: ['--network=none'] }), n.stdout);
  });

  it('without CAP_NET_ADMIN adding and removing bridges is refused', () => {
    const n = native(['/usr/bin/unshare', '-n', '/bin/sh', '-c', UNPRIVILEGED]);
    assert.strictEqual(n.code, 0, n.stderr);
    assert.match(n.stdout.toString(), /Operation not permitted\naddbr=1\n/);
    assertOutput(sandboxed(['/bin/sh', '-c', UNPRIVILEGED], { rawFlags: ['--network=none'] }), n.stdout);
  });
});
