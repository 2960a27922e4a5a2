/**
 * The network benchmarks (issue 5): native, tsvisor `--network=sandbox`
 * (the Sentry's own TCP/IP stack on a packet socket), tsvisor
 * `--network=host` and runsc's netstack (ptrace platform), side by side in
 * one run between two network namespaces joined by a veth pair
 * (bench/netns.ts). The runner under test works in namespace A, a native
 * peer in B.
 *
 * (i) TCP bulk transfer: bench/netpeer.py moves TRANSFER_MB from a server
 *     in A to a client in B, and from a server in B to a client in A; the
 *     peer in B times it (connection accepted/established to the last byte
 *     delivered), so start-up is not counted. Median of 3 after a warm-up,
 *     the runners interleaved round by round.
 * (j) Request rate: nginx in A (one worker) serves a small static file to
 *     `wrk -t2 -c16 -d10s` in B. Median of 3 after a warm-up; errors are
 *     wrk's socket errors plus non-2xx/3xx answers, summed over the runs.
 *
 * Needs root (namespaces), nginx and wrk (scripts/setup-test-deps.sh).
 * Run alone with `node dist/bench/net.js`; `npm run bench` runs it too.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../e2e/syscalls/harness';
import { createTopology, type Topology } from './netns';
import { describeExit, type Exit, killAll, type NetRunner, netRunners, Proc, succeeded } from './netrunners';
import { fmt, median, table } from './stats';

const TRANSFER_MB = 100;
const TRANSFER_BYTES = TRANSFER_MB * 1_000_000;
const RUNS = 3;
const WRK_SECONDS = 10;
const WRK_WARMUP_SECONDS = 2;
const HTTP_PORT = 8080;
/** Each transfer gets its own port: a sandbox's stack may reuse its first ephemeral port, which B may still hold in TIME_WAIT. */
const FIRST_PORT = 5001;
const RUN_TIMEOUT_MS = 180_000;
const READY_SECONDS = 60;
const PY = '/usr/bin/python3';
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
const CURL = '/usr/bin/curl';

/** One runner's numbers for one measurement (empty with `failure` or `unavailable` set). */
export interface NetSeries {
  runner: string;
  values: number[];
  unavailable?: string;
  failure?: string;
  /** wrk: errors summed over the measured runs. */
  errors?: number;
}

interface Setup {
  topo: Topology;
  work: string;
  peer: string;
  ports: { next: number };
}

/** Waits for both ends; the first failure (with its stderr) is thrown. */
async function both(a: Proc, b: Proc, label: string): Promise<{ a: Exit; b: Exit }> {
  const [ea, eb] = await Promise.all([a.exited, b.exited]);
  if (!succeeded(ea)) throw new Error(`${label} end in A: ${describeExit(ea)}`);
  if (!succeeded(eb)) throw new Error(`${label} end in B: ${describeExit(eb)}`);
  return { a: ea, b: eb };
}

function seconds(stdout: string, who: string): number {
  const m = /bytes (\d+) seconds ([\d.]+)/.exec(stdout);
  if (m === null || Number(m[1]) !== TRANSFER_BYTES) throw new Error(`${who} did not report ${TRANSFER_BYTES} bytes: ${JSON.stringify(stdout)}`);
  return Number(m[2]);
}

/** One transfer; MB/s as timed in B. `aSends`: the server is in A and sends; else A's client receives from B. */
async function transfer(s: Setup, r: NetRunner, aSends: boolean): Promise<number> {
  const port = String(s.ports.next++);
  const n = String(TRANSFER_BYTES);
  s.topo.resetA();
  let a: Proc;
  let b: Proc;
  if (aSends) {
    a = r.start([PY, s.peer, 'send-server', port, n], [], RUN_TIMEOUT_MS);
    b = new Proc(s.topo.inB([PY, s.peer, 'recv-client', s.topo.addrA, port, n]), RUN_TIMEOUT_MS);
  } else {
    b = new Proc(s.topo.inB([PY, s.peer, 'send-server', port, n]), RUN_TIMEOUT_MS);
    try {
      await b.waitFor(/listening/);
    } catch (e) {
      throw new Error(`server in B: ${(e as Error).message}`);
    }
    a = r.start([PY, s.peer, 'recv-client', s.topo.addrB, port, n], [], RUN_TIMEOUT_MS);
  }
  try {
    const ends = await both(a, b, aSends ? 'A sends' : 'A receives');
    seconds(ends.a.stdout, 'the end in A');
    return TRANSFER_MB / seconds(ends.b.stdout, 'the end in B');
  } finally {
    a.kill();
    b.kill();
  }
}

/**
 * The transfers of every runner and direction, interleaved round by round
 * (a warm-up round, then RUNS measured ones) so that load from elsewhere on
 * the machine hits all runners alike. A runner's first failure ends its series.
 */
