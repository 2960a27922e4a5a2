/**
 * The CRI benchmarks (issue 4): tsvisor's `gvisor` pods against containerd +
 * runc in one run, on the same machine, image (from a local registry) and CNI
 * plugins, through one `tsvisor cri --upstream <containerd>`.
 *
 * (g) Pod start latency: RunPodSandbox → CreateContainer → StartContainer →
 *     the container's first line in its log file, each phase timed. Runs are
 *     interleaved between the runtimes (so load drifts hit all alike), after
 *     one warm-up each; medians. containerd is measured directly and through
 *     tsvisor's forwarding.
 * (h) Memory with idle pods (one container running `sleep` each): the CRI
 *     server's RSS with 0 and 20 pods, and the marginal memory of a pod, the
 *     growth from 1 to 20 pods of the PSS summed over the runtime's whole
 *     process tree (tsvisor: server, Sentries, stubs, Gofers; containerd:
 *     containerd, shims, pause and container processes) divided by 19.
 *
 * Run alone with `node dist/bench/cri.js`; `npm run bench` runs it last.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaults } from '../cri/proto/codec';
import { type ContainerConfig, NamespaceMode, type PodSandboxConfig } from '../cri/proto/types';
import { cniConflist, processesMentioning, run, startContainerd, startCriServer, withPushedImages } from '../e2e/cri/harness';
import { freshDir } from '../e2e/syscalls/harness';
import { CriClient } from './cri-client';
import { processTree, pssKiB, rssKiB } from './measure';
import { fmt, median, table } from './stats';

const LATENCY_RUNS = 10;
const IDLE_PODS = 20;
const FIRST_LOG_TIMEOUT_MS = 60_000;
const LOG_POLL_MS = 2;
/**
 * Let lazily started work (JIT, GC, first timers) finish before memory is
 * read, and the pods reach the state they idle in: an idle Sentry and Gofer
 * give memory back 2 s and 7 s after their last work (sentry/kernel/idlegc.ts).
 */
const SETTLE_MS = 10_000;
const MiB = 1024;

/** One way of running pods: a CRI endpoint and the runtime handler asked for. */
interface Runtime {
  label: string;
  client: CriClient;
  handler: string;
  /** The runtime's long-lived process (tsvisor cri, containerd). */
  serverPid(): number;
  /** Every process of the runtime: the server, and all its pods' processes. */
  processes(): number[];
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function pidsMentioning(text: string): number[] {
  return processesMentioning([text]).map((p) => Number(p.split(' ')[0]));
}

/** The process's name (/proc/PID/comm), '' once it is gone. */
export function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function podConfig(name: string, logDir: string): PodSandboxConfig {
  return {
    ...defaults('PodSandboxConfig'),
    metadata: { ...defaults('PodSandboxMetadata'), name, namespace: 'bench', uid: `uid-${name}` },
    hostname: name,
    log_directory: logDir,
    linux: defaults('LinuxPodSandboxConfig'),
  };
}

function containerConfig(image: string): ContainerConfig {
  return {
    ...defaults('ContainerConfig'),
    metadata: { ...defaults('ContainerMetadata'), name: 'main' },
    image: { ...defaults('ImageSpec'), image },
    command: ['/bin/sh', '-c', 'echo ready; exec sleep 100000'],
    log_path: 'main.log',
    // Its own PID namespace, as kubelet asks by default.
    linux: {
      ...defaults('LinuxContainerConfig'),
      security_context: { ...defaults('LinuxContainerSecurityContext'), namespace_options: { ...defaults('NamespaceOption'), pid: NamespaceMode.CONTAINER } },
    },
  };
}

/** Resolves when the CRI log file has the container's first stdout line "ready". */
async function firstLogLine(file: string): Promise<void> {
  const deadline = now() + FIRST_LOG_TIMEOUT_MS;
  for (;;) {
    try {
      if (fs.readFileSync(file, 'utf8').includes(' stdout F ready\n')) return;
    } catch {
      // Not created yet.
    }
    if (now() > deadline) throw new Error(`no "ready" in ${file} after ${FIRST_LOG_TIMEOUT_MS} ms`);
    await sleep(LOG_POLL_MS);
  }
}

const PHASES = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'first log line', 'total'];

