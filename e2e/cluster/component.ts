/**
 * One process of the test cluster (etcd, kube-apiserver, kubelet, …): started
 * under a parent-death SIGKILL so it cannot outlive a killed test process,
 * its output in a log file, and a poll that waits for it to be ready while
 * noticing when it died instead.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { run, type ToolResult } from '../cri/harness';
import { kill } from '../images/registry';

export class Component {
  readonly logFile: string;
  private readonly child: ChildProcess;

  constructor(readonly name: string, dir: string, readonly bin: string, readonly args: string[]) {
    this.logFile = path.join(dir, `${name}.log`);
    const fd = fs.openSync(this.logFile, 'a');
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', fd, fd], cwd: dir });
    fs.closeSync(fd);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** "exited (CODE|SIGNAL)" once the process is gone, else null. */
  exited(): string | null {
    const c = this.child;
    return c.exitCode !== null || c.signalCode !== null ? `exited (${c.exitCode ?? c.signalCode})` : null;
  }

  /** The last `lines` lines of the log. */
  tail(lines = 40): string {
    const text = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    return text.split('\n').slice(-lines - 1).join('\n');
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs = 10_000): Promise<void> {
    return kill(this.child, graceMs);
  }
}

/**
 * Polls `ready` every 200 ms until it returns true. Fails after `timeoutSec`,
 * or as soon as one of `watch` has exited, with that component's log tail.
 */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutSec: number, watch: Component[]): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  for (;;) {
    const dead = watch.find((c) => c.exited() !== null);
    if (dead !== undefined) throw new Error(`${dead.name} ${dead.exited()} while waiting for ${what}\n--- ${dead.logFile} ---\n${dead.tail()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = watch.map((c) => `--- ${c.logFile} ---\n${c.tail(15)}`).join('\n');
      throw new Error(`timed out after ${timeoutSec} s waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface TlsClient {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Accept any server certificate (components' self-signed health endpoints). */
  insecure?: boolean;
}

/** GET `url` (http or https) with a 5 s timeout: status and body. */
export function get(url: string, tls: TlsClient = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = { timeout: 5000, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.insecure !== true };
    const req = (url.startsWith('https:') ? https : http).get(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

/**
 * Runs a command to completion without blocking the event loop. stdin is
 * /dev/null unless `input` is given (a command that exits before reading it
 * is not an error). Killed after `timeoutSec` (code 124).
 */
export function exec(argv: string[], o: { input?: string; timeoutSec?: number } = {}): Promise<ToolResult> {
  return run(argv[0], argv.slice(1), { input: o.input, timeoutSec: o.timeoutSec ?? 180 });
}
