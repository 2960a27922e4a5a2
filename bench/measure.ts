/**
 * Measurement of one command run: wall time, and the peak memory of its whole
 * process tree, sampled from /proc while it runs.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pssKiB } from '../cri/runtime/hostproc';

export { pssKiB, rssKiB } from '../cri/runtime/hostproc';

export interface Sample {
  ok: boolean;
  wallMs: number;
  stdout: string;
  /** First stderr line of a failed run. */
  error: string;
  /** Highest sum of PSS over the tree seen while sampling, in KiB. */
  peakTreePssKiB: number;
}

function childrenByParent(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)]);
    } catch {
      // Exited while we looked.
    }
  }
  return byParent;
}


/** The pids of `roots` and all their descendants. */
export function processTree(roots: number[]): number[] {
  const byParent = childrenByParent();
  const seen = new Set<number>();
  for (const stack = [...roots]; stack.length > 0; ) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(byParent.get(pid) ?? []));
  }
  return [...seen];
}

/** Sum of PSS (proportional set size, so shared pages count once) of pid and its descendants. */
export function treePssKiB(root: number): number {
  return processTree([root]).reduce((sum, pid) => sum + pssKiB(pid), 0);
}

/**
 * Runs argv once, sampling the tree's memory every `everyMs` milliseconds
 * (0: not at all). Sampling reads smaps_rollup of every process of the tree,
 * CPU time taken on the same 2 cores and mmap locks held in the processes
 * sampled, so wall times are measured in runs without it.
 */
export function measure(argv: string[], timeoutMs: number, everyMs = 10): Promise<Sample> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let peak = 0;
    const timer = everyMs > 0 ? setInterval(() => {
      if (child.pid !== undefined) peak = Math.max(peak, treePssKiB(child.pid));
    }, everyMs) : undefined;
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const stderr = Buffer.concat(err).toString('utf8');
      const ok = code === 0 && signal === null;
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      const error = ok ? '' : `${signal ?? `exit ${code}`}: ${lines.find((l) => /error/i.test(l)) ?? lines[0] ?? ''}`;
      resolve({ ok, wallMs, stdout: Buffer.concat(out).toString('utf8'), error, peakTreePssKiB: peak });
    });
  });
}

/**
 * Max RSS in KiB of the largest single process of the tree, as GNU time
 * reports it. The report goes to a file: runsc kills time with SIGPIPE when
 * the report shares a pipe with it.
 */
export function gnuTimeMaxRssKiB(argv: string[], timeoutMs: number): number {
  const report = path.join(os.tmpdir(), `tsvisor-bench-time-${process.pid}`);
  const r = spawnSync('/usr/bin/time', ['-o', report, '-f', 'MAXRSS %M', ...argv], { stdio: 'ignore', timeout: timeoutMs });
  const m = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').match(/^MAXRSS (\d+)$/m) : null;
  fs.rmSync(report, { force: true });
  return r.status === 0 && m !== null ? Number(m[1]) : NaN;
}
