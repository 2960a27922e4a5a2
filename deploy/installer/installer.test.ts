/**
 * The installer against this machine: a real install of this tree into a
 * scratch folder, a real `tsvisor cri` started as a detached process and
 * asked for its Status over its socket, a second run that changes nothing,
 * and an uninstall after which the folder, the pidfile, the log and the
 * process are gone. Only the cluster side is a recorder (the e2e test in
 * e2e/cluster/helm.test.ts covers it for real). Commands run directly
 * instead of through nsenter: this test already runs in the node's namespaces.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freshDir, REPO_ROOT } from '../../e2e/syscalls/harness';
import { INSTALL_TREE, installTree } from './files';
import { type Host, readCmdline, runCommand } from './host';
import { criHandlers, type InstallerContext, install, type NodeApi, uninstall } from './installer';
import { kubeletEndpoint, KUBELET_DEFAULT_ENDPOINT, repointKubelet } from './kubelet';
import { main } from './main';
import { ProcessService } from './service';
import { DEFAULT_SETTINGS, type InstallerSettings, parseSettings } from './settings';

/** The node is this machine, seen without a prefix. */
const localHost: Host = {
  path: (p) => p,
  run: (argv) => runCommand(argv),
  cmdline: (pid) => readCmdline('/proc', pid),
};

/** Records label calls; reports the handlers it is told to. */
class RecordingNodes implements NodeApi {
  labels: Record<string, string> = {};
  calls: string[] = [];
  constructor(public handlers: string[]) {}
  async node(name: string) {
    this.calls.push(`get ${name}`);
    return { labels: { ...this.labels }, runtimeHandlers: this.handlers };
  }
  async label(node: string, key: string, value: string | null) {
    this.calls.push(`label ${node} ${key}=${value}`);
    if (value === null) delete this.labels[key];
    else this.labels[key] = value;
  }
}

