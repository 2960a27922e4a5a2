/**
 * Typed reads of the test cluster's objects with @kubernetes/client-node
 * (admin kubeconfig): pods, nodes, RuntimeClasses, Deployments,
 * EndpointSlices, Services, pod metrics. Waiting for a pod to reach a state
 * watches it (a read, then the apiserver's watch events from that version)
 * instead of polling `kubectl get -o json`, so a state that lasts only
 * between two polls is still seen. kubectl stays for what a user types:
 * apply, delete, exec, logs, attach, cp, port-forward, top.
 */
import * as k8s from '@kubernetes/client-node';

export type Pod = k8s.V1Pod;
export type ContainerStatus = k8s.V1ContainerStatus;

/** The outcome of a wait: the object's last state seen and whether `done` held for it. */
export interface Waited<T> {
  ok: boolean;
  last: T | undefined;
}

const notFound = (e: unknown): boolean => e instanceof k8s.ApiException && e.code === 404;

/** `read()`, or undefined when the object does not exist. */
async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

export class KubeApi {
  readonly config = new k8s.KubeConfig();
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly nodeApi: k8s.NodeV1Api;
  readonly discovery: k8s.DiscoveryV1Api;
  readonly metrics: k8s.Metrics;
  private readonly watcher: k8s.Watch;

  constructor(kubeconfigFile: string) {
    this.config.loadFromFile(kubeconfigFile);
    this.core = this.config.makeApiClient(k8s.CoreV1Api);
    this.apps = this.config.makeApiClient(k8s.AppsV1Api);
    this.batch = this.config.makeApiClient(k8s.BatchV1Api);
    this.nodeApi = this.config.makeApiClient(k8s.NodeV1Api);
    this.discovery = this.config.makeApiClient(k8s.DiscoveryV1Api);
    this.metrics = new k8s.Metrics(this.config);
    this.watcher = new k8s.Watch(this.config);
  }

  pod(name: string, namespace = 'default'): Promise<Pod> {
    return this.core.readNamespacedPod({ name, namespace });
  }

  async pods(labelSelector: string, namespace = 'default'): Promise<Pod[]> {
    return (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
  }

  node(name: string): Promise<k8s.V1Node> {
    return this.core.readNode({ name });
  }

  /** The RuntimeClass, or undefined when there is none of that name. */
  runtimeClass(name: string): Promise<k8s.V1RuntimeClass | undefined> {
    return orMissing(() => this.nodeApi.readRuntimeClass({ name }));
  }

  deployment(name: string, namespace = 'default'): Promise<k8s.V1Deployment> {
    return this.apps.readNamespacedDeployment({ name, namespace });
  }

  job(name: string, namespace = 'default'): Promise<k8s.V1Job> {
    return this.batch.readNamespacedJob({ name, namespace });
  }

  service(name: string, namespace = 'default'): Promise<k8s.V1Service> {
    return this.core.readNamespacedService({ name, namespace });
  }

  async endpointSlices(service: string, namespace = 'default'): Promise<k8s.V1EndpointSlice[]> {
    return (await this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` })).items;
  }

  /**
   * Waits until `done(pod)` holds for pod `name`: reads it, then watches it
   * from that resourceVersion, reading again whenever the apiserver closes
   * the watch. Resolves (never rejects on timeout) with the last state seen.
   */
  async waitPod(name: string, done: (p: Pod) => boolean, timeoutMs: number, namespace = 'default'): Promise<Waited<Pod>> {
    const deadline = Date.now() + timeoutMs;
    let last: Pod | undefined;
    while (Date.now() < deadline) {
      last = await orMissing(() => this.pod(name, namespace));
      if (last !== undefined && done(last)) return { ok: true, last };
      const seen = await this.watchOnce(`/api/v1/namespaces/${namespace}/pods`, name, last?.metadata?.resourceVersion, done, deadline);
      if (seen.last !== undefined) last = seen.last;
      if (seen.ok) return { ok: true, last };
      // The watch ended early (closed by the apiserver, or the version expired): read and watch again.
      if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    }
    return { ok: false, last };
  }

  /** One watch of the object `name` under `path`, until `done` holds for it, the watch ends or the deadline passes. */
  private watchOnce<T>(path: string, name: string, resourceVersion: string | undefined, done: (x: T) => boolean, deadline: number): Promise<Waited<T>> {
    return new Promise((resolve) => {
      let last: T | undefined;
      let finished = false;
      let controller: AbortController | undefined;
      const finish = (ok: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        controller?.abort();
        resolve({ ok, last });
      };
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
      const onEvent = (type: string, obj: unknown) => {
        if (type !== 'ADDED' && type !== 'MODIFIED') {
          if (type === 'ERROR') finish(false); // e.g. 410 Gone: the caller reads again
          return;
        }
        last = obj as T; // the object's JSON: the same fields, timestamps as strings
        if (done(last)) finish(true);
      };
      this.watcher
        .watch(path, { fieldSelector: `metadata.name=${name}`, resourceVersion }, onEvent, () => finish(false))
        .then((c) => {
          controller = c;
          if (finished) c.abort();
        })
        .catch(() => finish(false));
    });
  }
}

/** Bytes of a Kubernetes quantity with a binary or decimal suffix (memory-style: no milli). */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (m === null) throw new Error(`not a memory quantity: ${q}`);
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] === undefined ? 1 : unit[m[2]]);
}
