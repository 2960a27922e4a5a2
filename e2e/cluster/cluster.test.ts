/**
 * Smoke test of the test cluster (issue 6): the node comes up Ready behind
 * `tsvisor cri`, a pod without a runtime class runs in containerd (runc) and
 * reports the host's kernel, a pod with runtimeClassName gvisor runs in
 * tsvisor and reports the sandbox's, and both logs come back through
 * `kubectl logs` (apiserver → kubelet → the CRI log files). kube-proxy
 * serves the `kubernetes` Service's ClusterIP. A hostNetwork gvisor pod
 * serves on the node's own network.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { stringify } from 'yaml';
import { processesMentioning } from '../cri/harness';
import { clusterVersions } from './bins';
import { type Cluster, startCluster } from './cluster';
import { exec } from './component';
import { cgroupMounts, CLUSTER_SYSCTLS, KUBELET_HOST_PATHS, removeStaleClusters } from './host';

interface HostView {
  kubeChains: string[];
  sysctls: Record<string, string>;
  paths: string[];
  cgroups: string[];
  links: string[];
}

/** What a cluster could leave on the host: KUBE-* chains, sysctls, kubelet's paths, our cgroups, links. */
async function hostView(): Promise<HostView> {
  const chains = async (cmd: string) => (await exec([cmd])).stdout.split('\n').filter((l) => l.startsWith(':KUBE-')).map((l) => `${cmd} ${l}`);
  const sysctls: Record<string, string> = {};
  for (const k of CLUSTER_SYSCTLS) if (fs.existsSync(`/proc/sys/${k}`)) sysctls[k] = fs.readFileSync(`/proc/sys/${k}`, 'utf8');
  const { v1, v2 } = cgroupMounts();
  return {
    kubeChains: [...(await chains('iptables-save')), ...(await chains('ip6tables-save'))],
    sysctls,
    paths: [...KUBELET_HOST_PATHS.filter((p) => fs.existsSync(p)), ...fs.readdirSync('/var/lib').filter((e) => e.startsWith('tsvisor-e2e-'))],
    cgroups: [...v1, ...v2].flatMap((m) => fs.readdirSync(m).filter((e) => e.startsWith('tsvisor-k8s-')).map((e) => `${m}/${e}`)),
    links: (await exec(['ip', '-o', 'link', 'show'])).stdout.split('\n').filter((l) => / tsvk8s\d+[:@]/.test(l)).map((l) => l.split(':')[1].trim()),
  };
}

