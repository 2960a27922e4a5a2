/**
 * A single-node Kubernetes cluster for end-to-end tests, from the binaries
 * scripts/build-cluster-bins.sh builds: etcd on loopback, kube-apiserver
 * (Node,RBAC), kube-controller-manager, kube-scheduler and a kubelet whose
 * runtime endpoint is `tsvisor cri`, which forwards default-handler pods to
 * Debian's containerd (`--upstream`). Images come from a local registry
 * holding the test images (e2e/cri/harness.ts) and tsvisor-test/nginx.
 *
 * Everything lives in one fresh folder. stop() takes the cluster down in
 * reverse order of bring-up, undoes what kubelet did to the host (sysctls,
 * iptables chains, cgroups, /var/log/containers) and fails, after cleaning
 * up, if a runtime left processes, pods or mounts behind. It is idempotent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { cniConflist, type Containerd, crictl, type CriServer, mountsUnder, type PushedRegistry, startContainerd, startCriServer, type ToolResult, withPushedImages } from '../cri/harness';
import { pushAll } from '../images/client';
import { nginxImage } from '../images/nginx';
import type { TestImage } from '../images/oci';
import { freePort } from '../images/registry';
import { freshDir } from '../syscalls/harness';
import { KubeApi } from './api';
import { clusterBins, type KubeBinary } from './bins';
import { Component, exec, get, type TlsClient, waitUntil } from './component';
import { aggregationFlags, apiServiceAvailable, frontProxy, METRICS_USER, metricsServerArgs, metricsServerDnsName, metricsServerObjects, type MetricsServerSetup } from './metrics';
import { CgroupRoot, cgroupRootName, defaultRouteAddress, type HostState, hostStateFile, IptablesSnapshot, kubeletRootDir, PathSnapshot, removeStaleClusters, SysctlSnapshot } from './host';
import { CertificateAuthority, kubeconfig, serviceAccountKeys } from './pki';

export interface ClusterOptions {
  /** Create RuntimeClass `gvisor` (handler `gvisor`), as the chart would (default true). */
  gvisorRuntimeClass?: boolean;
  /** Run kube-proxy in iptables mode (default false). */
  kubeProxy?: boolean;
  /** Run metrics-server behind the aggregation layer, for `kubectl top` (default false). */
  metricsServer?: boolean;
  /** Seconds to wait for each component to become ready (default 120). */
  startTimeoutSec?: number;
}

export interface Cluster {
  dir: string;
  nodeName: string;
  nodeIp: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Typed reads and watches with the admin kubeconfig (@kubernetes/client-node). */
  api: KubeApi;
  registry: PushedRegistry;
  cri: CriServer;
  containerd: Containerd;
  /** kubectl with the admin kubeconfig (`input` on its stdin). */
  kubectl(args: string[], o?: { input?: string; timeoutSec?: number }): Promise<ToolResult>;
  /** kubectl that must exit 0: its stdout (else an error with stderr and the components' logs). */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** The tail of every component's log, for failure messages. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** Service ClusterIPs; the first is the apiserver's `kubernetes` service. */
export const SERVICE_CIDR = '10.96.0.0/24';
const KUBERNETES_SERVICE_IP = '10.96.0.1';

/** Images only the cluster's tests run (the CRI tests' ones are pushed too); reference them with imageRef. */
function clusterOnlyImages(): TestImage[] {
  return [nginxImage()];
}

/** Steps undone in reverse order, each at most once; problems are collected, not thrown midway. */
class Teardown {
  private readonly steps: { name: string; fn: () => Promise<string[] | void> }[] = [];
  private done: Promise<void> | undefined;

