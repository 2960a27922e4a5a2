/**
 * Smoke test of the test cluster (issue 6): the node comes up Ready behind
 * `tsvisor cri`, a pod without a runtime class runs in containerd (runc) and
 * reports the host's kernel, a pod with runtimeClassName gvisor runs in
 * tsvisor and reports the sandbox's, and both logs come back through
 * `kubectl logs` (apiserver → kubelet → the CRI log files).
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { stringify } from 'yaml';
import { clusterVersions } from './bins';
import { type Cluster, startCluster } from './cluster';

describe('test cluster: kubelet on tsvisor cri', function () {
  this.timeout(300_000);
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
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
    let phase = '';
    for (const deadline = Date.now() + 150_000; phase !== 'Succeeded' && phase !== 'Failed' && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 1000));
      phase = await cluster.kubectlOk(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
    }
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
    const node = JSON.parse(await cluster.kubectlOk(['get', 'node', cluster.nodeName, '-o', 'json'])) as {
      status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[]; nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string }; runtimeHandlers?: { name: string }[] };
    };
    assert.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(node.status.addresses.find((a) => a.type === 'InternalIP')?.address, cluster.nodeIp);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^tsvisor:\/\//);
    assert.equal(node.status.nodeInfo.kubeletVersion, clusterVersions().kubernetes);
    assert.ok(node.status.runtimeHandlers?.some((h) => h.name === 'gvisor'), `runtimeHandlers: ${JSON.stringify(node.status.runtimeHandlers)}`);
  });

  it('has RuntimeClass gvisor with handler gvisor', async () => {
    assert.equal(await cluster.kubectlOk(['get', 'runtimeclass', 'gvisor', '-o', 'jsonpath={.handler}']), 'gvisor');
  });

  it('runs a pod without a runtime class in containerd (runc): host kernel', async () => {
    assert.equal(await runToCompletion('default-runtime', pod('default-runtime')), `${os.release()}\nhello from default-runtime\n`);
  });

  it('runs a runtimeClassName gvisor pod in tsvisor: sandbox kernel, logs through kubectl', async () => {
    assert.equal(await runToCompletion('gvisor-runtime', pod('gvisor-runtime', 'gvisor')), '4.4.0\nhello from gvisor-runtime\n');
  });
});
