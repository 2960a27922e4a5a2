/**
 * Paths of the test cluster's binaries that scripts/build-cluster-bins.sh
 * builds: the versions come from the same file the script sources
 * (scripts/cluster-versions.env), the cache root from the same variable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../syscalls/harness';

export const VERSIONS_FILE = path.join(REPO_ROOT, 'scripts', 'cluster-versions.env');

export interface ClusterVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
  metricsServer: string;
}

/** KEY=VALUE lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const m = /^([A-Z_][A-Z0-9_]*)=([^\s'"$`]*)$/.exec(l);
    if (m === null) throw new Error(`${VERSIONS_FILE}:${i + 1}: not KEY=VALUE: ${l}`);
    out[m[1]] = m[2];
  });
  return out;
}

export function clusterVersions(): ClusterVersions {
  const env = parseEnvFile(fs.readFileSync(VERSIONS_FILE, 'utf8'));
  const get = (k: string): string => {
    const v = env[k];
    if (v === undefined || !/^v\d+\.\d+\.\d+$/.test(v)) throw new Error(`${VERSIONS_FILE}: ${k} missing or not vX.Y.Z`);
    return v;
  };
  return { kubernetes: get('KUBERNETES_VERSION'), etcd: get('ETCD_VERSION'), helm: get('HELM_VERSION'), metricsServer: get('METRICS_SERVER_VERSION') };
}

export type KubeBinary = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kube-proxy' | 'kubectl';

export interface ClusterBins {
  versions: ClusterVersions;
  kube(name: KubeBinary): string;
  etcd(): string;
  helm(): string;
  metricsServer(): string;
}

function cacheRoot(): string {
  return process.env.TSVISOR_TEST_CACHE || '/var/cache/tsvisor-test';
}

function executable(p: string): string {
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    throw new Error(`${p} not found: run scripts/build-cluster-bins.sh`);
  }
  return p;
}

/** The binaries' paths, each checked when asked for (with a message naming the script that builds it). */
export function clusterBins(): ClusterBins {
  const versions = clusterVersions();
  const dir = (name: string, version: string) => path.join(cacheRoot(), `${name}-${version}`, 'bin');
  return {
    versions,
    kube: (name) => executable(path.join(dir('k8s', versions.kubernetes), name)),
    etcd: () => executable(path.join(dir('etcd', versions.etcd), 'etcd')),
    helm: () => executable(path.join(dir('helm', versions.helm), 'helm')),
    metricsServer: () => executable(path.join(dir('metrics-server', versions.metricsServer), 'metrics-server')),
  };
}
