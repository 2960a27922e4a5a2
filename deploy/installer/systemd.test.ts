/**
 * The installer's systemd path against a real systemd: a node container
 * whose PID 1 is systemd (testing/systemd-node.ts), with a real containerd
 * as the node's runtime and a stand-in kubelet unit that records the
 * runtime endpoint it started with. The installer runs as it does in its
 * pod: node files under a root path, commands through nsenter, service mode
 * `auto` (which must find systemd), kubelet repointing on. It must write,
 * enable and start the unit, leave everything alone on a second run, and on
 * uninstall give back the node's files byte for byte.
 *
 * Not here: the Kubernetes API side (node label, runtimeHandlers wait), which
 * install() does only with a cluster (`cluster: null` skips it); the recorder
 * in installer.test.ts and e2e/cluster/helm.test.ts cover it. The test fails,
 * never skips, when systemd cannot be booted.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freshDir, REPO_ROOT } from '../../e2e/syscalls/harness';
import { installTree } from './files';
import { criHandlers, type InstallerContext, install, nodeService, uninstall } from './installer';
import { systemdUnit } from './service';
import { parseSettings } from './settings';
import { snapshot, SystemdNode } from './testing/systemd-node';

const CONTAINERD = '/usr/bin/containerd';
const CONTAINERD_ENDPOINT = 'unix:///run/containerd/containerd.sock';
const TSVISOR_ENDPOINT = 'unix:///run/tsvisor/cri.sock';
const KUBELET_CONFIG = `# this node's kubelet
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
containerRuntimeEndpoint: ${CONTAINERD_ENDPOINT}
`;
/** kubelet's stand-in: notes the endpoint its config names when it starts, then idles. */
const KUBELET_UNIT = `[Unit]
Description=kubelet stand-in
After=containerd.service
[Service]
ExecStart=/bin/sh -c 'grep containerRuntimeEndpoint /var/lib/kubelet/config.yaml >/run/kubelet-started-with; exec sleep infinity'
[Install]
WantedBy=multi-user.target
`;

/**
 * The node's persistent files: its root on disk (/usr, /run, /tmp are mounts
 * inside). The journal and containerd's metadata database are listed without
 * their content: journald and containerd write them as they run.
 */
