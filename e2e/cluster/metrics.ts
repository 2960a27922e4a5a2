/**
 * The metrics API (metrics.k8s.io, what `kubectl top` reads) for the test
 * cluster: metrics-server as a host process, behind kube-apiserver's
 * aggregation layer.
 *
 * The aggregator proxies /apis/metrics.k8s.io to metrics-server with a
 * front-proxy client certificate (its own CA, as kubeadm sets it up) and the
 * caller's identity in X-Remote-* headers; metrics-server trusts those headers
 * from certificates of that CA (read from kube-system's
 * extension-apiserver-authentication ConfigMap) and asks the apiserver to
 * authorize the caller (SubjectAccessReview). With --enable-aggregator-routing
 * the apiserver connects to an endpoint of the APIService's Service rather
 * than its ClusterIP, so a Service without selector whose EndpointSlice names
 * the host address metrics-server listens on is enough: no kube-proxy, no pod.
 *
 * metrics-server scrapes each kubelet's /metrics/resource (cumulative CPU
 * time, working set, container start times) every --metric-resolution and
 * reports CPU as the rate between its last two scrapes.
 */
import * as fs from 'node:fs';
import { CertificateAuthority, type KeyPair } from './pki';

export const METRICS_NAMESPACE = 'kube-system';
export const METRICS_SERVICE = 'metrics-server';
/** The user metrics-server authenticates as (to the apiserver and to kubelets). */
export const METRICS_USER = 'system:metrics-server';
/** How often metrics-server scrapes the kubelets (its minimum). */
export const METRIC_RESOLUTION_SEC = 10;
const FRONT_PROXY_CLIENT = 'front-proxy-client';

/** The aggregation layer's own CA and the client certificate the apiserver proxies with. */
export interface FrontProxy {
  ca: string;
  client: KeyPair;
}

export function frontProxy(dir: string): FrontProxy {
  fs.mkdirSync(dir, { recursive: true });
  const ca = new CertificateAuthority(dir, 'tsvisor test cluster front-proxy CA');
  return { ca: ca.cert, client: ca.client(FRONT_PROXY_CLIENT, { user: FRONT_PROXY_CLIENT }) };
}

/** kube-apiserver's aggregation-layer flags (kubeadm's header names). */
export function aggregationFlags(fp: FrontProxy): string[] {
  return [
    `--requestheader-client-ca-file=${fp.ca}`, `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${fp.client.cert}`, `--proxy-client-key-file=${fp.client.key}`,
    '--enable-aggregator-routing=true',
  ];
}

/** The name the aggregator checks metrics-server's serving certificate against (service.namespace.svc). */
export const metricsServerDnsName = `${METRICS_SERVICE}.${METRICS_NAMESPACE}.svc`;

export interface MetricsServerSetup {
  /** Address and port metrics-server listens on. */
  address: string;
  port: number;
  serving: KeyPair;
  /** The CA of its serving certificate and of the kubelet's (the cluster CA). */
  clusterCa: string;
  kubeconfig: string;
}

export function metricsServerArgs(s: MetricsServerSetup): string[] {
  return [
    `--kubeconfig=${s.kubeconfig}`, `--authentication-kubeconfig=${s.kubeconfig}`, `--authorization-kubeconfig=${s.kubeconfig}`,
    `--bind-address=${s.address}`, `--secure-port=${s.port}`,
    `--tls-cert-file=${s.serving.cert}`, `--tls-private-key-file=${s.serving.key}`,
    // The kubelet's serving certificate is the cluster CA's (IP SAN = node IP): verified, not --kubelet-insecure-tls.
    `--kubelet-certificate-authority=${s.clusterCa}`,
    '--kubelet-preferred-address-types=InternalIP', '--kubelet-use-node-status-port',
    // It must be below the resolution.
    `--metric-resolution=${METRIC_RESOLUTION_SEC}s`, '--kubelet-request-timeout=5s', '--profiling=false',
  ];
}

/**
 * What metrics-server needs in the cluster: its RBAC (as its own manifests
 * grant: read nodes, pods and the kubelet's metrics; delegated authn/authz),
 * the selectorless Service with an EndpointSlice at the host address, and
 * the APIService.
 */
export function metricsServerObjects(s: MetricsServerSetup): object[] {
  const user = { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: METRICS_USER };
  const labels = { 'app.kubernetes.io/name': 'metrics-server' };
  const meta = (name: string, namespace?: string) => ({ name, ...(namespace !== undefined ? { namespace } : {}), labels });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(METRICS_USER),
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(METRICS_USER), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_USER }, subjects: [user] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta('metrics-server:system:auth-delegator'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' }, subjects: [user] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('metrics-server-auth-reader', METRICS_NAMESPACE),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects: [user],
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta(METRICS_SERVICE, METRICS_NAMESPACE),
      spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, targetPort: s.port, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: METRICS_SERVICE, namespace: METRICS_NAMESPACE, labels: { ...labels, 'kubernetes.io/service-name': METRICS_SERVICE, 'endpointslice.kubernetes.io/managed-by': 'tsvisor-e2e' } },
      addressType: 'IPv4',
      // The aggregator matches the Service's port by name and takes this port as is.
      ports: [{ name: 'https', port: s.port, protocol: 'TCP' }],
      endpoints: [{ addresses: [s.address], conditions: { ready: true } }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: meta('v1beta1.metrics.k8s.io'),
      spec: {
        group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100,
        service: { name: METRICS_SERVICE, namespace: METRICS_NAMESPACE, port: 443 },
        caBundle: fs.readFileSync(s.clusterCa).toString('base64'),
      },
    },
  ];
}

/** The APIService's Available condition, from `kubectl get apiservice -o json`. */
export function apiServiceAvailable(json: string): boolean {
  const svc = JSON.parse(json) as { status?: { conditions?: { type: string; status: string }[] } };
  return svc.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
}
