/** What the application sees of the machine: a 4.4.0 kernel, pid 1, its own /proc. */
import * as assert from 'assert';
import { assertOutput } from './compare';
import { checkNoLeaks, describeRun, SANDBOX, sandboxed } from './harness';

const BB = '/bin/busybox';
/** Name the sandbox gives itself in the kernel log. */
const BANNER = SANDBOX === 'runsc' ? 'Starting gVisor...' : 'Starting tsvisor...';

describe('e2e: sandbox identity', function () {
  checkNoLeaks();

  it('uname -r is 4.4.0', () => {
    assertOutput(sandboxed(['/bin/uname', '-r']), '4.4.0\n');
  });

  it('uname -a shows 4.4.0', () => {
    const r = sandboxed(['/bin/uname', '-a']);
    assert.strictEqual(r.code, 0, describeRun(r));
    assert.match(r.stdout.toString(), /^Linux \S+ 4\.4\.0 .*\n$/, describeRun(r));
  });

  it('dmesg starts with the sandbox banner', () => {
    const r = sandboxed([BB, 'dmesg']);
    assert.strictEqual(r.code, 0, describeRun(r));
    const first = r.stdout.toString().split('\n')[0].replace(/^\[\s*\d+\.\d+\] /, '');
    assert.strictEqual(first, BANNER, describeRun(r));
  });

  it('the first process is pid 1 and its parent is 0', () => {
    assertOutput(sandboxed(['/bin/sh', '-c', 'echo $$ $PPID']), '1 0\n');
  });

  it('/proc lists only sandbox pids', () => {
    const r = sandboxed([BB, 'ls', '/proc']);
    assert.strictEqual(r.code, 0, describeRun(r));
    const pids = r.stdout.toString().split(/\s+/).filter((e) => /^\d+$/.test(e));
    assert.deepStrictEqual(pids, ['1'], describeRun(r));
  });

  it('a child sees its parent as pid 1', () => {
    // sh stays pid 1 while the subshell reports its own parent.
    assertOutput(sandboxed(['/bin/sh', '-c', `${BB} sh -c 'echo $PPID'; true`]), '1\n');
  });

  it('--hostname sets the UTS name', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    assertOutput(sandboxed([BB, 'hostname'], { hostname: 'box-e2e' }), 'box-e2e\n');
  });
});
