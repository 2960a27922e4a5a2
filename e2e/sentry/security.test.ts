/**
 * The Sentry's own confinement, checked from the host while a sandbox
 * runs: seccomp filter mode, unprivileged uid, no capabilities, a refused
 * file open inside the Sentry, and no host process left when the Sentry is
 * killed outright.
 */
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TSVISOR = join(__dirname, '..', '..', '..', 'bin', 'tsvisor');

/** The command line, or the comm of a process whose argv is gone (the stub unmaps its stack). */
function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Host pids of processes whose command line matches `re`. */
function hostPids(re: RegExp): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && re.test(cmdline(d)))
    .map(Number);
}

async function waitFor<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusField = (pid: number, field: string) =>
  readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(.*)$`, 'm'))?.[1];

describe('Sentry confinement (seen from the host)', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tsvisor-sec-'))));
  afterEach(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs under seccomp (Seccomp: 2) as an unprivileged uid with no capabilities, and its own file opens fail', async () => {
    const log = join(dir, 'debug.log');
    child = spawn(TSVISOR, ['do', '--debug-log', log, '--', '/bin/sleep', '3'], { stdio: 'ignore' });
    const sentry = await waitFor(() => {
      const pid = hostPids(/tsvisor\.js do --debug-log/).find((p) => statusField(p, 'Seccomp') === '2');
      return pid;
    });
    assert.equal(statusField(sentry, 'Seccomp'), '2');
    assert.match(statusField(sentry, 'Uid') ?? '', /^65534\s+65534\s+65534\s+65534$/);
    assert.equal(statusField(sentry, 'CapEff'), '0000000000000000');
    assert.equal(statusField(sentry, 'NoNewPrivs'), '1');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(readFileSync(log, 'utf8'), /seccomp filter installed; self-check: open\(\/proc\/self\/status\) denied with EPERM/);
  });

  it('SIGTERM to tsvisor do ends the whole sandbox', async () => {
    child = spawn(TSVISOR, ['do', '--', '/bin/sleep', '30'], { stdio: 'ignore' });
    const sentry = await waitFor(() => hostPids(/tsvisor\.js do -- \/bin\/sleep 30/).find((p) => statusField(p, 'Seccomp') === '2'));
    const stub = await waitFor(() => hostPids(/^tsvisor-stub/).find((p) => statusField(p, 'PPid') === String(sentry)));
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    assert.ok(code === 143 || signal === 'SIGTERM', `exit ${code} ${signal}`);
    await waitFor(() => (cmdline(String(sentry)) === '' && cmdline(String(stub)) === '' ? true : undefined));
  });

  it('leaves no stub or gofer behind when the Sentry is killed with SIGKILL', async () => {
    child = spawn(TSVISOR, ['do', '--', '/bin/sleep', '30'], { stdio: 'ignore' });
    const sentry = await waitFor(() => hostPids(/tsvisor\.js do -- \/bin\/sleep 30/).find((p) => statusField(p, 'Seccomp') === '2'));
    // Only this sandbox's stubs: children of its Sentry.
    const stubs = await waitFor(() => {
      const s = hostPids(/^tsvisor-stub/).filter((p) => statusField(p, 'PPid') === String(sentry));
      return s.length > 0 ? s : undefined;
    });
    process.kill(sentry, 'SIGKILL');
    await once(child, 'exit');
    await waitFor(() => (stubs.every((p) => cmdline(String(p)) === '') ? true : undefined));
    assert.deepEqual(stubs.filter((p) => cmdline(String(p)) !== ''), []);
  });
});
