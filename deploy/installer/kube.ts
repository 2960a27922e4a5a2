/**
 * The few Kubernetes API calls the installer makes, with the pod's service
 * account (in-cluster: KUBERNETES_SERVICE_HOST/PORT, the mounted token and
 * CA): read a node, set or remove one label, delete a DaemonSet and wait for
 * its pods. Plain HTTPS and JSON; no client library needed for five calls.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConnection {
  /** https://host:port */
  server: string;
  token: string;
  ca: Buffer;
}

export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface NodeView {
  labels: Record<string, string>;
  runtimeHandlers: string[];
}

/** The pod's own connection to the apiserver. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('KUBERNETES_SERVICE_HOST/PORT are not set: not running in a pod?');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: fs.readFileSync(`${dir}/token`, 'utf8').trim(),
    ca: fs.readFileSync(`${dir}/ca.crt`),
  };
}

export class Kube {
  constructor(private readonly c: KubeConnection) {}

  private request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.c.server}${path}`,
        {
          method,
          ca: this.c.ca,
          timeout: 30_000,
          headers: {
            Authorization: `Bearer ${this.c.token}`,
            Accept: 'application/json',
            ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) {
              let message = text;
              try {
                message = (JSON.parse(text) as { message?: string }).message ?? text;
              } catch {
                /* not a Status object */
              }
              reject(new KubeError(`${method} ${path}: ${status} ${message}`, status));
              return;
            }
            try {
              resolve(text === '' ? null : JSON.parse(text));
            } catch (e) {
              reject(new Error(`${method} ${path}: response is not JSON: ${(e as Error).message}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  async node(name: string): Promise<NodeView> {
    const n = (await this.request('GET', `/api/v1/nodes/${encodeURIComponent(name)}`)) as {
      metadata?: { labels?: Record<string, string> };
      status?: { runtimeHandlers?: { name: string }[] };
    };
    return { labels: n.metadata?.labels ?? {}, runtimeHandlers: (n.status?.runtimeHandlers ?? []).map((h) => h.name) };
  }

  /** Sets the label, or removes it when `value` is null (JSON merge patch: null deletes). */
  async label(node: string, key: string, value: string | null): Promise<void> {
    await this.request('PATCH', `/api/v1/nodes/${encodeURIComponent(node)}`, { metadata: { labels: { [key]: value } } }, 'application/merge-patch+json');
  }

  /** Deletes the DaemonSet (its pods get SIGTERM); a missing one is fine. */
  async deleteDaemonSet(namespace: string, name: string): Promise<void> {
    try {
      await this.request('DELETE', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
      });
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 404)) throw e;
    }
  }

  /** Names of the namespace's pods matching a label selector. */
  async pods(namespace: string, selector: string): Promise<string[]> {
    const list = (await this.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`)) as {
      items: { metadata: { name: string } }[];
    };
    return list.items.map((p) => p.metadata.name);
  }
}
