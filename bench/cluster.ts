/**
 * The cluster benchmarks (issue 6): gvisor pods (RuntimeClass `gvisor`,
 * kubelet → tsvisor cri) against default pods (tsvisor cri forwards them to
 * containerd + runc) on the test cluster of e2e/cluster, in one run.
 *
 * (i) Pod start latency: `kubectl apply` of a busybox pod until the
 *     apiserver reports it Ready (watched through e2e/cluster/api.ts), then
 *     `kubectl delete --wait`. Runs are interleaved between the runtimes
 *     after one warm-up each; medians.
 * (j) Pod density: idle busybox pods (`sleep`) started in batches up to a
 *     cap. After each batch has settled, the pods' own cgroups' working set
 *     (usage − inactive_file, what kubelet counts; for gvisor the Sentry, the
 *     Gofers and the stubs, for runc pause and the container) plus the PSS of
 *     the runtimes' daemons (tsvisor cri, containerd and its shims, which sit
 *     outside the pods' cgroups) is read; the marginal memory of a pod is
 *     the least-squares slope of that from the first batch on. The node's
 *     MemAvailable (/proc/meminfo) is read too, as a cross-check only: on a
 *     shared machine other work moves it by hundreds of MiB. Compared with
 *     the RuntimeClass as shipped (deploy/tsvisor.yaml, its overhead.podFixed):
 *     how many pods the scheduler admits, allocatable / (overhead + request),
 *     against how many fit before the kubelet's memory eviction threshold,
 *     (MemAvailable − threshold) / marginal.
 *
 * Run alone with `node dist/bench/cluster.js`; `npm run bench` runs it last.
 * It starts its own cluster: never while a cluster test runs on the machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { PodCgroup } from '../cri/pod/cgroup';
import { type Pod, quantityBytes } from '../e2e/cluster/api';
import { type Cluster, startCluster } from '../e2e/cluster/cluster';
import { cgroupRootName } from '../e2e/cluster/host';
import { REPO_ROOT } from '../e2e/syscalls/harness';
import { comm, pidsMentioning } from './cri';
import { pssKiB } from './measure';
import { fmt, median, slope, table } from './stats';

const LATENCY_RUNS = 6;
const DENSITY_BATCH = 5;
const DENSITY_CAP = 30;
/**
 * Longer than the Sentry's first idle collection (2 s after its last work,
 * kernel/idlegc.ts). The Gofers' and later collections may still be due in the
 * newest batch, but every reading holds exactly one such batch and older pods
 * that have long settled, so the slope over the readings is a settled pod's.
 */
const SETTLE_MS = 5_000;
const READY_TIMEOUT_MS = 180_000;
/** Stop adding pods when the node would be left with less than this (a shared machine). */
const KEEP_FREE_MIB = 2048;
const MiB = 1024 * 1024;
const OTHER_CLUSTER_WAIT_MS = 30 * 60_000;

/** A way of running a pod: with the RuntimeClass or without (the default handler). */
interface Flavour {
  key: string;
  label: string;
  runtimeClass?: string;
}

const GVISOR: Flavour = { key: 'gvisor', label: 'gvisor (tsvisor)', runtimeClass: 'gvisor' };
const RUNC: Flavour = { key: 'runc', label: 'default (containerd+runc)' };

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

function podManifest(name: string, image: string, f: Flavour, group: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { bench: group } },
    spec: {
      ...(f.runtimeClass !== undefined ? { runtimeClassName: f.runtimeClass } : {}),
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, command: ['/bin/sh', '-c', 'exec sleep 100000'] }],
    },
  };
}

