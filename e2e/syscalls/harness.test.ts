/** The harness itself: leak detection, timeouts and exit statuses must be exact. */
import * as assert from 'assert';
import { hasStackTrace, native, runnerArgv } from './harness';

describe('e2e harness', function () {
  it('reports and kills a process the command left behind', () => {
    const r = native(['/bin/sh', '-c', 'exec 1>&- 2>&-; /bin/sleep 77 & exit 0']);
    assert.strictEqual(r.code, 0);
    assert.strictEqual(r.leaks.length, 1, JSON.stringify(r.leaks));
    assert.match(r.leaks[0], /^\d+ \/bin\/sleep 77$/);
  });

  it('reports no leak for a clean command', () => {
    assert.deepStrictEqual(native(['/bin/sh', '-c', '/bin/true & wait']).leaks, []);
  });

  it('kills a command at its timeout', () => {
    const t0 = Date.now();
    const r = native(['/bin/sleep', '30'], { timeoutSec: 1 });
    assert.ok(r.timedOut);
    assert.strictEqual(r.code, 128 + 9);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('folds signal death into 128+n and keeps exit codes', () => {
    assert.strictEqual(native(['/bin/sh', '-c', 'kill -TERM $$']).code, 128 + 15);
    assert.strictEqual(native(['/bin/sh', '-c', 'exit 42']).code, 42);
    assert.strictEqual(native(['/no/such/file']).code, 127);
  });

  it('passes stdin and captures stdout bytes exactly', () => {
    const input = Buffer.from([0, 1, 2, 255, 10]);
    assert.deepStrictEqual(native(['/bin/cat'], { input }).stdout, input);
  });

  it('maps sandbox options onto each runner', () => {
    const o = { rootfs: '/r', overlay: 'none' as const };
    assert.deepStrictEqual(runnerArgv('tsvisor', ['/bin/true'], o).slice(1), ['do', '--rootfs', '/r', '--overlay=none', '--', '/bin/true']);
    assert.deepStrictEqual(runnerArgv('runsc', ['/bin/true'], o).slice(3), ['do', '-root', '/r', '-cwd', '/', '-force-overlay=false', '/bin/true']);
    assert.throws(() => runnerArgv('native', ['/bin/true'], o));
  });

  it('recognises a Node stack trace but not an ordinary error line', () => {
    assert.ok(hasStackTrace('Error: boom\n    at Object.<anonymous> (/x/y.js:3:9)\n'));
    assert.ok(!hasStackTrace('tsvisor: /no/such: no such file or directory\n'));
  });
});