async function transferRounds(s: Setup, runners: NetRunner[]): Promise<{ sends: NetSeries[]; receives: NetSeries[] }> {
  const start = (r: NetRunner): NetSeries => ({ runner: r.name, values: [], unavailable: r.unavailable });
  const sends = runners.map(start);
  const receives = runners.map(start);
  for (let round = 0; round <= RUNS; round++) {
    for (const [i, r] of runners.entries()) {
      for (const [series, aSends] of [[sends[i], true], [receives[i], false]] as const) {
        if (series.unavailable !== undefined || series.failure !== undefined) continue;
        try {
          const mbs = await transfer(s, r, aSends);
          if (round > 0) series.values.push(mbs);
        } catch (e) {
          series.failure = (e as Error).message;
        }
      }
    }
  }
  return { sends, receives };
}

/** nginx's files: a config that keeps every path in `dir` and a small page. */
function nginxFiles(dir: string): { conf: string; page: string; pageText: string } {
  const www = path.join(dir, 'www');
  fs.mkdirSync(www, { recursive: true });
  // Deterministic content, the size of nginx's own welcome page.
  const pageText = Array.from({ length: 612 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
  fs.writeFileSync(path.join(www, 'index.html'), pageText);
  const temp = (k: string): string => `  ${k}_temp_path ${path.join(dir, `${k}-temp`)};`;
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
      `  server { listen ${HTTP_PORT}; root ${www}; }`,
      '}',
      '',
    ].join('\n'),
  );
  return { conf, page: '/index.html', pageText };
}

interface WrkResult {
  rps: number;
  errors: number;
}

function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (rps === null) throw new Error(`no Requests/sec in wrk's output: ${JSON.stringify(out.slice(-300))}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (sock === null ? 0 : sock.slice(1).reduce((sum, x) => sum + Number(x), 0)) + Number(non2xx?.[1] ?? 0);
  return { rps: Number(rps[1]), errors };
}

async function inB(s: Setup, argv: string[]): Promise<Exit> {
  return new Proc(s.topo.inB(argv), RUN_TIMEOUT_MS).exited;
}

async function wrk(s: Setup, url: string, secs: number): Promise<WrkResult> {
  const e = await inB(s, [WRK, '-t2', '-c16', `-d${secs}s`, url]);
  if (!succeeded(e)) throw new Error(`wrk: ${describeExit(e)}`);
  return parseWrk(e.stdout);
}

async function requestRate(s: Setup, r: NetRunner): Promise<NetSeries> {
  if (r.unavailable !== undefined) return { runner: r.name, values: [], unavailable: r.unavailable };
  const dir = fs.mkdtempSync(path.join(s.work, 'nginx-'));
  fs.chmodSync(dir, 0o755);
  const { conf, page, pageText } = nginxFiles(dir);
  const url = `http://${s.topo.addrA}:${HTTP_PORT}${page}`;
  s.topo.resetA();
  const server = r.start([NGINX, '-c', conf, '-e', 'stderr'], [dir], RUN_TIMEOUT_MS + 10 * (RUNS + 1) * WRK_SECONDS * 1000);
  const values: number[] = [];
  let errors = 0;
  try {
    const ready = await inB(s, [PY, s.peer, 'wait-port', s.topo.addrA, String(HTTP_PORT), String(READY_SECONDS)]);
    if (!succeeded(ready)) throw new Error(`nginx never listened: ${describeExit(await server.stop())}`);
    const got = await inB(s, [CURL, '-sS', '--max-time', '10', url]);
    if (got.stdout !== pageText) throw new Error(`curl got ${JSON.stringify(got.stdout.slice(0, 80))} (${describeExit(got)})`);
    await wrk(s, url, WRK_WARMUP_SECONDS);
    for (let i = 0; i < RUNS; i++) {
      const w = await wrk(s, url, WRK_SECONDS);
      values.push(w.rps);
      errors += w.errors;
    }
  } catch (e) {
    return { runner: r.name, values, failure: (e as Error).message, errors };
  } finally {
    await server.stop();
  }
  return { runner: r.name, values, errors };
}

function med(s: NetSeries): number {
  return s.failure === undefined && s.unavailable === undefined ? median(s.values) : NaN;
}

function raw(label: string, all: NetSeries[], digits: number): void {
  for (const s of all) {
    const what = s.unavailable ?? (s.failure !== undefined ? `FAILED (${s.failure})` : s.values.map((v) => fmt(v, digits)).join(' '));
    console.log(`  raw ${label} ${s.runner}: ${what}`);
  }
}

