/**
 * Issue 5, acceptance 6 (and issue 4's pod networking): a gvisor pod's IP
 * from CNI is served by the pod Sentry's own stack. The host reaches a
 * server in the pod through the CNI bridge, pods reach each other, and the
 * pod's network namespace keeps no IPv4 address of its own (the host stack
 * there can answer nothing). The other network modes of `tsvisor cri`:
 * `--network host` (the pod's sockets are host sockets in its namespace,
 * which keeps its address), `--network none` (loopback only, no CNI), and a
 * hostNetwork pod (host sockets in the node's namespace).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crictl, cniConflist, CriServer, PushedRegistry, run, startCriServer, withPushedImages } from './harness';
import { freshDir } from '../syscalls/harness';

interface PodStatus { status: { network: { ip: string } }; info: { netnsPath?: string } }

/** A CRI server with its own CNI bridge and the pods it ran, for one describe block. */
class PodNet {
  cri!: CriServer;
  reg!: PushedRegistry;
  dir = '';
  readonly pods: string[] = [];

  constructor(readonly slot: number, readonly bridge: string) {}

  async start(extraArgs: string[] = []): Promise<void> {
    this.dir = freshDir('podnet');
    const netDir = path.join(this.dir, 'net.d');
    fs.mkdirSync(netDir);
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-podnet', this.bridge, `10.238.${this.slot}.0/24`, path.join(this.dir, 'ipam')));
    this.reg = await withPushedImages();
    this.cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--insecure-registries', this.reg.host, ...extraArgs] });
    await this.ok(['pull', this.reg.ref('tsvisor-test/busybox:1.0')]);
  }

  async stop(): Promise<void> {
    for (const p of this.pods) await crictl(this.cri, ['rmp', '-f', p]);
    await this.cri?.stop();
    await this.reg?.stop();
    await run('ip', ['link', 'delete', this.bridge]);
  }

