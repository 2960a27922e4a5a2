/**
 * `npm run bench`: tsvisor side by side with native Linux and gVisor's runsc
 * (ptrace platform) in one run, on the same inputs, then the network stacks
 * between two network namespaces (bench/net.ts), the CRI runtime against
 * containerd + runc (bench/cri.ts) and gvisor pods against runc pods on the
 * test Kubernetes cluster (bench/cluster.ts). Every comparison gets one warm-up
 * run per runner and then several rounds with the runners interleaved; the
 * table shows medians and the raw numbers are printed too. Exits 1 if any run failed.
 */
import { compileC, runnerArgv, RunnerKind } from '../e2e/syscalls/harness';
import { bigFile } from '../e2e/syscalls/fixtures';
import { clusterBench } from './cluster';
import { criBench } from './cri';
import { gnuTimeMaxRssKiB, measure, Sample } from './measure';
import { netBench } from './net';
import { fmt, median, table } from './stats';

/** A way to run a command: native, tsvisor or runsc, and for the syscall cost also the ptrace floor. */
interface Runner {
  name: string;
  argv: (argv: string[]) => string[];
}
const RUNNERS: Runner[] = (['native', 'tsvisor', 'runsc'] as RunnerKind[]).map((kind) => ({ name: kind, argv: (argv) => runnerArgv(kind, argv) }));
const GETPPID_N = 100_000;
const RUNS = 5;
const SHA_MB = 200;
const SHA_RUNS = 5;
const TIMEOUT_MS = 300_000;
/** How often peak memory is sampled in the runs that report it. */
const PSS_SAMPLE_MS = 10;

interface Series {
  runner: Runner;
  samples: Sample[];
  failure?: string;
}

/**
 * argv under every runner: one warm-up each, then `runs` rounds that run
 * each runner once, the order rotating every round, so that the host's
 * drift (page cache cooling, other load) hits all runners alike. A runner
 * stops at its first failure; the others go on. Memory is sampled only
 * when asked (`sampleMs`): the sampler's own load would skew wall times.
 */
async function interleaved(argv: string[], runs: number, check: (s: Sample) => string | undefined, sampleMs = 0, runners = RUNNERS): Promise<Series[]> {
  const all: Series[] = runners.map((runner) => ({ runner, samples: [] }));
  for (let round = 0; round <= runs; round++) {
    for (let k = 0; k < all.length; k++) {
      const series = all[(round + k) % all.length];
      if (series.failure !== undefined) continue;
      const s = await measure(series.runner.argv(argv), TIMEOUT_MS, sampleMs);
      const problem = s.ok ? check(s) : s.error;
      if (problem !== undefined) series.failure = problem;
      else if (round > 0) series.samples.push(s);
    }
  }
  return all;
}

function raw(label: string, all: Series[], value: (s: Sample) => number, digits: number): void {
  for (const s of all) {
    const values = s.samples.map((x) => fmt(value(x), digits)).join(' ');
    console.log(`  raw ${label} ${s.runner.name}: ${s.failure !== undefined ? `FAILED (${s.failure})` : values}`);
  }
}

function med(s: Series, value: (x: Sample) => number): number {
  return s.failure === undefined ? median(s.samples.map(value)) : NaN;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}

/**
 * The same loop under e2e/syscalls/c/ptrace_floor.c: a pinned PTRACE_SYSEMU
 * tracer in C that emulates getppid with the Sentry's ptrace requests and
 * nothing else, so what this host's ptrace costs shows beside the target.
 */
const PTRACE_FLOOR: Runner = { name: 'C ptrace floor', argv: (argv) => [compileC('ptrace_floor'), ...argv] };

async function syscallCost(): Promise<Series[]> {
  const prog = compileC('getppid_loop');
  const perCall = (s: Sample): number => Number(/ns (\d+)/.exec(s.stdout)?.[1]) / GETPPID_N / 1000;
  const check = (s: Sample): string | undefined => (Number.isFinite(perCall(s)) ? undefined : `bad output ${JSON.stringify(s.stdout)}`);
  const all = await interleaved([prog, String(GETPPID_N)], RUNS, check, 0, [...RUNNERS, PTRACE_FLOOR]);
  console.log(`\n(a) getppid loop, N=${GETPPID_N}, ${RUNS} interleaved runs after a warm-up: microseconds per syscall`);
  raw('us/syscall', all, perCall, 3);
  const m = all.map((s) => med(s, perCall));
  console.log(table([['runner', 'us/syscall (median)', 'x native'], ...all.map((s, i) => [s.runner.name, fmt(m[i], 3), fmt(m[i] / m[0], 1)])]));
  console.log(`  target tsvisor <= 13 us: ${verdict(m[1] <= 13)}; tsvisor faster than runsc: ${verdict(m[1] < m[2])}`);
  console.log(`  tsvisor / C ptrace floor: ${fmt(m[1] / m[3])}x (${fmt(m[1] - m[3], 2)} us of the Sentry per syscall above what ptrace alone costs here)`);
  return all;
}

