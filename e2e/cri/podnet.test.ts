/**
 * Issue 5, acceptance 6 (and issue 4's pod networking): a gvisor pod's IP
 * from CNI is served by the pod Sentry's own stack. The host reaches a
 * server in the pod through the CNI bridge, pods reach each other, and the
 * pod's network namespace keeps no IPv4 address of its own (the host stack
 * there can answer nothing).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crictl, cniConflist, CriServer, PushedRegistry, run, startCriServer, withPushedImages } from './harness';
import { freshDir } from '../syscalls/harness';

interface PodStatus { status: { network: { ip: string } } }

describe('gvisor pod networking through CNI (sandbox stack on the pod veth)', function () {
  this.timeout(180_000);
  let reg: PushedRegistry;
  let cri: CriServer;
  let dir: string;
  const pods: string[] = [];
  const slot = (process.pid + 7) % 200;
  const bridge = `tsvpn${slot}`;

  async function ok(args: string[]): Promise<string> {
    const r = await crictl(cri, args);
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}\nserver log (end):\n${cri.log().slice(-3000)}`);
    return r.stdout;
  }

  /** A running pod with one busybox container running `script`; returns the pod id, container id and pod IP. */
  async function podWith(name: string, script: string): Promise<{ pod: string; ctr: string; ip: string }> {
    const podJson = path.join(dir, `${name}-pod.json`);
    fs.writeFileSync(podJson, JSON.stringify({ metadata: { name, namespace: 'e2e', uid: `uid-${name}`, attempt: 0 }, hostname: name, log_directory: path.join(dir, name), linux: {} }));
    const pod = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    pods.push(pod);
    const ctrJson = path.join(dir, `${name}-ctr.json`);
    fs.writeFileSync(ctrJson, JSON.stringify({ metadata: { name: 'main' }, image: { image: reg.ref('tsvisor-test/busybox:1.0') }, command: ['/bin/sh', '-c', script], log_path: 'main.log', linux: {} }));
    const ctr = (await ok(['create', pod, ctrJson, podJson])).trim();
    await ok(['start', ctr]);
    const ip = (JSON.parse(await ok(['inspectp', pod])) as PodStatus).status.network.ip;
    return { pod, ctr, ip };
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

  const httpd = (text: string) => `mkdir -p /tmp/www && echo ${text} > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`;

  before(async () => {
    dir = freshDir('podnet');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-podnet', bridge, `10.238.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
    await ok(['pull', reg.ref('tsvisor-test/busybox:1.0')]);
  });

  after(async () => {
    for (const p of pods) await crictl(cri, ['rmp', '-f', p]);
    await cri?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', bridge]);
  });

  let web: { pod: string; ctr: string; ip: string };

  it('the host reaches a server in a gvisor pod at the pod IP', async () => {
    web = await podWith('web', httpd('hello-from-the-sandbox'));
    assert.match(web.ip, new RegExp(`^10\\.238\\.${slot}\\.\\d+$`));
    assert.equal(await fetchFromHost(web.ip, 8080, 'index.html'), 'hello-from-the-sandbox\n');
  });

  it("the pod's network namespace has given its address to the sandbox", async () => {
    const info = JSON.parse(await ok(['inspectp', web.pod])) as { info: { netnsPath?: string } };
    const ns = info.info.netnsPath;
    assert.ok(ns, `inspectp reports no netnsPath: ${JSON.stringify(info)}`);
    const addrs = await run('nsenter', [`--net=${ns}`, 'ip', '-4', '-o', 'addr']);
    assert.equal(addrs.code, 0, addrs.stderr);
    // Only loopback's 127.0.0.1 is left to the host stack of the pod namespace.
    assert.deepEqual(addrs.stdout.trim().split('\n').map((l) => l.split(/\s+/)[3]), ['127.0.0.1/8']);
  });

  it('a second gvisor pod reaches the first by its pod IP, and the pods see their own addresses', async () => {
    const client = await podWith('client', 'exec sleep 1000');
    assert.notEqual(client.ip, web.ip);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      const r = await crictl(cri, ['exec', '-s', client.ctr, 'wget', '-qO-', `http://${web.ip}:8080/index.html`]);
      body = r.code === 0 ? r.stdout : '';
      if (!body) await new Promise((res) => setTimeout(res, 100));
    }
    // crictl exec -s prints stdout, a newline, stderr (empty), a newline.
    assert.equal(body, 'hello-from-the-sandbox\n\n\n');
  });

  it('a refused port is refused by the sandbox stack (RST), not dropped', async () => {
    const r = await run('curl', ['-sS', '--max-time', '5', `http://${web.ip}:8081/`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused|Couldn't connect/);
    assert.doesNotMatch(r.stderr, /timed out/);
  });
});