/** Starts a pod with one container and waits for its first log line; returns the pod id and the phases' ms. */
async function startPod(rt: Runtime, name: string, image: string, logRoot: string): Promise<{ podId: string; ms: number[] }> {
  const logDir = path.join(logRoot, name);
  fs.mkdirSync(logDir, { recursive: true });
  const config = podConfig(name, logDir);
  const t0 = now();
  const { pod_sandbox_id: podId } = await rt.client.call('RunPodSandbox', { config, runtime_handler: rt.handler });
  const t1 = now();
  const { container_id } = await rt.client.call('CreateContainer', { pod_sandbox_id: podId, config: containerConfig(image), sandbox_config: config });
  const t2 = now();
  await rt.client.call('StartContainer', { container_id });
  const t3 = now();
  await firstLogLine(path.join(logDir, 'main.log'));
  const t4 = now();
  return { podId, ms: [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0] };
}

async function removePod(rt: Runtime, podId: string): Promise<void> {
  await rt.client.call('StopPodSandbox', { pod_sandbox_id: podId });
  await rt.client.call('RemovePodSandbox', { pod_sandbox_id: podId });
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}

async function podStartLatency(runtimes: Runtime[], image: string, logRoot: string): Promise<void> {
  const samples = runtimes.map(() => [] as number[][]);
  for (let i = 0; i <= LATENCY_RUNS; i++) {
    for (const [k, rt] of runtimes.entries()) {
      const { podId, ms } = await startPod(rt, `lat-${k}-${i}`, image, logRoot);
      await removePod(rt, podId);
      if (i > 0) samples[k].push(ms);
    }
  }
  console.log(`\n(g) pod start latency, ${LATENCY_RUNS} interleaved runs after a warm-up: ms (median)`);
  for (const [k, rt] of runtimes.entries()) console.log(`  raw total-ms ${rt.label}: ${samples[k].map((s) => fmt(s[4], 0)).join(' ')}`);
  const med = samples.map((runs) => PHASES.map((_, p) => median(runs.map((s) => s[p]))));
  const ref = med[1][4];
  console.log(table([['runtime', ...PHASES, 'x containerd'], ...runtimes.map((rt, k) => [rt.label, ...med[k].map((x) => fmt(x, 1)), fmt(med[k][4] / ref)])]));
  console.log(`  target ${runtimes[0].label} <= 2x ${runtimes[1].label}: ${verdict(med[0][4] <= 2 * ref)}`);
}

/** What kind of process `pid` is, for the memory breakdown. */
function kind(pid: number, serverPid: number): string {
  if (pid === serverPid) return 'server';
  const name = comm(pid);
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return 'gone';
  }
  if (name === 'tsvisor-stub') return 'stub';
  if (/^\S*node .*tsvisor\.js sandbox /.test(cmdline)) return 'Sentry';
  if (/gofer\/main\.js /.test(cmdline)) return 'Gofer';
  if (/containerd-shim/.test(cmdline)) return 'shim';
  if (name === 'pause') return 'pause';
  if (name === 'sleep') return 'container';
  return `${name} (launcher)`; // bin/tsvisor's sh, unshare
}

interface MemorySample {
  serverRssKiB: number;
  treePssKiB: number;
  pssByKindKiB: Map<string, number>;
}

/** The median of three readings (a second apart) of the runtime's memory. */
async function memory(rt: Runtime): Promise<MemorySample> {
  const readings: MemorySample[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1_000);
    const server = rt.serverPid();
    const byKind = new Map<string, number>();
    let total = 0;
    for (const pid of rt.processes()) {
      const pss = pssKiB(pid);
      total += pss;
      const k = kind(pid, server);
      byKind.set(k, (byKind.get(k) ?? 0) + pss);
    }
    readings.push({ serverRssKiB: rssKiB(server), treePssKiB: total, pssByKindKiB: byKind });
  }
  const mid = [...readings].sort((a, b) => a.treePssKiB - b.treePssKiB)[1];
  return { ...mid, serverRssKiB: median(readings.map((r) => r.serverRssKiB)) };
}

interface IdleResult {
  none: MemorySample;
  one: MemorySample;
  full: MemorySample;
}

async function idlePods(rt: Runtime, image: string, logRoot: string): Promise<IdleResult> {
  await sleep(SETTLE_MS);
  const none = await memory(rt);
  const pods: string[] = [];
  try {
    let one: MemorySample | undefined;
    for (let i = 1; i <= IDLE_PODS; i++) {
      pods.push((await startPod(rt, `idle-${rt.handler || 'default'}-${i}`, image, logRoot)).podId);
      if (i === 1) {
        await sleep(SETTLE_MS);
        one = await memory(rt);
      }
    }
    await sleep(SETTLE_MS);
    return { none, one: one as MemorySample, full: await memory(rt) };
  } finally {
    for (const id of pods) await removePod(rt, id);
  }
}