async function apply(cluster: Cluster, objects: object[]): Promise<void> {
  await cluster.kubectlOk(['apply', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
}

async function waitReady(cluster: Cluster, name: string): Promise<Pod> {
  const { ok, last } = await cluster.api.waitPod(name, isReady, READY_TIMEOUT_MS);
  if (ok && last !== undefined) return last;
  const describe = await cluster.kubectl(['describe', 'pod', name]);
  throw new Error(`pod ${name} not Ready after ${READY_TIMEOUT_MS} ms\n${describe.stdout}\n${cluster.diagnostics()}`);
}

/** The RuntimeClass as deploy/tsvisor.yaml ships it (the chart's defaults). */
function shippedRuntimeClass(): { object: Record<string, unknown>; overheadBytes: number; nodeSelector: Record<string, string> } {
  const docs = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'tsvisor.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown> | null);
  const rc = docs.find((d) => d?.kind === 'RuntimeClass');
  if (rc === undefined || rc === null) throw new Error('deploy/tsvisor.yaml has no RuntimeClass');
  const overhead = (rc.overhead as { podFixed?: { memory?: string } } | undefined)?.podFixed?.memory;
  if (overhead === undefined) throw new Error('deploy/tsvisor.yaml: the RuntimeClass has no overhead.podFixed.memory');
  const nodeSelector = (rc.scheduling as { nodeSelector?: Record<string, string> } | undefined)?.nodeSelector ?? {};
  return { object: rc, overheadBytes: quantityBytes(overhead), nodeSelector };
}

async function podStartLatency(cluster: Cluster, image: string): Promise<void> {
  const flavours = [GVISOR, RUNC];
  const ready = flavours.map(() => [] as number[]);
  const deleted = flavours.map(() => [] as number[]);
  for (let i = 0; i <= LATENCY_RUNS; i++) {
    for (const [k, f] of flavours.entries()) {
      const name = `latency-${f.key}-${i}`;
      const t0 = now();
      await apply(cluster, [podManifest(name, image, f, 'latency')]);
      await waitReady(cluster, name);
      const t1 = now();
      await cluster.kubectlOk(['delete', 'pod', name, '--wait=true']);
      const t2 = now();
      if (i > 0) {
        ready[k].push(t1 - t0);
        deleted[k].push(t2 - t1);
      }
    }
  }
  console.log(`\n(i) pod start latency on the test cluster, kubectl apply → Ready, ${LATENCY_RUNS} interleaved runs after a warm-up`);
  for (const [k, f] of flavours.entries()) console.log(`  raw apply→Ready ms ${f.key}: ${ready[k].map((x) => fmt(x, 0)).join(' ')}`);
  for (const [k, f] of flavours.entries()) console.log(`  raw delete --wait ms ${f.key}: ${deleted[k].map((x) => fmt(x, 0)).join(' ')}`);
  const medReady = ready.map(median);
  const meanReady = ready.map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const medDeleted = deleted.map(median);
  // kubelet notices a started container on its PLEG relist, once a second: the times come in steps of a second, so the mean says more.
  console.log(
    table([
      ['runtime', 'apply → Ready ms (median)', 'x default', '(mean)', 'x default', 'delete --wait ms (median)'],
      ...flavours.map((f, k) => [f.label, fmt(medReady[k], 0), fmt(medReady[k] / medReady[1]), fmt(meanReady[k], 0), fmt(meanReady[k] / meanReady[1]), fmt(medDeleted[k], 0)]),
    ]),
  );
}

function memAvailableBytes(): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  if (m === null) throw new Error('/proc/meminfo has no MemAvailable');
  return Number(m[1]) * 1024;
}

/** kubelet's cgroupfs path of a pod below its cgroupRoot (the QoS class picks the parent). */
function podCgroup(p: Pod): PodCgroup {
  const qos = p.status?.qosClass;
  const uid = p.metadata?.uid;
  if (qos === undefined || uid === undefined) throw new Error(`pod ${p.metadata?.name}: no QoS class or uid yet`);
  const parent = qos === 'Guaranteed' ? 'kubepods' : `kubepods/${qos.toLowerCase()}`;
  return PodCgroup.open(`${cgroupRootName()}/${parent}/pod${uid}`);
}

/** The node's runtime daemons, outside every pod's cgroup: tsvisor cri, containerd and its shims. */
function daemonPids(cluster: Cluster): number[] {
  const containerd = pidsMentioning(cluster.containerd.dir).filter((pid) => comm(pid).startsWith('containerd'));
  return [...pidsMentioning(cluster.cri.socket), ...containerd];
}

interface MemoryReading {
  pods: number;
  memAvailable: number;
  /** Sum over the pods' cgroups of usage − inactive_file. */
  podsWorkingSet: number;
  /** Sum of the runtime daemons' PSS. */
  daemonsPss: number;
}

/** Medians of three readings a second apart. */
async function readMemory(cluster: Cluster, pods: Pod[]): Promise<MemoryReading> {
  const cgroups = pods.map(podCgroup);
  const avail: number[] = [];
  const ws: number[] = [];
  const daemons: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1_000);
    avail.push(memAvailableBytes());
    ws.push(cgroups.reduce((sum, cg) => sum + cg.stats().memoryWorkingSetBytes, 0));
    daemons.push(daemonPids(cluster).reduce((sum, pid) => sum + pssKiB(pid) * 1024, 0));
  }
  return { pods: pods.length, memAvailable: median(avail), podsWorkingSet: median(ws), daemonsPss: median(daemons) };
}