const nodeFiles = (node: SystemdNode) => snapshot(node.root, (rel) => /^var\/log\/journal\/|^var\/lib\/containerd\/.*\/meta\.db$/.test(rel));
/** The node's /run, less systemd's and journald's own records of units and sessions. */
const runFiles = (node: SystemdNode) => snapshot(node.host.path('/run')).filter((e) => !/^(systemd|log)\//.test(e));

describe('installer under a real systemd (nspawn node)', function () {
  this.timeout(180_000);
  let src: string;
  let node: SystemdNode | undefined;
  let ctx: InstallerContext;
  let filesBefore: string[];
  let runBefore: string[];

  const booted = (): SystemdNode => {
    assert.ok(node !== undefined, 'the node did not boot');
    return node;
  };
  const kubeletStartedWith = () => fs.readFileSync(booted().host.path('/run/kubelet-started-with'), 'utf8').trim();
  const invocation = (unit: string) => booted().show(unit, 'InvocationID');
  const journal = async (...args: string[]) => (await booted().host.run(['journalctl', '--no-pager', '-o', 'cat', ...args])).stdout;
  /** How often systemd has reloaded its units (it logs each daemon-reload; --sync: everything logged so far is readable). */
  const reloads = async () => {
    assert.equal((await booted().host.run(['journalctl', '--sync'])).code, 0);
    return (await journal('_PID=1')).split('\n').filter((l) => l.startsWith('Reloading')).length;
  };

  before(async () => {
    if (!fs.existsSync(CONTAINERD)) throw new Error(`${CONTAINERD} is missing: run scripts/setup-cri-deps.sh`);
    const dir = freshDir('systemd-node');
    src = path.join(dir, 'tsvisor');
    installTree(REPO_ROOT, process.execPath, src); // frozen: other builds rewrite dist/ while tests run
    node = await SystemdNode.boot(path.join(dir, 'root'), `tsvisor-${process.pid}`, {
      '/var/lib/kubelet/config.yaml': KUBELET_CONFIG,
      '/etc/systemd/system/kubelet.service': KUBELET_UNIT,
      '/etc/systemd/system/multi-user.target.wants/kubelet.service': { symlink: '/etc/systemd/system/kubelet.service' },
      '/etc/systemd/system/multi-user.target.wants/containerd.service': { symlink: '/lib/systemd/system/containerd.service' },
    });
    ctx = {
      settings: parseSettings(stringify({ service: 'auto', readyTimeoutSec: 30, kubelet: { configure: true } }), 'installer.yaml'),
      host: node.host,
      tree: src,
      node: path.join(src, 'node'),
      criConfig: stringify({ network: 'none', logLevel: 'debug' }),
      cluster: null,
      log: () => undefined,
    };
    filesBefore = nodeFiles(node);
    runBefore = runFiles(node);
  });

  after(async () => {
    await node?.stop();
    if (src !== undefined) fs.rmSync(path.dirname(src), { recursive: true, force: true });
  });

  it('boots systemd as the node init, with containerd and kubelet running', async () => {
    const n = booted();
    assert.equal(fs.readFileSync(`/proc/${n.leader}/comm`, 'utf8').trim(), 'systemd');
    assert.equal(await n.show('containerd.service', 'ActiveState'), 'active');
    assert.equal(kubeletStartedWith(), `containerRuntimeEndpoint: ${CONTAINERD_ENDPOINT}`);
    assert.equal(nodeService(ctx).kind, 'systemd', 'service mode auto finds systemd');
  });

  it('installs: unit written, enabled and started; tsvisor cri serves; kubelet repointed and restarted', async () => {
    const n = booted();
    const kubeletBefore = await invocation('kubelet.service');
    const reloadsBefore = await reloads();
    await install(ctx);
    assert.equal(await reloads(), reloadsBefore + 1, 'one daemon-reload, after writing and enabling the unit');

    const unitText = fs.readFileSync(n.host.path('/etc/systemd/system/tsvisor.service'), 'utf8');
    assert.equal(unitText, systemdUnit({ name: 'tsvisor', installDir: '/opt/tsvisor', configFile: '/etc/tsvisor/cri.yaml' }));
    const verify = await n.host.run(['systemd-analyze', 'verify', '/etc/systemd/system/tsvisor.service']);
    assert.deepEqual([verify.code, verify.stderr.trim()], [0, ''], 'systemd-analyze verify finds nothing');
    assert.equal((await n.systemctl('is-enabled', 'tsvisor.service')).stdout.trim(), 'enabled');
    assert.equal(await n.show('tsvisor.service', 'ActiveState'), 'active');

    const pid = Number(await n.show('tsvisor.service', 'MainPID'));
    assert.deepEqual(n.host.cmdline(pid), ['/opt/tsvisor/node', '/opt/tsvisor/bin/tsvisor.js', 'cri', '--config', '/etc/tsvisor/cri.yaml']);
    // Status is answered by tsvisor and by containerd (its upstream) together: ready means both answered.
    const st = await criHandlers(n.host.path('/run/tsvisor/cri.sock'));
    assert.equal(st.ready, true);
    assert.ok(st.handlers.includes('gvisor'), st.handlers.join());
    assert.match(fs.readFileSync(n.host.path('/etc/tsvisor/cri.yaml'), 'utf8'), new RegExp(`^upstream: ${CONTAINERD_ENDPOINT}$`, 'm'));
    assert.match(await journal('-u', 'tsvisor.service'), /serving CRI v1 on/, 'its output is where logHint() says');

    assert.equal(fs.readFileSync(n.host.path('/var/lib/kubelet/config.yaml'), 'utf8'), KUBELET_CONFIG.replace(CONTAINERD_ENDPOINT, TSVISOR_ENDPOINT));
    assert.notEqual(await invocation('kubelet.service'), kubeletBefore, 'kubelet restarted');
    assert.equal(kubeletStartedWith(), `containerRuntimeEndpoint: ${TSVISOR_ENDPOINT}`);
  });

  it('a second install changes nothing: no file rewritten, neither tsvisor nor kubelet restarted', async () => {
    const n = booted();
    const files = nodeFiles(n);
    const [tsvisor, kubelet, reloaded] = [await invocation('tsvisor.service'), await invocation('kubelet.service'), await reloads()];
    await install(ctx);
    assert.deepEqual(nodeFiles(n), files);
    assert.equal(await reloads(), reloaded, 'no daemon-reload');
    assert.equal(await invocation('tsvisor.service'), tsvisor);
    assert.equal(await invocation('kubelet.service'), kubelet);
  });

  it('restarts the unit when its configuration changes, kubelet untouched', async () => {
    const n = booted();
    const [tsvisor, kubelet] = [await invocation('tsvisor.service'), await invocation('kubelet.service')];
    await install({ ...ctx, criConfig: ctx.criConfig.replace('logLevel: debug', 'logLevel: info') });
    assert.notEqual(await invocation('tsvisor.service'), tsvisor);
    assert.equal(await invocation('kubelet.service'), kubelet);
    assert.equal((await criHandlers(n.host.path('/run/tsvisor/cri.sock'))).ready, true);
  });

  it('systemd brings tsvisor cri back when it dies (Restart=always)', async () => {
    const n = booted();
    const pid = await n.show('tsvisor.service', 'MainPID');
    assert.equal((await n.systemctl('kill', '--signal=SIGKILL', 'tsvisor.service')).code, 0);
    for (const deadline = Date.now() + 20_000; ; ) {
      const now = await n.show('tsvisor.service', 'MainPID');
      if (now !== '0' && now !== pid && (await n.show('tsvisor.service', 'ActiveState')) === 'active') break;
      assert.ok(Date.now() < deadline, `not restarted (MainPID ${now})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const deadline = Date.now() + 20_000; ; ) {
      const ready = await criHandlers(n.host.path('/run/tsvisor/cri.sock')).then((s) => s.ready, () => false);
      if (ready) break;
      assert.ok(Date.now() < deadline, 'restarted server never became ready');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it("uninstall removes the unit, restores kubelet, and leaves the node's files as they were; twice is fine", async () => {
    const n = booted();
    const [kubelet, reloaded] = [await invocation('kubelet.service'), await reloads()];
    await uninstall(ctx);
    await uninstall(ctx);
    assert.equal(await reloads(), reloaded + 1, 'one daemon-reload, after disabling and removing the unit');
    assert.equal(await n.show('tsvisor.service', 'LoadState'), 'not-found', 'unit gone after daemon-reload');
    assert.notEqual(await invocation('kubelet.service'), kubelet, 'kubelet restarted');
    assert.equal(kubeletStartedWith(), `containerRuntimeEndpoint: ${CONTAINERD_ENDPOINT}`);
    const procs = fs.readdirSync(n.host.path('/proc')).filter((e) => /^\d+$/.test(e));
    const ours = procs.filter((p) => n.host.cmdline(Number(p))?.some((a) => a.startsWith('/opt/tsvisor')));
    assert.deepEqual(ours, [], 'no tsvisor process left');
    assert.equal(fs.existsSync(n.host.path('/run/tsvisor')), false);
    assert.deepEqual(nodeFiles(n), filesBefore);
    assert.deepEqual(runFiles(n), runBefore);
  });
});
