/**
 * charts/tsvisor rendered by the real helm (built by
 * scripts/build-cluster-bins.sh): lint clean, the objects and their key
 * fields, the ConfigMap accepted by the installer's and tsvisor cri's own
 * parsers, values the schema must refuse, and deploy/tsvisor.yaml being
 * exactly the chart's default rendering (so the two never drift).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyYaml, DEFAULT_CONFIG, type CriConfig } from '../cri/config';
import { clusterBins } from '../e2e/cluster/bins';
import { freshDir, REPO_ROOT } from '../e2e/syscalls/harness';
import { parseSettings } from './installer/settings';

const CHART = path.join(REPO_ROOT, 'charts', 'tsvisor');
const MANIFEST = path.join(REPO_ROOT, 'deploy', 'tsvisor.yaml');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

function helm(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(clusterBins().helm(), args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: freshDir('helm-cache') } });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** `helm template` with `--set` pairs; its objects. */
function render(sets: string[] = [], extra: string[] = []): K8sObject[] {
  const r = helm(['template', 'tsvisor', CHART, '-n', 'tsvisor-system', ...sets.flatMap((s) => ['--set', s]), ...extra]);
  assert.equal(r.code, 0, r.err);
  return parseAllDocuments(r.out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const find = (objs: K8sObject[], kind: string, name?: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `no ${kind} ${name ?? ''}`);
  return o;
};

function configMapFiles(objs: K8sObject[]): { installer: string; cri: string } {
  const data = find(objs, 'ConfigMap').data as Record<string, string>;
  return { installer: data['installer.yaml'], cri: data['cri.yaml'] };
}

function criConfig(text: string): CriConfig {
  const c = structuredClone(DEFAULT_CONFIG) as CriConfig;
  applyYaml(c, parseAllDocuments(text)[0].toJS(), 'cri.yaml');
  return c;
}

describe('charts/tsvisor', function () {
  this.timeout(60_000);

  it('passes helm lint --strict', () => {
    const r = helm(['lint', '--strict', CHART]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the objects an installation needs, and the hook only for helm', () => {
    const kinds = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds(render()), [
      'ClusterRole/tsvisor',
      'ClusterRoleBinding/tsvisor',
      'ConfigMap/tsvisor',
      'DaemonSet/tsvisor',
      'Job/tsvisor-pre-delete',
      'Role/tsvisor-pre-delete',
      'RoleBinding/tsvisor-pre-delete',
      'RuntimeClass/gvisor',
      'ServiceAccount/tsvisor',
      'ServiceAccount/tsvisor-pre-delete',
    ]);
    for (const o of render().filter((x) => x.metadata.name === 'tsvisor-pre-delete')) {
      assert.equal(o.metadata.annotations?.['helm.sh/hook'], 'pre-delete', `${o.kind} is a hook`);
    }
    assert.deepEqual(kinds(render(['createNamespace=true', 'preDelete.enabled=false', 'runtimeClass.create=false'])), [
      'ClusterRole/tsvisor',
      'ClusterRoleBinding/tsvisor',
      'ConfigMap/tsvisor',
      'DaemonSet/tsvisor',
      'Namespace/tsvisor-system',
      'ServiceAccount/tsvisor',
    ]);
  });

  it('gives the installer node get/patch and nothing else', () => {
    assert.deepEqual(find(render(), 'ClusterRole').rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
  });

  it('RuntimeClass: handler, measured overhead, the installer label as node selector', () => {
    const rc = find(render(['runtimeClass.name=sandboxed', 'runtimeClass.handler=tsv', 'runtimeClass.scheduling.nodeSelector.pool=a']), 'RuntimeClass');
    assert.equal(rc.metadata.name, 'sandboxed');
    assert.equal(rc.handler, 'tsv');
    assert.deepEqual(rc.overhead, { podFixed: { cpu: '10m', memory: '40Mi' } });
    assert.deepEqual(rc.scheduling, { nodeSelector: { 'tsvisor.dev/installed': 'true', pool: 'a' } });
    // The installer is told to expect the same handler, and tsvisor cri to serve it.
    const files = configMapFiles(render(['runtimeClass.handler=tsv']));
    assert.equal(parseSettings(files.installer, 'installer.yaml').handler, 'tsv');
    assert.deepEqual(criConfig(files.cri).handlers, ['tsv']);
  });

  it('DaemonSet: privileged, hostPID, the node root mounted, the installer run, values applied', () => {
    const ds = find(render(['priorityClassName=', 'nodeSelector.pool=b', 'image.repository=r.example/tsvisor', 'image.tag=1.2']), 'DaemonSet');
    const pod = (ds.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    assert.equal(pod.hostPID, true);
    assert.equal(pod.priorityClassName, undefined);
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux', pool: 'b' });
    const [c] = pod.containers as { image: string; command: string[]; securityContext: unknown; volumeMounts: unknown[] }[];
    assert.equal(c.image, 'r.example/tsvisor:1.2');
    assert.deepEqual(c.command, ['/usr/local/bin/node', '/tsvisor/dist/deploy/installer/main.js', 'run']);
    assert.deepEqual(c.securityContext, { privileged: true });
    assert.deepEqual(pod.volumes, [
      { name: 'host', hostPath: { path: '/', type: 'Directory' } },
      { name: 'config', configMap: { name: 'tsvisor' } },
    ]);
    assert.deepEqual((c as unknown as { env: unknown[] }).env, [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    const direct = (find(render(['apiServer.host=10.0.0.5', 'apiServer.port=6443']), 'DaemonSet').spec as { template: { spec: { containers: { env: unknown[] }[] } } }).template.spec;
    assert.deepEqual(direct.containers[0].env.slice(1), [
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.5' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
    ]);
    const job = (find(render(['apiServer.host=10.0.0.5']), 'Job').spec as { template: { spec: { containers: { env: unknown[] }[] } } }).template.spec;
    assert.deepEqual(job.containers[0].env, [
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.5' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
    ]);
    const def = (find(render(), 'DaemonSet').spec as { template: { spec: Record<string, unknown> } }).template.spec;
    assert.equal(def.priorityClassName, 'system-node-critical');
    assert.deepEqual(def.tolerations, [{ operator: 'Exists' }]);
  });

  it("ConfigMap: accepted by the installer's and tsvisor cri's own parsers, values carried through", () => {
    const def = configMapFiles(render());
    const s = parseSettings(def.installer, 'installer.yaml');
    assert.deepEqual(
      { hostRoot: s.hostRoot, installDir: s.installDir, configDir: s.configDir, service: s.service, label: s.nodeLabel, kubelet: s.kubelet.configure },
      { hostRoot: '/host', installDir: '/opt/tsvisor', configDir: '/etc/tsvisor', service: 'auto', label: { key: 'tsvisor.dev/installed', value: 'true' }, kubelet: false },
    );
    const c = criConfig(def.cri);
    assert.deepEqual(
      { socket: c.socket, root: c.root, stateDir: c.stateDir, upstream: c.upstream, network: c.network, logLevel: c.logLevel },
      { socket: '/run/tsvisor/cri.sock', root: '/var/lib/tsvisor', stateDir: '/run/tsvisor', upstream: null, network: 'sandbox', logLevel: 'info' },
    );
    const set = configMapFiles(
      render(['debug=true', 'network=none', 'kubelet.configure=true', 'node.service=systemd', 'cri.upstream=unix:///run/containerd/containerd.sock', 'cri.extra.insecureRegistries={r.local:5000}']),
    );
    const c2 = criConfig(set.cri);
    assert.deepEqual(
      { logLevel: c2.logLevel, network: c2.network, upstream: c2.upstream, insecure: c2.insecureRegistries },
      { logLevel: 'debug', network: 'none', upstream: 'unix:///run/containerd/containerd.sock', insecure: ['r.local:5000'] },
    );
    const s2 = parseSettings(set.installer, 'installer.yaml');
    assert.equal(s2.kubelet.configure, true);
    assert.equal(s2.service, 'systemd');
  });

  it('the schema refuses bad values, naming them', () => {
    const bad: [string, RegExp][] = [
      ['network=bridge', /network/],
      ['platform=kvm', /platform/],
      ['strace=true', /strace/],
      ['logFormat=json', /logFormat/],
      ['logLevel=verbose', /logLevel/],
      ['runtimeClass.handler=Bad_Handler', /handler/],
      ['node.installDir=/', /installDir/],
      ['node.installDir=relative/dir', /installDir/],
      ['node.service=upstart', /service/],
      ['node.label.key=Bad Key', /key/],
      ['runtimeClass.overhead.memory=lots', /memory/],
      ['cri.extra.socket=/x', /extra/],
      ['unknownKey=1', /unknownKey/],
      ['apiServer.port=0', /port/],
    ];
    for (const [set, re] of bad) {
      const r = helm(['template', 'tsvisor', CHART, '--set', set]);
      assert.notEqual(r.code, 0, `${set} accepted`);
      assert.match(r.err, /values don't meet the specifications of the schema/, set);
      assert.match(r.err, re, `${set}: ${r.err}`);
    }
  });

  it('deploy/tsvisor.yaml is the chart rendered with its defaults (no hooks, namespace included)', () => {
    const r = helm(['template', 'tsvisor', CHART, '-n', 'tsvisor-system', '--set', 'createNamespace=true', '--no-hooks']);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.readFileSync(MANIFEST, 'utf8'), r.out, 'regenerate with deploy/render.sh');
  });
});
