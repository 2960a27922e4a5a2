/**
 * /sys compared with Linux: a native run in fresh network and mount
 * namespaces with sysfs mounted read-only (as container runtimes mount it)
 * and lo up, against the sandbox with --network=none (only lo). A bridge
 * shows up as Linux shows one; random MAC addresses are left out.
 */
import * as assert from 'assert';
import { assertOutput } from './compare';
import { checkNoLeaks, native, sandboxed } from './harness';

const ATTRS = 'addr_len broadcast carrier dev_id flags ifindex iflink mtu operstate tx_queue_len type';
const SCRIPT = [
  'exec 2>&1',
  '/bin/busybox brctl addbr foobar',
  'ls /sys',
  'ls /sys/class/net',
  "ls -l /sys/class/net | awk 'NR > 1 { print $1, $9, $10, $11 }'",
  `for i in lo foobar; do for f in ${ATTRS}; do echo "$i $f=$(cat /sys/class/net/$i/$f)"; done; done`,
  'ls -d /sys/class/net/foobar/brif',
  'cat /sys/class/net/foobar/bridge/bridge_id /sys/class/net/foobar/bridge/stp_state',
  'cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/present',
  'ls -d /sys/devices/system/cpu/cpu[0-9]*',
  'nproc',
  'getconf _NPROCESSORS_ONLN',
  '(echo 9000 > /sys/class/net/lo/mtu) 2>&1 | sed "s/.*: //"',
  'stat -f -c %T /sys',
  'grep -w sysfs /proc/mounts | tail -1 | cut -d" " -f2-4',
].join('; ');

describe('e2e: /sys', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('shows the sandbox\'s interfaces and CPUs, read-only, as Linux does in a fresh network namespace', () => {
    const n = native(['/usr/bin/unshare', '-n', '-m', '/bin/sh', '-c', `mount -t sysfs -o ro sysfs /sys && ip link set lo up && { ${SCRIPT}; }`]);
    assert.strictEqual(n.code, 0, n.stderr);
    assert.match(n.stdout.toString(), /\nlo flags=0x9\n/);
    assert.match(n.stdout.toString(), /\nRead-only file system\n/);
    assertOutput(sandboxed(['/bin/sh', '-c', SCRIPT], { rawFlags: ['--network=none'] }), n.stdout);
  });

  it('does not show the host\'s interfaces', () => {
    const r = sandboxed(['/bin/ls', '/sys/class/net'], { rawFlags: ['--network=none'] });
    assertOutput(r, 'lo\n');
  });
});
