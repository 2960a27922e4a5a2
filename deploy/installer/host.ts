/**
 * The node as the installer sees it from its privileged, hostPID pod: the
 * node's file system under `hostRoot` (a hostPath mount of /), and commands
 * run in the node's own mount, UTS, IPC, network and PID namespaces through
 * nsenter, so that a service started here outlives the pod and sees the
 * node's mounts. The namespaces are those of a process known to be the
 * node's: PID 1, or kubelet where init hides its namespaces (a non-dumpable
 * init, as in some microVMs, makes /proc/1/ns unreadable).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type NamespacesOf = 'init' | 'kubelet';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Host {
  /** Where a node path is in the installer's view. */
  path(nodePath: string): string;
  /** Runs argv in the node's namespaces (stdin /dev/null). */
  run(argv: readonly string[]): Promise<RunResult>;
  /** The command line of a node process, or null when it does not exist. */
  cmdline(pid: number): string[] | null;
}

export class HostError extends Error {
  override name = 'HostError';
}

/** Runs argv; never throws for a non-zero exit (a missing binary is exit 127). */
export function runCommand(argv: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr }));
  });
}

/** The command line of `pid` as read through `procDir`, or null. */
export function readCmdline(procDir: string, pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(path.join(procDir, String(pid), 'cmdline'), 'utf8');
    return raw === '' ? null : raw.replace(/\0$/, '').split('\0'); // '' is a zombie or a kernel thread
  } catch {
    return null;
  }
}

/** The pid whose namespaces are the node's. */
export function namespacesPid(of: NamespacesOf, procDir = '/proc'): number {
  if (of === 'init') return 1;
  const kubelets = fs
    .readdirSync(procDir)
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return fs.readFileSync(path.join(procDir, e, 'comm'), 'utf8').trim() === 'kubelet';
      } catch {
        return false;
      }
    })
    .map(Number)
    .sort((a, b) => a - b);
  if (kubelets.length === 0) throw new HostError('no kubelet process is visible: the installer needs hostPID');
  return kubelets[0];
}

/** argv run by nsenter in the mount, UTS, IPC, network and PID namespaces and the root of `pid`. */
export function inNamespacesOf(pid: number, argv: readonly string[]): string[] {
  return ['nsenter', '-t', String(pid), '-m', '-u', '-i', '-n', '-p', '-r', '--', ...argv];
}

export class NodeHost implements Host {
  constructor(
    private readonly hostRoot: string,
    private readonly namespacesOf: NamespacesOf,
  ) {}

  path(nodePath: string): string {
    return path.join(this.hostRoot, nodePath);
  }

  run(argv: readonly string[]): Promise<RunResult> {
    return runCommand(inNamespacesOf(namespacesPid(this.namespacesOf), argv));
  }

  cmdline(pid: number): string[] | null {
    return readCmdline('/proc', pid); // hostPID: /proc lists the node's processes
  }
}

/** A command that must succeed: its stdout, else an error with its stderr. */
export async function runOk(host: Host, argv: readonly string[]): Promise<string> {
  const r = await host.run(argv);
  if (r.code !== 0) throw new HostError(`${argv.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}