describe('test cluster: kubelet on tsvisor cri', function () {
  this.timeout(300_000);
  let cluster: Cluster;
  // The host as it was, checked again after tear-down, independently of stop()'s own bookkeeping.
  let hostBefore: HostView;

  before(async () => {
    await removeStaleClusters(); // startCluster does it too; here so that the view is of a clean host
    hostBefore = await hostView();
    cluster = await startCluster({ kubeProxy: true });
  });

  after(async () => {
    if (cluster === undefined) return;
    await cluster.stop();
    await cluster.stop(); // idempotent
    assert.equal(fs.existsSync(cluster.dir), false, 'cluster folder removed');
    assert.deepEqual(processesMentioning([cluster.dir]), []);
    assert.deepEqual(await hostView(), hostBefore);
  });

  /** A pod that prints its kernel release and a greeting, then exits. */
  function pod(name: string, runtimeClassName?: string): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        ...(runtimeClassName !== undefined ? { runtimeClassName } : {}),
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'main', image: cluster.registry.ref('tsvisor-test/busybox:1.0'), command: ['/bin/sh', '-c', `uname -r; echo hello from ${name}`] }],
      },
    });
  }

  /** Applies the pod, waits for it to end (Succeeded, or fails fast on Failed), returns its logs and deletes it. */
  async function runToCompletion(name: string, manifest: string): Promise<string> {
    await cluster.kubectlOk(['apply', '-f', '-'], manifest);
    const ended = await cluster.api.waitPod(name, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 150_000);
    const phase = ended.last?.status?.phase;
    if (phase !== 'Succeeded') {
      const describe = await cluster.kubectl(['describe', 'pod', name]);
      const logs = await cluster.kubectl(['logs', name]);
      assert.fail(`pod ${name} ended ${phase || 'never'}, not Succeeded\n${describe.stdout}\nlogs: ${logs.stdout}${logs.stderr}\n${cluster.diagnostics()}`);
    }
    const logs = await cluster.kubectlOk(['logs', name]);
    await cluster.kubectlOk(['delete', 'pod', name, '--wait=true']);
    return logs;
  }

  it('registers the node Ready, with its runtime handlers', async () => {
    const { status } = await cluster.api.node(cluster.nodeName);
    assert.equal(status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(status?.addresses?.find((a) => a.type === 'InternalIP')?.address, cluster.nodeIp);
    assert.match(status?.nodeInfo?.containerRuntimeVersion ?? '', /^tsvisor:\/\//);
    assert.equal(status?.nodeInfo?.kubeletVersion, clusterVersions().kubernetes);
    assert.ok(status?.runtimeHandlers?.some((h) => h.name === 'gvisor'), `runtimeHandlers: ${JSON.stringify(status?.runtimeHandlers)}`);
  });

  it('has RuntimeClass gvisor with handler gvisor', async () => {
    assert.equal((await cluster.api.runtimeClass('gvisor'))?.handler, 'gvisor');
  });

  it("reaches the apiserver through the kubernetes Service's ClusterIP (kube-proxy's iptables rules)", async () => {
    assert.equal(await cluster.kubectlOk(['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']), '10.96.0.1');
    assert.equal(await cluster.kubectlOk(['--server', 'https://10.96.0.1:443', 'get', '--raw', '/readyz']), 'ok');
  });

  it('runs a pod without a runtime class in containerd (runc): host kernel', async () => {
    assert.equal(await runToCompletion('default-runtime', pod('default-runtime')), `${os.release()}\nhello from default-runtime\n`);
  });

  it('runs a runtimeClassName gvisor pod in tsvisor: sandbox kernel, logs through kubectl', async () => {
    assert.equal(await runToCompletion('gvisor-runtime', pod('gvisor-runtime', 'gvisor')), '4.4.0\nhello from gvisor-runtime\n');
  });

  it("runs a hostNetwork gvisor pod: its server listens on the node's network, the pod IP is the node's", async () => {
    const port = 20000 + (process.pid % 20000);
    await cluster.kubectlOk(['apply', '-f', '-'], stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gvisor-hostnet', namespace: 'default' },
      spec: {
        runtimeClassName: 'gvisor',
        hostNetwork: true,
        terminationGracePeriodSeconds: 2,
        containers: [{
          name: 'main', image: cluster.registry.ref('tsvisor-test/busybox:1.0'),
          command: ['/bin/sh', '-c', `mkdir -p /tmp/www && uname -r > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`],
        }],
      },
    }));
    try {
      const running = await cluster.api.waitPod('gvisor-hostnet', (p) => p.status?.phase === 'Running', 150_000);
      assert.equal(running.last?.status?.podIP, cluster.nodeIp);
      let page = '';
      for (let i = 0; i < 50 && page === ''; i++) {
        const r = await exec(['curl', '-sS', '--max-time', '5', `http://127.0.0.1:${port}/index.html`]);
        page = r.code === 0 ? r.stdout : '';
        if (!page) await new Promise((res) => setTimeout(res, 200));
      }
      assert.equal(page, '4.4.0\n', `no page from the hostNetwork pod\n${cluster.diagnostics()}`);
    } finally {
      await cluster.kubectlOk(['delete', 'pod', 'gvisor-hostnet', '--wait=true']);
    }
  });
});
