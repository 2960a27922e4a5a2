/**
 * `tsvisor do` in a test network namespace: one-shot commands, and servers
 * that run in the background until the test stops them. A server runs
 * under a small shell inside the sandbox that ends it when the sandbox's
 * stdin closes, so the Sentry exits by itself and writes its report of
 * unsupported syscalls to the debug log (killing bin/tsvisor from outside
 * would SIGKILL the Sentry before it writes anything).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDir, REPO_ROOT } from '../syscalls/harness';
import { collect, type Exited, exitWithin, type NetLab } from './netns';

export const PY = '/usr/bin/python3';
const TSVISOR = join(REPO_ROOT, 'bin', 'tsvisor');

export type NetworkFlag = 'sandbox' | 'none' | 'host';

export interface SandboxRun extends Exited {
  /** The Sentry's debug log. */
  log: string;
}

function sandboxArgv(logFile: string, network: NetworkFlag, argv: readonly string[]): string[] {
  return [TSVISOR, 'do', `--network=${network}`, '--debug-log', logFile, '--', ...argv];
}

function newLogFile(): string {
  return join(freshDir('netlog'), 'sentry.log');
}

function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The Sentry's log line for taking over the veth that has `addr` (eth0 in the test networks). */
export function takenOver(addr: string): RegExp {
  return new RegExp(`network: eth0 ${addr.replace(/\./g, '\\.')}/\\d+ .*taken over by the sandbox stack`);
}

/** `unsupported syscall NAME: N` lines of a debug log. */
export function unsupportedSyscalls(log: string): string[] {
  return log.split('\n').filter((l) => l.includes('unsupported syscall '));
}

/** Runs `argv` in a sandbox in `ns` (the root namespace when undefined) to completion. */
export async function sandboxExec(lab: NetLab, ns: string | undefined, argv: readonly string[], o: { network?: NetworkFlag; timeoutMs?: number } = {}): Promise<SandboxRun> {
  const logFile = newLogFile();
  const child = lab.spawn(ns, sandboxArgv(logFile, o.network ?? 'sandbox', argv), true);
  child.stdin?.end();
  const r = await collect(child, o.timeoutMs ?? 90_000);
  return { ...r, log: readLog(logFile) };
}

/** Ends the command in "$@" when stdin reaches EOF (the command itself reads nothing). */
const STOP_ON_EOF = '"$@" & p=$!; read _ || true; kill -TERM $p 2>/dev/null; wait $p';

export class SandboxServer {
  private out = '';
  private err = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out = (this.out + d).slice(-65536)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-65536)));
    child.once('exit', (code, signal) => (this.exit = { code, signal }));
  }

  /** Starts `argv` in a sandbox in `ns` and waits until the Sentry has set up its network. */
  static async start(lab: NetLab, ns: string | undefined, argv: readonly string[], network: NetworkFlag = 'sandbox'): Promise<SandboxServer> {
    const logFile = newLogFile();
    const child = lab.spawn(ns, sandboxArgv(logFile, network, ['/bin/sh', '-c', STOP_ON_EOF, 'sh', ...argv]), true);
    const server = new SandboxServer(child, logFile);
    await server.waitForLog(/startup: /, 30_000);
    return server;
  }

  get log(): string {
    return readLog(this.logFile);
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Whether bin/tsvisor (and so the Sentry) is still running. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  describe(): string {
    return `exit ${JSON.stringify(this.exit)}\nstdout: ${this.out.slice(-2000)}\nstderr: ${this.err.slice(-2000)}\nlog: ${this.log.slice(-3000)}`;
  }

  async waitForLog(re: RegExp, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.log)) {
      assert.ok(this.alive, `the sandbox exited while waiting for ${re}\n${this.describe()}`);
      assert.ok(Date.now() < deadline, `no ${re} in the Sentry log after ${ms} ms\n${this.describe()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Closes stdin (the command gets SIGTERM) and waits for the sandbox to exit by itself; returns the debug log. */
  async stop(): Promise<string> {
    this.child.stdin?.end();
    assert.ok(await exitWithin(this.child, 20_000), `the sandbox did not exit after its command was stopped\n${this.describe()}`);
    // The report of unsupported syscalls is the last thing the Sentry writes.
    return this.log;
  }
}