interface DensityResult {
  flavour: Flavour;
  readings: MemoryReading[];
  /** Median ms from a batch's apply until all its pods were Ready. */
  batchReadyMs: number;
  /** Bytes per pod: the pods' cgroups' plus the daemons' (the measurement), each alone, MemAvailable's fall (a cross-check). */
  marginal: number;
  cgroupMarginal: number;
  daemonsMarginal: number;
  memAvailableMarginal: number;
}

async function density(cluster: Cluster, image: string, f: Flavour, evictionBytes: number): Promise<DensityResult> {
  const group = `density-${f.key}`;
  const pods: Pod[] = [];
  const batchMs: number[] = [];
  await sleep(SETTLE_MS);
  const readings = [await readMemory(cluster, [])];
  try {
    for (let n = DENSITY_BATCH; n <= DENSITY_CAP; n += DENSITY_BATCH) {
      if (readings[readings.length - 1].memAvailable - evictionBytes < KEEP_FREE_MIB * MiB) {
        console.log(`  ${f.key}: stopped at ${pods.length} pods, less than ${KEEP_FREE_MIB} MiB above the eviction threshold`);
        break;
      }
      const names = Array.from({ length: DENSITY_BATCH }, (_, i) => `${group}-${n - DENSITY_BATCH + i + 1}`);
      const t0 = now();
      await apply(cluster, names.map((name) => podManifest(name, image, f, group)));
      for (const name of names) pods.push(await waitReady(cluster, name));
      batchMs.push(now() - t0);
      await sleep(SETTLE_MS);
      readings.push(await readMemory(cluster, pods));
    }
  } finally {
    await cluster.kubectlOk(['delete', 'pods', '-l', `bench=${group}`, '--wait=true', '--timeout=300s']);
  }
  // From the first batch on: the first pod of a runtime also pays for what it starts once.
  const fit = readings.filter((r) => r.pods > 0);
  const xs = fit.map((r) => r.pods);
  return {
    flavour: f,
    readings,
    batchReadyMs: median(batchMs),
    marginal: slope(xs, fit.map((r) => r.podsWorkingSet + r.daemonsPss)),
    cgroupMarginal: slope(xs, fit.map((r) => r.podsWorkingSet)),
    daemonsMarginal: slope(xs, fit.map((r) => r.daemonsPss)),
    memAvailableMarginal: -slope(xs, fit.map((r) => r.memAvailable)),
  };
}

interface KubeletLimits {
  evictionBytes: number;
  allocatableBytes: number;
  allocatablePods: number;
}

async function kubeletLimits(cluster: Cluster): Promise<KubeletLimits> {
  const configz = JSON.parse(await cluster.kubectlOk(['get', '--raw', `/api/v1/nodes/${cluster.nodeName}/proxy/configz`])) as {
    kubeletconfig: { evictionHard?: Record<string, string> };
  };
  const threshold = configz.kubeletconfig.evictionHard?.['memory.available'];
  if (threshold === undefined || threshold.endsWith('%')) throw new Error(`kubelet's memory.available eviction threshold is ${threshold}, not a quantity`);
  const allocatable = (await cluster.api.node(cluster.nodeName)).status?.allocatable ?? {};
  return { evictionBytes: quantityBytes(threshold), allocatableBytes: quantityBytes(allocatable.memory ?? 'missing'), allocatablePods: Number(allocatable.pods) };
}

