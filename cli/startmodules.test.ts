/**
 * What a sandbox start loads of Node's own modules. The Sentry and the
 * Gofer each start a Node for every `tsvisor do` and every container, and
 * some built-in modules cost milliseconds of CPU to load (measured on the
 * 2-vCPU test machine): node:crypto ~4 ms (with node:stream), node:v8 ~5,
 * node:net ~6-7, node:child_process ~8, node:perf_hooks ~1.5. Neither
 * process needs them to start: this keeps a new import from bringing one
 * back unnoticed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const DIST = path.resolve(__dirname, '..');
const COSTLY = ['crypto', 'v8', 'net', 'stream', 'child_process', 'perf_hooks'];

/** The strings `list` (a JS expression) names in a fresh Node after requiring `files` (dist-relative). */
function listedAfter(files: string[], list: string): string[] {
  const script = `${files.map((f) => `require(${JSON.stringify(path.join(DIST, f))});`).join('')}
    require("fs").writeSync(1, JSON.stringify(${list}));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

/** The costly built-in modules a fresh Node has loaded after requiring `files`. */
function costlyLoadedBy(files: string[]): string[] {
  const loaded = listedAfter(files, 'process.moduleLoadList');
  return COSTLY.filter((m) => loaded.includes(`NativeModule ${m}`));
}

describe('start-up: built-in modules loaded', () => {
  it('node -e itself loads none of the costly modules (else this test proves nothing)', () => {
    assert.deepEqual(costlyLoadedBy([]), []);
  });

  it('the Sentry of `tsvisor do` (cli/do and everything sentry/sandbox loads) loads none of them', () => {
    assert.deepEqual(costlyLoadedBy(['cli/main.js', 'cli/do.js', 'sentry/sandbox.js']), []);
  });

  it('the Gofer (gofer/run and everything it loads) loads none of them', () => {
    assert.deepEqual(costlyLoadedBy(['gofer/run.js']), []);
  });

  it("the Gofer does not load the Sentry's libc bindings (~100 prototypes to parse at every start)", () => {
    const loaded = listedAfter(['gofer/run.js'], 'Object.keys(require.cache)');
    assert.ok(loaded.includes(path.join(DIST, 'gofer/host/libc.js')), 'the Gofer loads its own bindings (else this test proves nothing)');
    assert.ok(!loaded.includes(path.join(DIST, 'sentry/platform/host/libc.js')));
  });
});