async function idleMemory(runtimes: Runtime[], image: string, logRoot: string): Promise<void> {
  const results: IdleResult[] = [];
  for (const rt of runtimes) results.push(await idlePods(rt, image, logRoot));
  const marginal = results.map((r) => (r.full.treePssKiB - r.one.treePssKiB) / (IDLE_PODS - 1) / MiB);
  console.log(`\n(h) memory with idle pods (one container running sleep each), MiB`);
  console.log(
    table([
      ['runtime', 'server RSS, no pod', `server RSS, ${IDLE_PODS} pods`, 'tree PSS, 1 pod', `tree PSS, ${IDLE_PODS} pods`, 'marginal PSS per pod'],
      ...runtimes.map((rt, k) => {
        const r = results[k];
        return [rt.label, fmt(r.none.serverRssKiB / MiB, 1), fmt(r.full.serverRssKiB / MiB, 1), fmt(r.one.treePssKiB / MiB, 1), fmt(r.full.treePssKiB / MiB, 1), fmt(marginal[k], 1)];
      }),
    ]),
  );
  for (const [k, rt] of runtimes.entries()) {
    const parts = [...results[k].full.pssByKindKiB].sort((a, b) => b[1] - a[1]).map(([name, kib]) => `${name} ${fmt(kib / MiB / IDLE_PODS, 1)}`);
    console.log(`  ${rt.label}, PSS by process kind at ${IDLE_PODS} pods, divided by ${IDLE_PODS} (server included): ${parts.join(', ')}`);
  }
  console.log(`  ${runtimes[0].label}/${runtimes[1].label} marginal PSS per pod: ${fmt(marginal[0] / marginal[1], 1)}x`);
  console.log(`  target marginal memory per ${runtimes[0].label} pod <= 20 MiB: ${verdict(marginal[0] <= 20)}`);
}

export async function criBench(): Promise<void> {
  console.log('\nCRI: tsvisor cri (gvisor handler) vs containerd 1.6 + runc, same registry image and CNI plugins');
  const dir = freshDir('bench-cri');
  const netDir = path.join(dir, 'net.d');
  fs.mkdirSync(netDir);
  const slot = process.pid % 200;
  const bridge = `tsvbench${slot}`;
  fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-bench', bridge, `10.238.${slot}.0/24`, path.join(dir, 'ipam')));
  const reg = await withPushedImages();
  const ctd = await startContainerd({ registry: reg }).catch(async (e: unknown) => {
    await reg.stop();
    throw e;
  });
  const cri = await startCriServer({ upstream: ctd.endpoint, args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] }).catch(async (e: unknown) => {
    await ctd.stop();
    await reg.stop();
    throw e;
  });
  const viaTsvisor = new CriClient(cri.endpoint);
  const direct = new CriClient(ctd.endpoint);
  const criPid = () => pidsMentioning(cri.socket)[0];
  // containerd and its shims (tsvisor's --upstream flag names containerd's folder too).
  const ctdProcesses = () => pidsMentioning(ctd.dir).filter((pid) => /^containerd/.test(comm(pid)));
  const ctdPid = () => ctdProcesses().find((pid) => comm(pid) === 'containerd') ?? 0;
  const tsvisor: Runtime = { label: 'tsvisor', client: viaTsvisor, handler: 'gvisor', serverPid: criPid, processes: () => processTree([criPid()]) };
  const containerd: Runtime = { label: 'containerd+runc', client: direct, handler: '', serverPid: ctdPid, processes: () => processTree(ctdProcesses()) };
  const forwarded: Runtime = { ...containerd, label: 'containerd+runc via tsvisor', client: viaTsvisor };
  try {
    const image = reg.ref('tsvisor-test/busybox:1.0');
    // No handler: tsvisor pulls into its store and containerd's.
    await viaTsvisor.call('PullImage', { ...defaults('PullImageRequest'), image: { ...defaults('ImageSpec'), image } });
    const logRoot = path.join(dir, 'logs');
    await podStartLatency([tsvisor, containerd, forwarded], image, logRoot);
    await idleMemory([tsvisor, containerd], image, logRoot);
  } finally {
    viaTsvisor.close();
    direct.close();
    await cri.stop();
    await ctd.stop();
    await reg.stop();
    await run('ip', ['link', 'delete', bridge]);
  }
}

if (require.main === module) {
  criBench().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exitCode = 1;
  });
}