function reportDensity(results: DensityResult[], limits: KubeletLimits, overheadBytes: number): void {
  console.log(`\n(j) pod density: idle busybox pods (sleep, no requests), batches of ${DENSITY_BATCH} up to ${DENSITY_CAP}, ${SETTLE_MS / 1000} s settle, MiB`);
  for (const r of results) {
    const raw = r.readings.map((x) => `${x.pods}/${fmt(x.podsWorkingSet / MiB, 1)}/${fmt(x.daemonsPss / MiB, 1)}/${fmt(x.memAvailable / MiB, 0)}`);
    console.log(`  raw ${r.flavour.key} pods/pods' cgroups/daemons' PSS/MemAvailable: ${raw.join(' ')}`);
  }
  const memAvailable = memAvailableBytes();
  const rows = results.map((r) => {
    const overhead = r.flavour.runtimeClass !== undefined ? overheadBytes : 0;
    return { r, overhead, scheduler: overhead > 0 ? limits.allocatableBytes / overhead : Infinity, pressure: (memAvailable - limits.evictionBytes) / r.marginal };
  });
  const count = (x: number) => (Number.isFinite(x) && x > 0 ? String(Math.floor(x)) : 'unbounded');
  console.log(
    table([
      ['runtime', 'overhead.podFixed', 'marginal per pod', "= pod's cgroup", '+ daemons', '(MemAvailable fall)', 's to Ready per pod (batches)', 'scheduler admits', 'fit before eviction'],
      ...rows.map(({ r, overhead, scheduler, pressure }) => [
        r.flavour.label, fmt(overhead / MiB, 0), fmt(r.marginal / MiB, 1), fmt(r.cgroupMarginal / MiB, 1), fmt(r.daemonsMarginal / MiB, 1),
        fmt(r.memAvailableMarginal / MiB, 1), fmt(r.batchReadyMs / DENSITY_BATCH / 1000, 2), count(scheduler), count(pressure),
      ]),
    ]),
  );
  console.log(`  scheduler admits: allocatable ${fmt(limits.allocatableBytes / MiB, 0)} MiB / (overhead + request 0), by memory; kubelet also caps the node at ${limits.allocatablePods} pods`);
  console.log(`  fit before eviction: (MemAvailable now ${fmt(memAvailable / MiB, 0)} MiB − kubelet's memory.available threshold ${fmt(limits.evictionBytes / MiB, 0)} MiB) / marginal per pod`);
  const g = rows[0];
  const honest = g.r.marginal <= g.overhead;
  console.log(`  overhead.podFixed ${fmt(g.overhead / MiB, 0)} MiB ${honest ? 'covers' : 'is BELOW'} the measured ${fmt(g.r.marginal / MiB, 1)} MiB per idle gvisor pod (the scheduler admits ${fmt(g.r.marginal / g.overhead)}x the pods that fit)`);
  console.log(`  target overhead.podFixed >= marginal memory per idle gvisor pod: ${honest ? 'PASS' : 'FAIL'}`);
}

/** kube-apiserver processes on the machine (another test cluster). */
function otherApiservers(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e) && comm(Number(e)) === 'kube-apiserver').map(Number);
}

/**
 * Waits while another test cluster runs: two on one 2-core machine skew every
 * number, and one's tear-down removes the KUBE-* chains the other's kube-proxy made.
 */
async function waitForOtherClusters(): Promise<void> {
  const deadline = now() + OTHER_CLUSTER_WAIT_MS;
  for (let told = false; otherApiservers().length > 0; told = true) {
    if (now() > deadline) throw new Error(`another test cluster (kube-apiserver ${otherApiservers().join(', ')}) still runs after ${OTHER_CLUSTER_WAIT_MS / 60_000} minutes`);
    if (!told) console.log(`  waiting for another test cluster to end (kube-apiserver ${otherApiservers().join(', ')})`);
    await sleep(5_000);
  }
}

export async function clusterBench(): Promise<void> {
  console.log('\nCluster: gvisor pods (RuntimeClass from deploy/tsvisor.yaml) vs default pods (containerd + runc) on the test cluster');
  const rc = shippedRuntimeClass();
  await waitForOtherClusters();
  const t0 = now();
  const cluster = await startCluster({ gvisorRuntimeClass: false });
  try {
    console.log(`  cluster up in ${fmt((now() - t0) / 1000, 1)} s`);
    await apply(cluster, [rc.object]);
    // What the installer does on a node it set up: the label the RuntimeClass's scheduling selects.
    const labels = Object.entries(rc.nodeSelector).map(([k, v]) => `${k}=${v}`);
    if (labels.length > 0) await cluster.kubectlOk(['label', 'node', cluster.nodeName, ...labels, '--overwrite']);
    const image = cluster.registry.ref('tsvisor-test/busybox:1.0');
    await podStartLatency(cluster, image);
    const limits = await kubeletLimits(cluster);
    const results: DensityResult[] = [];
    for (const f of [GVISOR, RUNC]) results.push(await density(cluster, image, f, limits.evictionBytes));
    reportDensity(results, limits, rc.overheadBytes);
  } finally {
    await cluster.stop();
  }
  console.log(`  cluster benchmark: ${fmt((now() - t0) / 60_000, 1)} minutes with the cluster's start and stop`);
}

if (require.main === module) {
  clusterBench().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exitCode = 1;
  });
}