  async ok(args: string[]): Promise<string> {
    const r = await crictl(this.cri, args);
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}\nserver log (end):\n${this.cri.log().slice(-3000)}`);
    return r.stdout;
  }

  /** A running pod with one busybox container running `script`; returns the pod id, container id, pod IP and netns. */
  async podWith(name: string, script: string, linux: object = {}): Promise<{ pod: string; ctr: string; ip: string; netns?: string }> {
    const podJson = path.join(this.dir, `${name}-pod.json`);
    fs.writeFileSync(podJson, JSON.stringify({ metadata: { name, namespace: 'e2e', uid: `uid-${name}`, attempt: 0 }, hostname: name, log_directory: path.join(this.dir, name), linux }));
    const pod = (await this.ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    this.pods.push(pod);
    const ctrJson = path.join(this.dir, `${name}-ctr.json`);
    fs.writeFileSync(ctrJson, JSON.stringify({ metadata: { name: 'main' }, image: { image: this.reg.ref('tsvisor-test/busybox:1.0') }, command: ['/bin/sh', '-c', script], log_path: 'main.log', linux }));
    const ctr = (await this.ok(['create', pod, ctrJson, podJson])).trim();
    await this.ok(['start', ctr]);
    const st = JSON.parse(await this.ok(['inspectp', pod])) as PodStatus;
    return { pod, ctr, ip: st.status.network.ip, netns: st.info.netnsPath };
  }

  /** `argv` run in the container, its stdout (crictl exec -s). */
  async exec(ctr: string, argv: string[]): Promise<string> {
    return this.ok(['exec', '-s', ctr, ...argv]);
  }
}

/** GET http://ip:port/path from the host, retrying while the server starts. */
async function fetchFromHost(ip: string, port: number, file: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const r = await run('curl', ['-sS', '--max-time', '5', `http://${ip}:${port}/${file}`]);
    if (r.code === 0) return r.stdout;
    last = r.stderr;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no answer from ${ip}:${port}: ${last}`);
}

const httpd = (text: string, port = 8080) => `mkdir -p /tmp/www && echo ${text} > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`;

/** The IPv4 addresses (CIDR) the host stack of network namespace `ns` has. */
async function netnsAddresses(ns: string): Promise<string[]> {
  const addrs = await run('nsenter', [`--net=${ns}`, 'ip', '-4', '-o', 'addr']);
  assert.equal(addrs.code, 0, addrs.stderr);
  return addrs.stdout.trim().split('\n').map((l) => l.split(/\s+/)[3]);
}

describe('gvisor pod networking through CNI (sandbox stack on the pod veth)', function () {
  this.timeout(180_000);
  const slot = (process.pid + 7) % 200;
  const net = new PodNet(slot, `tsvpn${slot}`);
  before(() => net.start());
  after(() => net.stop());

  let web: { pod: string; ctr: string; ip: string; netns?: string };

  it('the host reaches a server in a gvisor pod at the pod IP', async () => {
    web = await net.podWith('web', httpd('hello-from-the-sandbox'));
    assert.match(web.ip, new RegExp(`^10\\.238\\.${slot}\\.\\d+$`));
    assert.equal(await fetchFromHost(web.ip, 8080, 'index.html'), 'hello-from-the-sandbox\n');
  });

  it("the pod's network namespace has given its address to the sandbox", async () => {
    assert.ok(web.netns, 'inspectp reports no netnsPath');
    // Only loopback's 127.0.0.1 is left to the host stack of the pod namespace.
    assert.deepEqual(await netnsAddresses(web.netns), ['127.0.0.1/8']);
  });

  it('a second gvisor pod reaches the first by its pod IP, and the pods see their own addresses', async () => {
    const client = await net.podWith('client', 'exec sleep 1000');
    assert.notEqual(client.ip, web.ip);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      const r = await crictl(net.cri, ['exec', '-s', client.ctr, 'wget', '-qO-', `http://${web.ip}:8080/index.html`]);
      body = r.code === 0 ? r.stdout : '';
      if (!body) await new Promise((res) => setTimeout(res, 100));
    }
    // crictl exec -s prints stdout, a newline, stderr (empty), a newline.
    assert.equal(body, 'hello-from-the-sandbox\n\n\n');
  });

  it("removing a pod removes the iptables rules of its CNI ADD (the bridge's ipMasq finds the address the sandbox had taken)", async () => {
    const natRules = async (id: string): Promise<string[]> =>
      (await run('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.includes(id));
    const gone = await net.podWith('gone', 'exec sleep 1000');
    assert.ok((await natRules(gone.pod)).length > 0, 'the bridge plugin added ipMasq rules for the pod');
    await net.ok(['stopp', gone.pod]);
    await net.ok(['rmp', gone.pod]);
    assert.deepEqual(await natRules(gone.pod), []);
  });

  it('a refused port is refused by the sandbox stack (RST), not dropped', async () => {
    const r = await run('curl', ['-sS', '--max-time', '5', `http://${web.ip}:8081/`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused|Couldn't connect/);
    assert.doesNotMatch(r.stderr, /timed out/);
  });
});

describe('tsvisor cri --network host and none, and hostNetwork pods', function () {
  this.timeout(180_000);
  const slot = (process.pid + 11) % 200;

  describe('--network host', () => {
    const net = new PodNet(slot, `tsvph${slot}`);
    before(() => net.start(['--network', 'host']));
    after(() => net.stop());

    it("the pod's server is a host socket in the pod's namespace, which keeps its CNI address", async () => {
      const web = await net.podWith('hweb', httpd('hello-from-host-mode'));
      assert.match(web.ip, new RegExp(`^10\\.238\\.${slot}\\.\\d+$`));
      assert.equal(await fetchFromHost(web.ip, 8080, 'index.html'), 'hello-from-host-mode\n');
      assert.ok(web.netns);
      assert.deepEqual(await netnsAddresses(web.netns), ['127.0.0.1/8', `${web.ip}/24`]);
      const listeners = await run('nsenter', [`--net=${web.netns}`, 'ss', '-Hltn', 'sport = :8080']);
      assert.match(listeners.stdout, /LISTEN .*:8080 /, 'the listener is in the host stack of the pod namespace');
      assert.match(await net.exec(web.ctr, ['netstat', '-ltn']), /0\.0\.0\.0:8080 +0\.0\.0\.0:\* +LISTEN/);
    });
  });

  describe('--network none, and a hostNetwork pod', () => {
    const net = new PodNet(slot, `tsvpo${slot}`);
    before(() => net.start(['--network', 'none']));
    after(() => net.stop());

    it('a pod has only loopback and no IP; CNI is not run', async () => {
      const lone = await net.podWith('lone', 'exec sleep 1000');
      assert.equal(lone.ip, '');
      const devs = (await net.exec(lone.ctr, ['cat', '/proc/net/dev'])).split('\n').slice(2).filter((l) => l.includes(':')).map((l) => l.trim().split(':')[0]);
      assert.deepEqual(devs, ['lo']);
      assert.equal((await run('ip', ['link', 'show', net.bridge])).code, 1, 'no CNI bridge was made');
    });

    it("a hostNetwork pod's server listens in the node's namespace and is reached on 127.0.0.1", async () => {
      const port = 20000 + (process.pid % 20000);
      const hostNet = { security_context: { namespace_options: { network: 2 } } }; // NamespaceMode NODE
      const web = await net.podWith('hnweb', httpd('hello-from-the-node-network', port), hostNet);
      assert.equal(web.netns, undefined, 'no network namespace of its own');
      assert.equal(await fetchFromHost('127.0.0.1', port, 'index.html'), 'hello-from-the-node-network\n');
      assert.match(net.cri.log(), /hostNetwork: its sentry runs in the node's network namespace with host sockets/);
    });
  });
});