const CLOCK_N = 1_000_000;

/**
 * clock_gettime(CLOCK_MONOTONIC) through libc: with a vDSO (Linux's,
 * runsc's, tsvisor's kernel/vdso) it never enters a kernel.
 */
async function clockCost(): Promise<Series[]> {
  const perCall = (s: Sample): number => Number(/ns (\d+)/.exec(s.stdout)?.[1]) / CLOCK_N;
  const check = (s: Sample): string | undefined => (Number.isFinite(perCall(s)) ? undefined : `bad output ${JSON.stringify(s.stdout)}`);
  const all = await interleaved([compileC('vdso_clock'), 'loop', String(CLOCK_N)], RUNS, check);
  console.log(`\n(a2) clock_gettime(CLOCK_MONOTONIC) through libc, N=${CLOCK_N}, ${RUNS} interleaved runs after a warm-up: nanoseconds per call`);
  raw('ns/call', all, perCall, 1);
  const m = all.map((s) => med(s, perCall));
  console.log(table([['runner', 'ns/call (median)', 'x native'], ...all.map((s, i) => [s.runner.name, fmt(m[i], 1), fmt(m[i] / m[0], 1)])]));
  return all;
}

/**
 * Two Node processes that load nothing, with the young-generation flags the
 * Sentry and the Gofer run with and, as bin/tsvisor gives them, no
 * NODE_EXTRA_CA_CERTS: what a sandbox made of two Node processes costs
 * before its first module, beside the start-up target. For memory they idle
 * `idleMs` first: a `node -e 0` lives for a handful of 10 ms samples, and
 * its peak would mostly be missed.
 */
function nodeFloor(idleMs: number): Runner {
  const script = idleMs > 0 ? `setTimeout(() => {}, ${idleMs})` : '0';
  const node = `NODE_EXTRA_CA_CERTS= ${process.execPath} --max-semi-space-size=1 --single-threaded-gc -e '${script}'`;
  return { name: 'floor: 2 bare node', argv: () => ['/bin/sh', '-c', `${node} & ${node}; wait`] };
}
const FLOOR_IDLE_MS = 200;

async function startup(): Promise<Series[]> {
  const all = await interleaved(['/bin/true'], RUNS, () => undefined, 0, [...RUNNERS, nodeFloor(0)]);
  const memoryRunners = [...RUNNERS, nodeFloor(FLOOR_IDLE_MS)];
  const sampled = await interleaved(['/bin/true'], RUNS, () => undefined, PSS_SAMPLE_MS, memoryRunners);
  const maxRss = memoryRunners.map((r) => median([1, 2, 3].map(() => gnuTimeMaxRssKiB(r.argv(['/bin/true']), TIMEOUT_MS))));
  console.log(`\n(b) do /bin/true, ${RUNS} interleaved runs after a warm-up for wall time, ${RUNS} more sampling memory every ${PSS_SAMPLE_MS} ms`);
  console.log(`  floor: two Node processes that load nothing (node -e 0 for wall time; idle ${FLOOR_IDLE_MS} ms for memory)`);
  raw('wall-ms', all, (s) => s.wallMs, 1);
  raw('tree-PSS-MiB', sampled, (s) => s.peakTreePssKiB / 1024, 1);
  const wall = all.map((s) => med(s, (x) => x.wallMs));
  // 0 means the run ended before the first sample (native /bin/true does).
  const pss = sampled.map((s) => med(s, (x) => x.peakTreePssKiB / 1024) || NaN);
  console.log(
    table([
      ['runner', 'wall ms (median)', `peak tree PSS MiB (sampled ${PSS_SAMPLE_MS} ms)`, 'max RSS MiB of largest process (GNU time)'],
      ...all.map((s, i) => [s.runner.name, fmt(wall[i], 1), fmt(pss[i], 1), fmt(maxRss[i] / 1024, 1)]),
    ]),
  );
  console.log(`  tsvisor/runsc: wall ${fmt(wall[1] / wall[2])}x, tree PSS ${fmt(pss[1] / pss[2])}x; the Node floor/runsc: wall ${fmt(wall[3] / wall[2])}x, tree PSS ${fmt(pss[3] / pss[2])}x`);
  console.log(`  target tsvisor <= runsc: wall ${verdict(wall[1] <= wall[2])}, tree PSS ${verdict(pss[1] <= pss[2])}`);
  return [...all, ...sampled];
}

