import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { limitSearches, writePodFiles } from './files';

const BOILERPLATE = '# Kubernetes-managed hosts file.\n' +
  '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
  'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

describe('cri/pod/files', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-files-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes kubelet-style hosts, resolv.conf from DNSConfig, and hostname', () => {
    const p = writePodFiles(path.join(dir, 'pod'), {
      hostname: 'web-0',
      ips: ['10.88.0.5', 'fd00::5'],
      dns: { servers: ['10.96.0.10', '10.96.0.11'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5', 'edns0'] },
      hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote'] }],
    });
    assert.deepEqual(p, { hostsPath: path.join(dir, 'pod/hosts'), resolvPath: path.join(dir, 'pod/resolv.conf'), hostnamePath: path.join(dir, 'pod/hostname') });
    assert.equal(fs.readFileSync(p.hostsPath, 'utf8'), BOILERPLATE +
      '10.88.0.5\tweb-0\nfd00::5\tweb-0\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n');
    assert.equal(fs.readFileSync(p.resolvPath, 'utf8'),
      'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5 edns0\n');
    assert.equal(fs.readFileSync(p.hostnamePath, 'utf8'), 'web-0\n');
    assert.equal(fs.statSync(p.hostsPath).mode & 0o777, 0o644);
  });

  it('copies the host resolv.conf without DNSConfig; no pod IP lines without IPs', () => {
    const host = path.join(dir, 'host-resolv.conf');
    fs.writeFileSync(host, 'nameserver 192.0.2.53\nsearch example.org\n');
    const p = writePodFiles(dir, { hostname: 'h', ips: [], hostResolvConf: host });
    assert.equal(fs.readFileSync(p.resolvPath, 'utf8'), 'nameserver 192.0.2.53\nsearch example.org\n');
    assert.equal(fs.readFileSync(p.hostsPath, 'utf8'), BOILERPLATE);
    // The default is the real /etc/resolv.conf.
    const q = writePodFiles(path.join(dir, 'd'), { hostname: 'h', ips: [] });
    assert.equal(fs.readFileSync(q.resolvPath, 'utf8'), fs.readFileSync('/etc/resolv.conf', 'utf8'));
  });

  it('limits nameservers to 3 and the search list as kubelet does', () => {
    const p = writePodFiles(dir, { hostname: 'h', ips: [], dns: { servers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'], searches: [], options: [] } });
    assert.equal(fs.readFileSync(p.resolvPath, 'utf8'), 'nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n');
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    assert.deepEqual(limitSearches(many), many.slice(0, 32));
    const long = 'x'.repeat(254);
    assert.deepEqual(limitSearches(['a', long, 'b']), ['a', 'b']);
    // Domains of 250 chars: 9 make a 2258-char line (> 2048), 8 make 2007.
    const wide = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(250, 'y'));
    assert.deepEqual(limitSearches(wide), wide.slice(0, 8));
  });

  it('refuses values that would inject lines', () => {
    assert.throws(() => writePodFiles(dir, { hostname: 'a\n1.2.3.4 evil', ips: [] }), /invalid hostname/);
    assert.throws(() => writePodFiles(dir, { hostname: 'a', ips: [], dns: { servers: ['1.1.1.1\nnameserver 6.6.6.6'], searches: [], options: [] } }), /invalid DNS setting/);
    assert.throws(() => writePodFiles(dir, { hostname: 'a', ips: [], hostAliases: [{ ip: '1.2.3.4', hostnames: ['x\ny'] }] }), /invalid host alias/);
  });
});