/** A row's cells after the runner: the median and its ratios to native and runsc, or why there are none. */
function cells(s: NetSeries, nativeV: number, runscV: number, digits: number): string[] {
  if (s.unavailable !== undefined) return [s.unavailable, '', ''];
  if (s.failure !== undefined) return ['FAILED', '', ''];
  const m = med(s);
  return [fmt(m, digits), fmt(m / nativeV), fmt(m / runscV)];
}

const byName = (all: NetSeries[], name: string): number => med(all.find((s) => s.runner === name) ?? { runner: name, values: [] });

async function throughput(s: Setup, runners: NetRunner[]): Promise<NetSeries[]> {
  const { sends, receives } = await transferRounds(s, runners);
  console.log(`\n(i) TCP bulk transfer of ${TRANSFER_MB} MB between two network namespaces (veth), ${RUNS} interleaved rounds after a warm-up: MB/s, timed by the native peer in B`);
  raw('MB/s A->B (server in A sends)', sends, 1);
  raw('MB/s B->A (client in A receives)', receives, 1);
  const nS = byName(sends, 'native');
  const rS = byName(sends, 'runsc');
  const nR = byName(receives, 'native');
  const rR = byName(receives, 'runsc');
  console.log(
    table([
      ['runner', 'A sends MB/s (median)', 'x native', 'x runsc', 'A receives MB/s (median)', 'x native', 'x runsc'],
      ...runners.map((r, i) => [r.name, ...cells(sends[i], nS, rS, 1), ...cells(receives[i], nR, rR, 1)]),
    ]),
  );
  const tS = byName(sends, 'tsvisor sandbox');
  const tR = byName(receives, 'tsvisor sandbox');
  const pass = tS >= rS && tR >= rR;
  console.log(
    `  target: tsvisor sandbox throughput >= runsc netstack: ${pass ? 'PASS' : 'FAIL'} ` +
      `(A sends ${fmt(tS, 1)} vs ${fmt(rS, 1)} MB/s, A receives ${fmt(tR, 1)} vs ${fmt(rR, 1)} MB/s)`,
  );
  return [...sends, ...receives];
}

async function requests(s: Setup, runners: NetRunner[]): Promise<NetSeries[]> {
  const all: NetSeries[] = [];
  for (const r of runners) all.push(await requestRate(s, r));
  console.log(`\n(j) nginx (1 worker) in A serving a 612-byte file, wrk -t2 -c16 -d${WRK_SECONDS}s in B, ${RUNS} runs after a warm-up`);
  raw('requests/s', all, 0);
  const n = byName(all, 'native');
  const rs = byName(all, 'runsc');
  console.log(
    table([
      ['runner', 'requests/s (median)', 'x native', 'x runsc', `errors (${RUNS} runs)`],
      ...all.map((s) => [s.runner, ...cells(s, n, rs, 0), s.errors === undefined ? '' : String(s.errors)]),
    ]),
  );
  return all;
}

/** Runs both network benchmarks; returns every series (failed ones have `failure`). */
export async function netBench(): Promise<NetSeries[]> {
  console.log('\nNetwork: native vs tsvisor --network=sandbox|host vs runsc --network=sandbox (ptrace), namespace A (runner) <-veth-> B (native peer)');
  if (process.getuid?.() !== 0) {
    console.log('  skipped: needs root (network namespaces)');
    return [{ runner: 'all', values: [], failure: 'not root' }];
  }
  const work = fs.mkdtempSync(path.join('/var/tmp', `tsvisor-netbench-${process.pid}-`));
  // Sandboxes may see only what is outside /tmp; nginx's workers run as another user.
  fs.chmodSync(work, 0o755);
  const peer = path.join(work, 'netpeer.py');
  fs.copyFileSync(path.join(REPO_ROOT, 'bench', 'netpeer.py'), peer);
  let topo: Topology | undefined;
  const cleanup = (): void => {
    killAll();
    topo?.close();
    fs.rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  process.once('exit', cleanup);
  try {
    topo = createTopology();
    const runners = netRunners(topo.pathA, work);
    console.log(`  ${os.cpus().length} CPUs; veth offloads at their defaults; runsc: ${runners[3].unavailable ?? 'OCI bundle (host / read-only) in A, /proc/sys/net hidden from runsc (gVisor issue 10704)'}`);
    const setup: Setup = { topo, work, peer, ports: { next: FIRST_PORT } };
    return [...(await throughput(setup, runners)), ...(await requests(setup, runners))];
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', cleanup);
    cleanup();
  }
}

if (require.main === module) {
  netBench()
    .then((all) => {
      const failed = all.filter((s) => s.failure !== undefined);
      if (failed.length > 0) {
        console.log(`\n${failed.length} network series failed: ${failed.map((s) => s.runner).join(', ')}`);
        process.exitCode = 1;
      }
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.stack ?? e.message : String(e));
      process.exitCode = 1;
    });
}