/** Every path below `dir`, with type and mode, for before/after comparisons. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((p) => {
    const st = fs.lstatSync(path.join(dir, p));
    return `${p} ${st.mode.toString(8)}`;
  });
}

describe('installer settings', () => {
  it('fills defaults and reads every key', () => {
    assert.deepEqual(parseSettings('', 'f'), DEFAULT_SETTINGS);
    const s = parseSettings(
      stringify({ hostRoot: '/', namespacesOf: 'kubelet', service: 'process', nodeLabel: { key: 'example.com/x', value: 'yes' }, kubelet: { configure: true } }),
      'f',
    );
    assert.equal(s.hostRoot, '/');
    assert.equal(s.namespacesOf, 'kubelet');
    assert.deepEqual(s.nodeLabel, { key: 'example.com/x', value: 'yes' });
    assert.deepEqual(s.kubelet, { ...DEFAULT_SETTINGS.kubelet, configure: true });
  });

  it('rejects unknown keys, bad paths, names, labels and modes, naming the key', () => {
    const bad: [unknown, RegExp][] = [
      [{ instalDir: '/opt/x' }, /f: unknown key "instalDir"/],
      [{ installDir: 'opt/x' }, /f\.installDir: expected an absolute path/],
      [{ configDir: '/' }, /f\.configDir: must not be \//],
      [{ serviceName: 'a b' }, /f\.serviceName: "a b" is not a plain unit name/],
      [{ serviceName: '../x' }, /not a plain unit name/],
      [{ nodeLabel: { key: 'Bad_Prefix/x' } }, /f\.nodeLabel\.key: "Bad_Prefix\/x" is not a valid label key/],
      [{ nodeLabel: { value: 'not ok' } }, /f\.nodeLabel\.value: expected a label value/],
      [{ service: 'upstart' }, /f\.service: expected auto, systemd or process/],
      [{ kubelet: { configure: 'yes' } }, /f\.kubelet\.configure: expected true or false/],
      [{ readyTimeoutSec: 0 }, /f\.readyTimeoutSec/],
      [{ installDir: '/etc/x', configDir: '/etc/x' }, /must differ/],
      [['a'], /f: expected a mapping/],
    ];
    for (const [doc, re] of bad) assert.throws(() => parseSettings(stringify(doc), 'f'), re, JSON.stringify(doc));
    assert.throws(() => parseSettings('a: [', 'f'), /f: invalid YAML/);
  });
});

describe('installer command line', () => {
  it('takes the command first and its flags after it, refusing what it does not know', async () => {
    await assert.rejects(main(['pre-delete', '--namespace=ns', '--daemonset', 'ds']), /--selector is required/);
    await assert.rejects(main(['pre-delete', '--namespace=ns', '--daemonset=ds', '--selector=a=b', '--timeout=soon']), /--timeout: expected whole seconds/);
    await assert.rejects(main(['remove']), /unknown command remove/);
    await assert.rejects(main(['install', '--force']), /unknown flag|--force/);
    await assert.rejects(main(['install', 'extra']), /unexpected argument: extra/);
    await assert.rejects(main(['install', '--settings', '/nonexistent/installer.yaml']), /ENOENT.*\/nonexistent\/installer.yaml/);
  });
});

describe('installer kubelet repointing', () => {
  const config = '# node config\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd # keep\ncontainerRuntimeEndpoint: unix:///run/k3s/containerd.sock\n';

  it('swaps the endpoint, keeps the rest and reports the old one', () => {
    const r = repointKubelet(config, 'unix:///run/tsvisor/cri.sock', 'k');
    assert.equal(r.previous, 'unix:///run/k3s/containerd.sock');
    assert.equal(r.text, config.replace('unix:///run/k3s/containerd.sock', 'unix:///run/tsvisor/cri.sock'));
  });

  it("takes kubelet's default when no endpoint is set, and refuses other documents", () => {
    assert.equal(kubeletEndpoint('kind: KubeletConfiguration\n', 'k'), KUBELET_DEFAULT_ENDPOINT);
    assert.throws(() => kubeletEndpoint('kind: Pod\n', 'k'), /k: kind is Pod, not KubeletConfiguration/);
    assert.throws(() => kubeletEndpoint('- a\n', 'k'), /expected a mapping/);
  });
});

describe('installer on this machine (detached process service)', function () {
  this.timeout(180_000);
  let dir: string;
  let settings: InstallerSettings;
  let ctx: InstallerContext;
  let nodes: RecordingNodes;
  let service: ProcessService;
  let src: string;

  before(() => {
    // A frozen copy of this tree to install from: other builds rewrite dist/ while tests run.
    src = path.join(freshDir('installer-src'), 'tsvisor');
    installTree(REPO_ROOT, process.execPath, src);
    dir = freshDir('installer');
    for (const d of ['opt', 'etc']) fs.mkdirSync(path.join(dir, d)); // there on a real node
    const name = `tsvisor-installer-test-${process.pid}`;
    settings = parseSettings(
      stringify({ hostRoot: '/', service: 'process', serviceName: name, installDir: `${dir}/opt/tsvisor`, configDir: `${dir}/etc/tsvisor`, readyTimeoutSec: 60 }),
      'settings',
    );
    nodes = new RecordingNodes(['', 'runc', 'gvisor']);
    ctx = {
      settings,
      host: localHost,
      tree: src,
      node: path.join(src, 'node'),
      criConfig: stringify({ socket: `${dir}/run/cri.sock`, root: `${dir}/lib`, stateDir: `${dir}/run`, network: 'none', logLevel: 'debug' }),
      cluster: { api: nodes, nodeName: 'node-a' },
      log: () => undefined,
    };
    service = new ProcessService(localHost, { name, installDir: settings.installDir, configFile: `${settings.configDir}/cri.yaml` });
  });

  after(async () => {
    await uninstall(ctx); // restores the machine even when a test failed midway
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.dirname(src), { recursive: true, force: true });
  });

  it('installs, starts tsvisor cri serving gvisor, then labels the node', async () => {
    await install(ctx);
    for (const rel of INSTALL_TREE) assert.ok(fs.existsSync(path.join(settings.installDir, rel)), rel);
    assert.equal(fs.existsSync(path.join(settings.installDir, 'dist/cri/config.test.js')), false, 'no compiled tests installed');
    assert.equal(fs.statSync(path.join(settings.installDir, 'node')).mode & 0o111, 0o111);
    const pid = service.runningPid();
    assert.ok(pid !== null, 'pidfile names a live tsvisor cri');
    assert.deepEqual(readCmdline('/proc', pid)?.slice(1), [`${settings.installDir}/bin/tsvisor.js`, 'cri', '--config', `${settings.configDir}/cri.yaml`]);
    assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), path.join(settings.installDir, 'node'), 'runs the installed Node');
    const st = await criHandlers(`${dir}/run/cri.sock`);
    assert.equal(st.ready, true);
    assert.ok(st.handlers.includes('gvisor'), st.handlers.join());
    assert.deepEqual(nodes.labels, { 'tsvisor.dev/installed': 'true' });
    assert.deepEqual(nodes.calls, ['get node-a', 'label node-a tsvisor.dev/installed=true']);
  });

  it('changes nothing when run again (same process, no file rewritten)', async () => {
    const pid = service.runningPid();
    const before = tree(settings.installDir).join('\n');
    const mtime = fs.statSync(path.join(settings.installDir, 'node')).mtimeMs;
    assert.equal(installTree(src, path.join(src, 'node'), settings.installDir), 0);
    await install(ctx);
    assert.equal(service.runningPid(), pid);
    assert.equal(tree(settings.installDir).join('\n'), before);
    assert.equal(fs.statSync(path.join(settings.installDir, 'node')).mtimeMs, mtime);
  });

  it('restarts the server when its configuration changes', async () => {
    const pid = service.runningPid();
    await install({ ...ctx, criConfig: ctx.criConfig.replace('logLevel: debug', 'logLevel: info') });
    const now = service.runningPid();
    assert.ok(now !== null && now !== pid, `restarted: ${pid} → ${now}`);
    assert.equal(readCmdline('/proc', pid!), null, 'the old server is gone');
  });

  it('refuses a configuration tsvisor cri would reject, naming the key', async () => {
    await assert.rejects(install({ ...ctx, criConfig: stringify({ socket: `${dir}/run/cri.sock`, netwrk: 'none' }) }), /unknown key "netwrk"/);
    await install(ctx); // back to the good one
  });

  it('fails, leaving the node unlabelled, when the node never reports the handler', async () => {
    const blind = new RecordingNodes(['', 'runc']);
    await assert.rejects(
      install({ ...ctx, settings: { ...settings, readyTimeoutSec: 2 }, cluster: { api: blind, nodeName: 'node-b' } }),
      /node node-b to report runtime handler gvisor/,
    );
    assert.deepEqual(blind.labels, {}, 'not labelled');
  });

  it('uninstall stops the server and removes every file and the label; twice is fine', async () => {
    const pid = service.runningPid();
    assert.ok(pid !== null);
    await uninstall(ctx);
    await uninstall(ctx);
    assert.equal(readCmdline('/proc', pid), null, 'server stopped');
    assert.deepEqual(tree(dir), ['etc 40755', 'opt 40755'], `left in ${dir}`);
    assert.equal(fs.existsSync(service.pidFile), false);
    assert.equal(fs.existsSync(service.logFile), false);
    assert.deepEqual(nodes.labels, {});
  });
});
