/**
 * Privileged operations and escapes from the rootfs all fail inside the
 * sandbox, and the host is unaffected. c/privileged.c refuses to run unless it
 * sees the sandbox kernel release, so it can never act on the host.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinyRootfs } from './fixtures';
import { checkNoLeaks, compileC, describeRun, freshDir, sandboxed } from './harness';

const CALLS = ['reboot', 'kexec_load', 'init_module', 'mount', 'unshare', 'setns', 'bpf', 'perf_event_open', 'ptrace_traceme', 'ptrace_attach_1'];

/** Host state the calls would change if they reached the host kernel. */
function hostState(): string {
  const read = (p: string): string => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');
  const tracer = read('/proc/1/status').match(/^TracerPid:\s*(\d+)/m)?.[1];
  return JSON.stringify({
    mounts: read('/proc/self/mountinfo'),
    modules: read('/proc/modules'),
    hostname: os.hostname(),
    tracerOfInit: tracer,
    kexec: read('/sys/kernel/kexec_loaded'),
  });
}

describe('e2e: privileged operations and rootfs escapes', function () {
  checkNoLeaks();

  it('every privileged call and every escape attempt fails', () => {
    const secretDir = freshDir('secret');
    const secret = path.join(secretDir, 'secret.txt');
    fs.writeFileSync(secret, 'TOP-SECRET-HOST-DATA\n');
    const root = tinyRootfs([{ host: compileC('privileged'), dest: 'bin/privileged' }]);
    fs.symlinkSync(secret, path.join(root, 'data', 'abs-link'));
    fs.symlinkSync(`../../../../../../..${secret}`, path.join(root, 'data', 'rel-link'));
    const attempts = [secret, `/../../../..${secret}`, `../../../../..${secret}`, '/data/abs-link', '/data/rel-link', '/etc/hostname', '/proc/1/root/etc/hostname'];

    const before = hostState();
    const r = sandboxed(['/bin/privileged', ...attempts], { rootfs: root });
    assert.strictEqual(hostState(), before, 'host state changed');

    assert.strictEqual(r.code, 0, describeRun(r));
    const out = r.stdout.toString();
    assert.ok(!out.includes('TOP-SECRET'), `host file read from the sandbox\n${describeRun(r)}`);
    const lines = out.trimEnd().split('\n');
    const names = lines.map((l) => l.split(' ')[0]);
    assert.deepStrictEqual(names, [...CALLS, ...attempts.map((a) => `open:${a}`)], describeRun(r));
    for (const line of lines) assert.match(line, /^\S+ -1 E[A-Z]+$/, `did not fail: ${line}`);
  });
});