/** Runs argv under every runner and prints wall-time medians and ratios to native and runsc. */
async function wallComparison(title: string, argv: string[], runs: number, check: (s: Sample) => string | undefined): Promise<{ all: Series[]; wall: number[] }> {
  const all = await interleaved(argv, runs, check);
  console.log(`\n${title}, ${runs} interleaved runs after a warm-up`);
  raw('wall-ms', all, (s) => s.wallMs, 1);
  const wall = all.map((s) => med(s, (x) => x.wallMs));
  console.log(table([['runner', 'wall ms (median)', 'x native', 'x runsc'], ...all.map((s, i) => [s.runner.name, fmt(wall[i], 1), fmt(wall[i] / wall[0]), fmt(wall[i] / wall[2])])]));
  return { all, wall };
}

async function sha256(): Promise<Series[]> {
  const big = bigFile(SHA_MB);
  const want = `${big.sha256}  ${big.file}\n`;
  const { all, wall } = await wallComparison(
    `(c) sha256sum of a ${SHA_MB} MB file (page cache warm; wall time includes sandbox start-up)`,
    ['/usr/bin/sha256sum', big.file], SHA_RUNS,
    (s) => (s.stdout === want ? undefined : `wrong digest ${JSON.stringify(s.stdout)}`),
  );
  console.log(`  target tsvisor <= 1.5x native: ${verdict(wall[1] <= 1.5 * wall[0])}`);
  return all;
}

const expect = (want: string) => (s: Sample) => (s.stdout === want ? undefined : `unexpected output ${JSON.stringify(s.stdout)}`);

/** The process model: fork+exec+wait from a shell, python start-up, futex round trips between threads. */
async function processModel(): Promise<Series[]> {
  const loop = await wallComparison('(d) 100x fork+exec+wait of /bin/true from sh', ['/bin/sh', '-c', 'i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done; echo ok'], RUNS, expect('ok\n'));
  console.log(`  target tsvisor faster than runsc: ${verdict(loop.wall[1] < loop.wall[2])}`);
  const py = await wallComparison('(e) python3 -c pass', ['/usr/bin/python3', '-c', 'pass'], RUNS, expect(''));
  console.log(`  target tsvisor faster than runsc: ${verdict(py.wall[1] < py.wall[2])}`);
  const ping = await wallComparison('(f) futex ping-pong, 2000 round trips between two threads', [compileC('futex_pingpong')], RUNS, expect('2000 round trips\n'));
  console.log(`  round trips per second: ${RUNNERS.map((r, i) => `${r.name} ${fmt(2000 / (ping.wall[i] / 1000), 0)}`).join(', ')} (wall time includes start-up)`);
  return [...loop.all, ...py.all, ...ping.all];
}

/** BENCH_ONLY=startup,process (any of syscall, startup, sha256, process, net, cri, cluster) runs only those parts. */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter((p) => p !== ''));
const wanted = (part: string): boolean => ONLY.size === 0 || ONLY.has(part);

async function main(): Promise<void> {
  console.log(`tsvisor benchmark: native vs tsvisor vs runsc (${runnerArgv('runsc', []).join(' ')})`);
  const all: Series[] = [];
  if (wanted('syscall')) all.push(...(await syscallCost()), ...(await clockCost()));
  if (wanted('startup')) all.push(...(await startup()));
  if (wanted('sha256')) all.push(...(await sha256()));
  if (wanted('process')) all.push(...(await processModel()));
  const net = wanted('net') ? await netBench() : [];
  if (wanted('cri')) await criBench();
  if (wanted('cluster')) await clusterBench();
  const failed = [...all.filter((s) => s.failure !== undefined).map((s) => s.runner.name), ...net.filter((s) => s.failure !== undefined).map((s) => `net ${s.runner}`)];
  if (failed.length > 0) {
    console.log(`\n${failed.length} series failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
