import assert from 'node:assert/strict';
import { LinuxError } from '../errors/linuxerr';
import { parseSysctl, SYSCTLS, sysctlRefusal, Sysctls } from './sysctl';

const einval = (e: unknown) => e instanceof LinuxError && e.code === 'EINVAL';

describe('sysctls (namespaced, per kernel)', () => {
  it('start at Linux 4.4\'s defaults and read back in /proc/sys form (vectors tab-separated)', () => {
    const s = new Sysctls({ hostname: 'pod', domainname: '(none)' });
    assert.equal(s.get('kernel.shm_rmid_forced'), '0');
    assert.equal(s.get('fs/mqueue/msg_max'), '10');
    assert.equal(s.get('kernel.sem'), '32000\t1024000000\t500\t32000');
    assert.equal(s.get('kernel.hostname'), 'pod');
  });

  it('parse like proc_dointvec: whitespace, ranges, partial vectors; garbage and out-of-range values are EINVAL', () => {
    const s = new Sysctls({ hostname: 'pod', domainname: '(none)' });
    s.set('kernel.shm_rmid_forced', ' 1\n');
    s.set('fs.mqueue.msg_max', '100');
    s.set('net.ipv4.ip_local_port_range', '1024 2048');
    s.set('kernel.sem', '250');
    assert.deepEqual(['kernel.shm_rmid_forced', 'fs.mqueue.msg_max', 'net.ipv4.ip_local_port_range', 'kernel.sem'].map((n) => s.get(n)), [
      '1', '100', '1024\t2048', '250\t1024000000\t500\t32000',
    ]);
    assert.throws(() => s.set('kernel.shm_rmid_forced', '2'), einval);
    assert.throws(() => s.set('fs.mqueue.msg_max', 'abc'), einval);
    assert.throws(() => s.set('fs.mqueue.msg_max', '1 2'), einval);
    assert.throws(() => s.set('net.ipv4.ip_local_port_range', '3000 2000'), einval);
    assert.throws(() => s.set('kernel.shmmax', '-1'), einval);
    assert.equal(parseSysctl(SYSCTLS['kernel.shmmax'], '18446744073709551615', '0'), '18446744073709551615');
  });

  it('the UTS sysctls are the kernel\'s names', () => {
    const uts = { hostname: 'pod', domainname: '(none)' };
    new Sysctls(uts).set('kernel.hostname', 'renamed\n');
    assert.equal(uts.hostname, 'renamed');
    assert.throws(() => new Sysctls(uts).set('kernel.domainname', 'x'.repeat(65)), einval);
  });

  it('a pod may set only sysctls of its own namespaces that the sandbox has', () => {
    assert.equal(sysctlRefusal('net.core.somaxconn'), undefined);
    assert.equal(sysctlRefusal('kernel/shm_rmid_forced'), undefined);
    assert.match(sysctlRefusal('vm.swappiness') ?? '', /is not in a separate kernel namespace/);
    assert.match(sysctlRefusal('kernel.ostype') ?? '', /is not in a separate kernel namespace/);
    assert.match(sysctlRefusal('net.ipv6.conf.all.disable_ipv6') ?? '', /is not supported by the sandbox kernel/);
  });
});