  add(name: string, fn: () => Promise<string[] | void>): void {
    this.steps.push({ name, fn });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      const problems: string[] = [];
      for (const { name, fn } of this.steps.reverse()) {
        try {
          for (const p of (await fn()) ?? []) problems.push(`${name}: ${p}`);
        } catch (e) {
          problems.push(`${name}: ${(e as Error).message}`);
        }
      }
      if (problems.length > 0) throw new Error(`cluster tear-down found problems:\n${problems.join('\n')}`);
    })();
    return this.done;
  }
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const bins = clusterBins();
  const timeout = o.startTimeoutSec ?? 120;
  await removeStaleClusters();
  const td = new Teardown();
  const components: Component[] = [];
  const dir = freshDir('cluster');
  const d = (...p: string[]) => path.join(dir, ...p);
  const diagnostics = () => components.map((c) => `--- ${c.name} (${c.logFile}) ---\n${c.tail(30)}`).join('\n');

  // Host state first, so that it is restored last, after every process is gone.
  td.add('folder', async () => {
    const left = mountsUnder(dir).reverse();
    for (const m of left) await exec(['umount', '-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
    return left.map((m) => `mount left behind: ${m}`);
  });
  const sysctls = SysctlSnapshot.take();
  const iptables = await IptablesSnapshot.take();
  const hostPaths = PathSnapshot.take();
  const state: HostState = { sysctls: sysctls.toJSON(), paths: hostPaths.toJSON() };
  fs.writeFileSync(hostStateFile(), JSON.stringify(state));
  td.add('host', async () => {
    sysctls.restore(); // kubelet sets them by design: put back silently
    await iptables.restore();
    hostPaths.restore();
    fs.rmSync(hostStateFile(), { force: true });
  });

  const start = (name: KubeBinary | 'etcd' | 'metrics-server', args: string[]): Component => {
    const bin = name === 'etcd' ? bins.etcd() : name === 'metrics-server' ? bins.metricsServer() : bins.kube(name);
    const c = new Component(name, dir, bin, args);
    components.push(c);
    td.add(name, () => c.stop());
    return c;
  };

  try {
    const slot = process.pid % 200;
    const nodeName = `tsvisor-e2e-${slot}`;
    const nodeIp = await defaultRouteAddress();
    const cgroupRoot = CgroupRoot.create(cgroupRootName());
    td.add('cgroups', async () => cgroupRoot.remove().map((c) => `cgroup still in use: ${c}`));

    // Certificates: CN is the user, O the group (bootstrap RBAC and the Node authorizer know these names).
    fs.mkdirSync(d('pki'));
    const ca = new CertificateAuthority(d('pki'));
    const sa = serviceAccountKeys(d('pki'));
    const apiPort = await freePort();
    const server = `https://${nodeIp}:${apiPort}`;
    const apiserverCert = ca.serving('apiserver', { user: 'kube-apiserver' }, {
      ips: [nodeIp, '127.0.0.1', KUBERNETES_SERVICE_IP],
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    });
    const admin = ca.client('admin', { user: 'tsvisor-admin', groups: ['system:masters'] });
    const apiserverToKubelet = ca.client('apiserver-kubelet-client', { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] });
    const kubeletServing = ca.serving('kubelet-serving', { user: `system:node:${nodeName}`, groups: ['system:nodes'] }, { ips: [nodeIp], dns: [nodeName] });
    const kubeletClient = ca.client('kubelet-client', { user: `system:node:${nodeName}`, groups: ['system:nodes'] });
    const kubeconfigFor = (name: string, user: string, pair = ca.client(name, { user })): string => {
      const file = d(`${name}.kubeconfig`);
      fs.writeFileSync(file, kubeconfig(server, ca.cert, pair, user));
      return file;
    };
    const adminKubeconfig = kubeconfigFor('admin', 'tsvisor-admin', admin);
    // The aggregation layer (metrics.k8s.io for kubectl top), as kubeadm configures it.
    const fp = frontProxy(d('pki', 'front-proxy'));
    const adminTls: TlsClient = { ca: fs.readFileSync(ca.cert), cert: fs.readFileSync(admin.cert), key: fs.readFileSync(admin.key) };

    // etcd, plain HTTP on loopback only; fsync off: its data dies with the test.
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    const etcd = start('etcd', [
      '--name=tsvisor-test', `--data-dir=${d('etcd')}`, '--log-level=warn', '--unsafe-no-fsync',
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=tsvisor-test=http://127.0.0.1:${etcdPeer}`,
    ]);
    await waitUntil('etcd /health', async () => (await get(`http://127.0.0.1:${etcdClient}/health`)).body.includes('"health":"true"'), timeout, [etcd]);

    const apiserver = start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--bind-address=${nodeIp}`, `--advertise-address=${nodeIp}`, `--secure-port=${apiPort}`,
      `--client-ca-file=${ca.cert}`, `--tls-cert-file=${apiserverCert.cert}`, `--tls-private-key-file=${apiserverCert.key}`,
      `--kubelet-client-certificate=${apiserverToKubelet.cert}`, `--kubelet-client-key=${apiserverToKubelet.key}`,
      `--kubelet-certificate-authority=${ca.cert}`, '--kubelet-preferred-address-types=InternalIP',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${sa.publicKey}`, `--service-account-signing-key-file=${sa.privateKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--allow-privileged=true',
      '--profiling=false', ...aggregationFlags(fp),
    ]);
    await waitUntil('kube-apiserver /readyz', async () => (await get(`${server}/readyz`, adminTls)).status === 200, timeout, [etcd, apiserver]);

    const controlPlaneArgs = (kc: string, port: number) => [
      `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1', `--secure-port=${port}`, '--leader-elect=false', '--profiling=false',
    ];
    const [kcmPort, schedPort] = [await freePort(), await freePort()];
    const kcm = start('kube-controller-manager', [
      ...controlPlaneArgs(kubeconfigFor('kube-controller-manager', 'system:kube-controller-manager'), kcmPort),
      '--use-service-account-credentials=true', `--service-account-private-key-file=${sa.privateKey}`, `--root-ca-file=${ca.cert}`,
      `--cluster-signing-cert-file=${ca.cert}`, `--cluster-signing-key-file=${ca.key}`, `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ]);
    const scheduler = start('kube-scheduler', controlPlaneArgs(kubeconfigFor('kube-scheduler', 'system:kube-scheduler'), schedPort));
    const controlPlane = [etcd, apiserver, kcm, scheduler];
    for (const [c, port] of [[kcm, kcmPort], [scheduler, schedPort]] as const) {
      await waitUntil(`${c.name} /healthz`, async () => (await get(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200, timeout, controlPlane);
    }

    const kubectl = (args: string[], opts: { input?: string; timeoutSec?: number } = {}) => exec([bins.kube('kubectl'), '--kubeconfig', adminKubeconfig, ...args], opts);
    const kubectlOk = async (args: string[], input?: string): Promise<string> => {
      const r = await kubectl(args, { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}\n${diagnostics()}`);
      return r.stdout;
    };
    if (o.gvisorRuntimeClass ?? true) {
      await kubectlOk(['apply', '-f', '-'], stringify({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'gvisor' }, handler: 'gvisor' }));
    }

    // The node's runtimes: containerd for the default handler, tsvisor in front of it.
    const registry = await withPushedImages();
    td.add('registry', () => registry.stop());
    await pushAll(registry, clusterOnlyImages());
    const containerd = await startContainerd({ registry });
    td.add('containerd', () => containerd.stop());
    const netDir = d('net.d');
    fs.mkdirSync(netDir);
    const bridge = `tsvk8s${slot}`;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-cluster', bridge, `10.237.${slot}.0/24`, d('ipam')));
    const cri = await startCriServer({ upstream: containerd.endpoint, args: ['--cni-conf-dir', netDir, '--insecure-registries', registry.host] });
    td.add('tsvisor cri', async () => {
      // kubelet stops the pods of deleted pods but removes them lazily: what is still running is a leak.
      const listed = await crictl(cri, ['pods', '-o', 'json']);
      const items = listed.code === 0 ? (JSON.parse(listed.stdout) as { items: { id: string; state: string; metadata: { name: string } }[] }).items : [];
      const running = items.filter((p) => p.state === 'SANDBOX_READY').map((p) => `pod still running: ${p.metadata.name} (${p.id})`);
      if (items.length > 0) await crictl(cri, ['rmp', '--all', '--force']);
      await exec(['ip', 'link', 'delete', bridge]); // CNI leaves its bridge after the last pod; absent when no pod ran
      await cri.stop();
      return running;
    });

    const kubeletPort = await freePort();
    const kubeletConfig = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: nodeIp,
      port: kubeletPort,
      readOnlyPort: 0,
      healthzPort: 0,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: ca.cert } },
      authorization: { mode: 'Webhook' },
      tlsCertFile: kubeletServing.cert,
      tlsPrivateKeyFile: kubeletServing.key,
      containerRuntimeEndpoint: cri.endpoint,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: cgroupRoot.name,
      failSwapOn: false,
      podLogsDir: d('pod-logs'),
      volumePluginDir: d('volume-plugins'),
      // Nothing is evicted or garbage-collected on a busy shared test machine.
      evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
    };
    fs.writeFileSync(d('kubelet.yaml'), stringify(kubeletConfig));
    // kubelet bind-mounts its root folder onto itself to make it rshared (MakeRShared):
    // once it is stopped, that mount is removed here; anything mounted below is a leak.
    // The folder is outside the scratch folder, whose stale-folder removal a mount would break
    // if this process were killed (removeStaleClusters() handles that case).
    const kubeletRoot = kubeletRootDir();
    fs.mkdirSync(kubeletRoot);
    td.add('kubelet root', async () => {
      const mounts = mountsUnder(kubeletRoot).reverse(); // children first
      for (const m of mounts) await exec(['umount', '-l', m]);
      fs.rmSync(kubeletRoot, { recursive: true, force: true });
      return mounts.filter((m) => m !== kubeletRoot).map((m) => `mount left behind: ${m}`);
    });
    const kubelet = start('kubelet', [
      `--config=${d('kubelet.yaml')}`, `--kubeconfig=${kubeconfigFor('kubelet', `system:node:${nodeName}`, kubeletClient)}`,
      `--hostname-override=${nodeName}`, `--node-ip=${nodeIp}`, `--root-dir=${kubeletRoot}`, '--v=2',
    ]);
    // Before kubelet stops: delete every pod so that kubelet tears them down through the runtimes.
    td.add('pods', async () => {
      if (kubelet.exited() !== null) return [`kubelet ${kubelet.exited()} before tear-down`];
      const r = await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=2', '--wait=true', '--timeout=120s']);
      return r.code === 0 ? [] : [`deleting pods failed: ${r.stderr}`];
    });
    const nodeReady = async () => {
      const res = await get(`${server}/api/v1/nodes/${nodeName}`, adminTls);
      if (res.status !== 200) return false;
      const node = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    };
    await waitUntil(`node ${nodeName} Ready`, nodeReady, timeout, [...controlPlane, kubelet]);
    // Pods need their namespace's default service account, which the controller-manager creates a little later.
    const defaultAccount = async () => (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminTls)).status === 200;
    await waitUntil('the default service account', defaultAccount, timeout, [...controlPlane, kubelet]);

    if (o.kubeProxy === true) {
      const [healthPort, metricsPort] = [await freePort(), await freePort()];
      const proxyConfig = {
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        kind: 'KubeProxyConfiguration',
        mode: 'iptables',
        clientConnection: { kubeconfig: kubeconfigFor('kube-proxy', 'system:kube-proxy') },
        hostnameOverride: nodeName,
        healthzBindAddress: `127.0.0.1:${healthPort}`,
        metricsBindAddress: `127.0.0.1:${metricsPort}`,
        // Leave the host's sysctls alone: no route_localnet, no conntrack table size or timeouts.
        iptables: { localhostNodePorts: false },
        conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      };
      fs.writeFileSync(d('kube-proxy.yaml'), stringify(proxyConfig));
      const proxy = start('kube-proxy', [`--config=${d('kube-proxy.yaml')}`]);
      await waitUntil('kube-proxy /healthz', async () => (await get(`http://127.0.0.1:${healthPort}/healthz`)).status === 200, timeout, [...controlPlane, kubelet, proxy]);
      // /healthz is 200 before the first sync: wait for the kubernetes Service's rule itself.
      const serviceRule = async () => (await exec(['iptables', '-w', '-t', 'nat', '-S', 'KUBE-SERVICES'])).stdout.includes(`-d ${KUBERNETES_SERVICE_IP}/32`);
      await waitUntil('kube-proxy rules for the kubernetes Service', serviceRule, timeout, [...controlPlane, kubelet, proxy]);
    }

    if (o.metricsServer === true) {
      const ms: MetricsServerSetup = {
        address: nodeIp,
        port: await freePort(),
        serving: ca.serving('metrics-server-serving', { user: METRICS_USER }, { ips: [nodeIp], dns: [metricsServerDnsName] }),
        clusterCa: ca.cert,
        kubeconfig: kubeconfigFor('metrics-server', METRICS_USER),
      };
      await kubectlOk(['apply', '-f', '-'], metricsServerObjects(ms).map((x) => stringify(x)).join('---\n'));
      const metricsServer = start('metrics-server', metricsServerArgs(ms));
      // Available once the aggregator reaches it through the EndpointSlice and its discovery answers.
      const available = async () => apiServiceAvailable((await kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json'])).stdout);
      await waitUntil('APIService v1beta1.metrics.k8s.io Available', available, timeout, [...controlPlane, kubelet, metricsServer]);
    }

    return {
      dir, nodeName, nodeIp, kubeconfig: adminKubeconfig, api: new KubeApi(adminKubeconfig), registry, cri, containerd,
      kubectl, kubectlOk, diagnostics,
      stop: () => td.run(),
    };
  } catch (e) {
    const why = e instanceof Error ? e : new Error(String(e));
    await td.run().catch((t: Error) => (why.message += `\n(tear-down after the failed start: ${t.message})`));
    throw why;
  }
}
