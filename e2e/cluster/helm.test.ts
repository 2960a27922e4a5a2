/**
 * The Helm chart on the test cluster (issue 6): `helm install` with the
 * installer image from the local registry; the installer DaemonSet becomes
 * Ready after copying tsvisor onto the node and starting `tsvisor cri` as a
 * detached host process (this machine's init is not systemd and hides its
 * namespaces: `namespacesOf: kubelet`); the node is labelled, reports the
 * gvisor handler, RuntimeClass gvisor (from the chart) schedules a gvisor pod
 * onto it; `helm uninstall` (pre-delete hook, then SIGTERM of the installer)
 * removes the label, stops the service and removes every file.
 *
 * kubelet already uses the cluster's own tsvisor cri, so the chart runs in
 * "don't touch kubelet" mode and its service serves a socket of its own.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { readCmdline } from '../../deploy/installer/host';
import { criHandlers } from '../../deploy/installer/installer';
import { processesMentioning } from '../cri/harness';
import { imageRef, pushAll } from '../images/client';
import { INSTALLER_IMAGE, installerImage } from '../images/installer';
import { freshDir, REPO_ROOT } from '../syscalls/harness';
import { clusterBins } from './bins';
import { type Cluster, startCluster } from './cluster';
import { exec } from './component';

const NAMESPACE = 'tsvisor-system';
const RELEASE = 'tsvisor';
const LABEL = 'tsvisor.dev/installed';

describe('helm chart on the test cluster', function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let dir: string;
  const serviceName = `tsvisor-helm-e2e-${process.pid}`;
  const pidFile = `/run/${serviceName}.pid`;

  const helm = async (args: string[]): Promise<string> => {
    const r = await exec([clusterBins().helm(), '--kubeconfig', cluster.kubeconfig, ...args], { timeoutSec: 420 });
    if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}\n${await diagnostics()}`);
    return r.stdout;
  };
  /** The release's pods described, the installers' logs, the components' logs. */
  const diagnostics = async (): Promise<string> => {
    const pods = await cluster.kubectl(['-n', NAMESPACE, 'describe', 'pods']);
    const logs = await cluster.kubectl(['-n', NAMESPACE, 'logs', '-l', `app.kubernetes.io/instance=${RELEASE}`, '--tail=50']);
    return `${pods.stdout}\ninstaller logs:\n${logs.stdout}${logs.stderr}\n${cluster.diagnostics()}`;
  };
  /** The apiserver's port, from the admin kubeconfig. */
  const apiPort = (): number => {
    const m = /server: https:\/\/[^:]+:(\d+)/.exec(fs.readFileSync(cluster.kubeconfig, 'utf8'));
    if (m === null) throw new Error(`no server URL in ${cluster.kubeconfig}`);
    return Number(m[1]);
  };
  const nodeLabels = async (): Promise<Record<string, string>> => (await cluster.api.node(cluster.nodeName)).metadata?.labels ?? {};

  before(async () => {
    cluster = await startCluster({ kubeProxy: true, gvisorRuntimeClass: false });
    await pushAll(cluster.registry, [installerImage()]);
    dir = freshDir('helm');
    for (const d of ['opt', 'etc']) fs.mkdirSync(path.join(dir, d)); // there on a real node
  });

  after(async () => {
    if (cluster !== undefined) {
      await cluster.kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true']);
      await cluster.stop();
    }
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('helm install: the installer becomes Ready, the node is labelled and reports gvisor, RuntimeClass gvisor exists', async () => {
    const ref = imageRef(cluster.registry, INSTALLER_IMAGE);
    const values = path.join(dir, 'values.yaml');
    fs.writeFileSync(
      values,
      stringify({
        image: { repository: ref.slice(0, ref.lastIndexOf(':')), tag: INSTALLER_IMAGE.tag },
        node: { installDir: `${dir}/opt/tsvisor`, configDir: `${dir}/etc/tsvisor`, service: 'process', serviceName, namespacesOf: 'kubelet' },
        cri: { socket: `${dir}/run/cri.sock`, root: `${dir}/lib`, stateDir: `${dir}/run` },
        network: 'none',
        // Straight to this cluster's apiserver: other test clusters on the machine claim 10.96.0.1 too.
        apiServer: { host: cluster.nodeIp, port: apiPort() },
      }),
    );
    await helm(['install', RELEASE, path.join(REPO_ROOT, 'charts', 'tsvisor'), '-n', NAMESPACE, '--create-namespace', '-f', values, '--wait', '--timeout', '5m']);
    // helm --wait counts a DaemonSet with maxUnavailable 1 of 1 as ready: rollout status does not.
    const rollout = await cluster.kubectl(['-n', NAMESPACE, 'rollout', 'status', `daemonset/${RELEASE}`, '--timeout=150s']);
    assert.equal(rollout.code, 0, `${rollout.stderr}${rollout.stdout}\n${await diagnostics()}`);

    assert.equal((await nodeLabels())[LABEL], 'true');
    const handlers = (await cluster.api.node(cluster.nodeName)).status?.runtimeHandlers?.map((h) => h.name) ?? [];
    assert.ok(handlers.includes('gvisor'), handlers.join(' '));
    const rc = await cluster.api.runtimeClass('gvisor');
    assert.equal(rc?.handler, 'gvisor');
    assert.deepEqual(rc.overhead?.podFixed, { cpu: '10m', memory: '40Mi' });
    assert.deepEqual(rc.scheduling?.nodeSelector, { [LABEL]: 'true' });

    // On the node: the tree, the config, and a live tsvisor cri from it serving gvisor on its own socket.
    assert.ok(fs.existsSync(`${dir}/opt/tsvisor/dist/cli/main.js`));
    assert.ok(fs.existsSync(`${dir}/opt/tsvisor/node`));
    assert.match(fs.readFileSync(`${dir}/etc/tsvisor/cri.yaml`, 'utf8'), /network: none/);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.deepEqual(readCmdline('/proc', pid)?.slice(1), [`${dir}/opt/tsvisor/bin/tsvisor.js`, 'cri', '--config', `${dir}/etc/tsvisor/cri.yaml`]);
    const st = await criHandlers(`${dir}/run/cri.sock`);
    assert.ok(st.ready && st.handlers.includes('gvisor'), JSON.stringify(st));
  });

  it('runs a runtimeClassName gvisor pod on the labelled node', async () => {
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'helm-gvisor', namespace: 'default' },
        spec: {
          runtimeClassName: 'gvisor',
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'main', image: cluster.registry.ref('tsvisor-test/busybox:1.0'), command: ['/bin/sh', '-c', 'uname -r'] }],
        },
      }),
    );
    const ended = await cluster.api.waitPod('helm-gvisor', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 150_000);
    const describe = async () => (await cluster.kubectl(['describe', 'pod', 'helm-gvisor'])).stdout;
    assert.equal(ended.last?.status?.phase, 'Succeeded', await describe());
    assert.equal(await cluster.kubectlOk(['logs', 'helm-gvisor']), '4.4.0\n');
    // The RuntimeClass's overhead and node selector were applied at admission.
    const spec = (await cluster.api.pod('helm-gvisor')).spec;
    assert.deepEqual(spec?.overhead, { cpu: '10m', memory: '40Mi' });
    assert.deepEqual(spec.nodeSelector, { [LABEL]: 'true' });
    await cluster.kubectlOk(['delete', 'pod', 'helm-gvisor', '--wait=true']);
  });

  it('a deleted installer pod restores the node; its replacement installs it again', async () => {
    const oldPid = Number(fs.readFileSync(pidFile, 'utf8'));
    const installers = await cluster.api.pods('app.kubernetes.io/name=tsvisor', NAMESPACE);
    assert.equal(installers.length, 1, 'one installer pod (one node)');
    await cluster.kubectlOk(['-n', NAMESPACE, 'delete', 'pod', installers[0].metadata?.name ?? '', '--wait=true']);
    // The pod is gone once its SIGTERM handler restored the node. A reinstall over an
    // intact node would have kept the server running: a new pid shows it was removed.
    assert.equal(readCmdline('/proc', oldPid), null, 'old tsvisor cri stopped');
    const rollout = await cluster.kubectl(['-n', NAMESPACE, 'rollout', 'status', `daemonset/${RELEASE}`, '--timeout=150s']);
    assert.equal(rollout.code, 0, `${rollout.stderr}${rollout.stdout}\n${await diagnostics()}`);
    const newPid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.notEqual(newPid, oldPid);
    assert.deepEqual(readCmdline('/proc', newPid)?.slice(1), [`${dir}/opt/tsvisor/bin/tsvisor.js`, 'cri', '--config', `${dir}/etc/tsvisor/cri.yaml`]);
    assert.equal((await nodeLabels())[LABEL], 'true');
  });

  it('helm uninstall restores the node: label, service, files', async () => {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await helm(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '5m']);
    assert.equal((await nodeLabels())[LABEL], undefined, 'label removed');
    assert.equal(readCmdline('/proc', pid), null, 'tsvisor cri stopped');
    for (const p of [pidFile, `/var/log/${serviceName}.log`, `${dir}/opt/tsvisor`, `${dir}/etc/tsvisor`, `${dir}/run`, `${dir}/lib`]) {
      assert.equal(fs.existsSync(p), false, `${p} removed`);
    }
    assert.deepEqual(processesMentioning([dir]), [], 'no process runs from the installation');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['etc', 'opt', 'values.yaml']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'opt')), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'etc')), []);
    assert.equal(await cluster.api.runtimeClass('gvisor'), undefined, 'RuntimeClass deleted');
    assert.deepEqual((await cluster.api.pods('', NAMESPACE)).map((p) => p.metadata?.name), []);
  });
});
