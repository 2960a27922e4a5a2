/**
 * /proc/net/tcp, udp, tcp6, udp6, raw and raw6 in the sandbox, compared with the same
 * program run natively in a fresh network namespace: the header lines, the
 * rows (addresses, ports, states, queues, uid, inode = the socket's
 * st_ino) and the line widths Linux pads them to. Then busybox netstat
 * lists the sandbox's listener. In host mode the tables are the host's:
 * a listener the sandbox opened is in the namespace's own table, owned by
 * the Sentry's host user.
 */
import assert from 'node:assert/strict';
import { checkNoLeaks } from '../syscalls/harness';
import { labPerTest } from './netns';
import { PY, sandboxExec, unsupportedSyscalls } from './sandbox';

/** Prints every table's header and each socket's row, ports replaced by the socket's role. */
const TABLES_PY = `
import os, socket, time
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(7)
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
c.sendall(b'x' * 100)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.connect(u.getsockname())
time.sleep(0.3)
roles = {l.getsockname()[1]: 'L', c.getsockname()[1]: 'C', u.getsockname()[1]: 'U', v.getsockname()[1]: 'V'}
def endpoint(s):
    ip, port = s.split(':')
    return ip + ':' + roles.get(int(port, 16), 'port?' if port != '0000' else '0')
for t in ('tcp', 'udp', 'tcp6', 'udp6', 'raw', 'raw6'):
    lines = open('/proc/net/' + t).read().split('\\n')
    print(t, repr(lines[0]), 'rows', len([x for x in lines[1:] if x]), 'widths', sorted(set(len(x) for x in lines[1:] if x)))
for name, s, t in (('listener', l, 'tcp'), ('client', c, 'tcp'), ('accepted', a, 'tcp'), ('bound', u, 'udp'), ('connected', v, 'udp')):
    ino = str(os.fstat(s.fileno()).st_ino)
    f = next(x.split() for x in open('/proc/net/' + t).read().split('\\n')[1:] if x and x.split()[9] == ino)
    print(name, endpoint(f[1]), endpoint(f[2]), 'st', f[3], 'queues', f[4], 'uid', f[7])
`;

describe('e2e/network: /proc/net socket tables', function () {
  this.timeout(60_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('tcp, udp, tcp6, udp6 as Linux writes them (sandbox stack, compared with a native run)', async () => {
    const native = await lab().exec(lab().namespace('n'), [PY, '-c', TABLES_PY]);
    assert.equal(native.code, 0, native.stderr);
    assert.match(native.stdout, /^listener 0100007F:L 00000000:0 st 0A queues 00000000:00000000 uid 0$/m, 'the control run lists its own listener');
    const r = await sandboxExec(lab(), lab().namespace('s'), [PY, '-c', TABLES_PY], { network: 'none' });
    assert.equal(r.stdout, native.stdout, `${r.stderr}\n${r.log}`);
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });

  it('busybox netstat lists the sandbox\'s listening sockets', async () => {
    const r = await sandboxExec(lab(), undefined, ['/bin/busybox', 'sh', '-c', 'nc -l -p 8080 & sleep 0.3; netstat -lnt; kill $!'], { network: 'none' });
    assert.match(r.stdout, /^tcp +0 +0 0\.0\.0\.0:8080 +0\.0\.0\.0:\* +LISTEN *$/m, `${r.stderr}\n${r.log}`);
  });

  it('in host mode the tables are the namespace\'s own: the sandbox\'s listener is a host socket there', async () => {
    const ns = lab().namespace('h');
    const r = await sandboxExec(lab(), ns, [PY, '-c', TABLES_PY], { network: 'host' });
    const native = await lab().exec(lab().namespace('n'), [PY, '-c', TABLES_PY]);
    // The host's sockets belong to the user the Sentry runs as (it drops root at start: nobody).
    assert.equal(r.stdout, native.stdout.replace(/ uid 0$/gm, ' uid 65534'), `${r.stderr}\n${r.log}`);
  });
});
