import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { attachmentFromResult, Cni, CniPodInfo } from './cni';
import { createNetns, removeNetns } from './netns';
import { mountPoints } from './mountinfo';

const BIN_DIRS = ['/usr/lib/cni'];
const BRIDGE = `tsvt${process.pid % 100000}`;
const SUBNET_PREFIX = '10.88.213.';
const NET = 'tsvtest';

function sh(cmd: string, args: string[]): string {
  // A shared test machine's nat table can be large: room for its listing.
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}
function inNs(ns: string, cmd: string, args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('nsenter', [`--net=${ns}`, cmd, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}
function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { encoding: 'utf8' }).status === 0;
}
function bridgePorts(): string[] {
  if (!linkExists(BRIDGE)) return [];
  return sh('ip', ['-o', 'link', 'show', 'master', BRIDGE]).split('\n').filter((l) => l !== '');
}

describe('cri/pod/cni (Debian plugins: bridge, host-local, loopback)', function () {
  let tmp: string;
  let confDir: string;
  let cacheDir: string;
  let dataDir: string;
  const netnses: string[] = [];
  const pods: CniPodInfo[] = [];

  function writeConf(extraPlugins: object[] = [], file = '10-tsvtest.conflist'): void {
    fs.writeFileSync(path.join(confDir, file), JSON.stringify({
      cniVersion: '1.0.0', name: NET,
      plugins: [{
        type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${SUBNET_PREFIX}0/24` }]], dataDir, routes: [{ dst: '0.0.0.0/0' }] },
      }, ...extraPlugins],
    }));
  }
  function leases(): string[] {
    const d = path.join(dataDir, NET);
    return fs.existsSync(d) ? fs.readdirSync(d).filter((n) => n.startsWith(SUBNET_PREFIX)).sort() : [];
  }
  async function pod(name: string): Promise<CniPodInfo> {
    const netnsPath = await createNetns(path.join(tmp, 'state'), name);
    netnses.push(netnsPath);
    const p = { id: `id-${name}`, name, namespace: 'default', uid: `uid-${name}`, netnsPath };
    pods.push(p);
    return p;
  }

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-cni-'));
    confDir = path.join(tmp, 'net.d');
    cacheDir = path.join(tmp, 'cache');
    dataDir = path.join(tmp, 'ipam');
    fs.mkdirSync(confDir);
  });
  afterEach(async () => {
    // A failed test may have left attachments: their cache entries undo them (portmap rules included).
    for (const p of pods.splice(0)) await new Cni({ confDir, binDirs: BIN_DIRS, cacheDir }).tearDown(p).catch(() => undefined);
    for (const ns of netnses.splice(0)) await removeNetns(ns);
    const leftPorts = bridgePorts();
    if (linkExists(BRIDGE)) sh('ip', ['link', 'del', BRIDGE]);
    const leftMounts = mountPoints().filter((m) => m.startsWith(tmp));
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(leftPorts, [], 'veths left on the bridge');
    assert.deepEqual(leftMounts, [], 'mounts left');
  });

  it('reports not ready without a config or with a missing plugin, ready otherwise', () => {
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const none = cni.status();
    assert.equal(none.ready, false);
    assert.equal(none.reason, 'NetworkPluginNotReady');
    assert.match(none.message ?? '', /no valid network config found in/);
    writeConf([{ type: 'tsv-no-such-plugin' }]);
    assert.match(cni.status().message ?? '', /CNI plugin "tsv-no-such-plugin" not found in \/usr\/lib\/cni/);
    writeConf();
    assert.deepEqual(cni.status(), { ready: true });
    // A broken file sorting first is skipped.
    fs.writeFileSync(path.join(confDir, '00-broken.conf'), '{not json');
    assert.deepEqual(cni.status(), { ready: true });
    assert.deepEqual(new Cni({ confDir: path.join(tmp, 'missing'), binDirs: BIN_DIRS, cacheDir }).status().ready, false);
  });

  it('attaches two pods that can reach each other, and detaches them (also after a restart)', async () => {
    writeConf();
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const a = await pod('a');
    const b = await pod('b');
    const atA = await cni.setUp(a);
    const atB = await cni.setUp(b);
    for (const at of [atA, atB]) {
      assert.equal(at.ips.length, 1);
      assert.ok(at.ips[0].startsWith(SUBNET_PREFIX), at.ips[0]);
    }
    assert.notEqual(atA.ips[0], atB.ips[0]);
    assert.deepEqual(leases(), [atA.ips[0], atB.ips[0]].sort());
    const podIf = atA.interfaces.find((i) => i.sandbox === a.netnsPath);
    assert.equal(podIf?.name, 'eth0');

    for (const [p, at] of [[a, atA], [b, atB]] as const) {
      assert.match(inNs(p.netnsPath, 'ip', ['-4', '-o', 'addr', 'show', 'eth0']).stdout, new RegExp(` inet ${at.ips[0].replace(/\./g, '\\.')}/24 `));
      assert.match(inNs(p.netnsPath, 'ip', ['-o', 'link', 'show', 'lo']).stdout, /<LOOPBACK,UP,LOWER_UP>/);
      assert.equal(inNs(p.netnsPath, '/bin/busybox', ['ping', '-c1', '-W1', '127.0.0.1']).status, 0, 'lo answers');
    }
    assert.equal(inNs(a.netnsPath, '/bin/busybox', ['ping', '-c1', '-W2', atB.ips[0]]).status, 0, 'a reaches b');
    assert.equal(inNs(b.netnsPath, '/bin/busybox', ['ping', '-c1', '-W2', atA.ips[0]]).status, 0, 'b reaches a');
    assert.notEqual(inNs(a.netnsPath, '/bin/busybox', ['ping', '-c1', '-W1', `${SUBNET_PREFIX}250`]).status, 0, 'no one at .250');
    assert.equal(bridgePorts().length, 2);

    await cni.tearDown(a, atA);
    assert.deepEqual(leases(), [atB.ips[0]]);
    assert.equal(inNs(a.netnsPath, 'ip', ['link', 'show', 'eth0']).status, 1, 'eth0 deleted');
    await cni.tearDown(a, atA); // idempotent

    // A restarted server knows b only from the cache.
    const restarted = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    fs.rmSync(path.join(confDir, '10-tsvtest.conflist')); // DEL uses the cached config, not today's
    await restarted.tearDown(b);
    assert.deepEqual(leases(), []);
    assert.deepEqual(bridgePorts(), []);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
    await restarted.tearDown(b);
  });

  it('releases the IP when the namespace is already gone', async () => {
    writeConf();
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const a = await pod('gone');
    await cni.setUp(a);
    assert.equal(leases().length, 1);
    await removeNetns(a.netnsPath);
    await cni.tearDown(a);
    assert.deepEqual(leases(), []);
  });

  it('rolls back the plugins already added when a later one is missing', async () => {
    writeConf([{ type: 'tsv-no-such-plugin' }]);
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const a = await pod('rb');
    await assert.rejects(() => cni.setUp(a), (e: Error) => {
      assert.match(e.message, /CNI setup of pod id-rb on network tsvtest .* failed: CNI plugin "tsv-no-such-plugin" not found in \/usr\/lib\/cni/);
      return true;
    });
    assert.deepEqual(leases(), [], 'IP released');
    assert.deepEqual(bridgePorts(), [], 'veth deleted');
    assert.equal(inNs(a.netnsPath, 'ip', ['link', 'show', 'eth0']).status, 1);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
  });

  it('reports a plugin error with its CNI message and refuses bad input', async () => {
    fs.writeFileSync(path.join(confDir, '10-bad.conflist'), JSON.stringify({
      cniVersion: '1.0.0', name: NET, plugins: [{ type: 'bridge', bridge: BRIDGE, ipam: { type: 'host-local' } }],
    }));
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const a = await pod('err');
    await assert.rejects(() => cni.setUp(a), /plugin bridge ADD \(eth0\): .*\(code \d+\)/);
    await assert.rejects(() => cni.setUp({ ...a, id: '../x' }), /invalid pod sandbox id/);
    await assert.rejects(() => cni.setUp({ ...a, name: 'x;K8S_POD_NAME=y' }), /invalid K8S_POD_NAME/);
    await assert.rejects(() => cni.setUp({ ...a, id: 'nons', netnsPath: path.join(tmp, 'nope') }), /network namespace .* does not exist/);
  });

  it('passes port mappings to portmap (runtimeConfig) and removes its rules on teardown', async () => {
    writeConf([{ type: 'portmap', capabilities: { portMappings: true } }]);
    const cni = new Cni({ confDir, binDirs: BIN_DIRS, cacheDir });
    const hostPort = 30000 + (process.pid % 20000);
    const a = { ...(await pod('pm')), portMappings: [{ protocol: 'tcp' as const, container_port: 8080, host_port: hostPort, host_ip: '' }] };
    const rules = (): string[] => sh('iptables', ['-t', 'nat', '-S']).split('\n').filter((l) => l.includes(`--dport ${hostPort} `));
    const at = await cni.setUp(a);
    assert.ok(rules().some((l) => l.includes(`--to-destination ${at.ips[0]}:8080`)), rules().join('\n'));
    // Restarted, from the cache: DEL gets the same runtimeConfig and prevResult.
    await new Cni({ confDir, binDirs: BIN_DIRS, cacheDir }).tearDown({ ...a, portMappings: [] });
    assert.deepEqual(rules(), []);
  });

  it('picks the pod IPs of the sandbox interface, IPv4 first', () => {
    const result = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'cni0', mac: 'aa' }, { name: 'veth1', mac: 'bb' }, { name: 'eth0', mac: 'cc', sandbox: '/ns' }],
      ips: [{ address: 'fd00::5/64', interface: 2 }, { address: '10.0.0.1/24', interface: 0 }, { address: '10.0.0.5/24', gateway: '10.0.0.1', interface: 2 }],
    };
    const at = attachmentFromResult(result, 'eth0');
    assert.deepEqual(at.ips, ['10.0.0.5', 'fd00::5']);
    assert.deepEqual(at.cidrs, ['10.0.0.5/24', 'fd00::5/64']);
    assert.deepEqual(at.interfaces, [{ name: 'cni0', mac: 'aa' }, { name: 'veth1', mac: 'bb' }, { name: 'eth0', mac: 'cc', sandbox: '/ns' }]);
    assert.equal(at.raw, result);
    assert.throws(() => attachmentFromResult([], 'eth0'), /not a JSON object/);
  });
});
