import assert from 'node:assert/strict';
import { closeFd, readFull, socketPair } from './fdio';
import { raw } from './libc';
import { findOnPath, spawnHelper } from './spawn';

/** Waits for `pid` and returns its wait status. */
function reap(pid: number): number {
  const status = new Int32Array(1);
  assert.equal(raw.waitpid(pid, status, 0), pid);
  return status[0];
}

describe('spawnHelper (posix_spawn of helpers)', () => {
  it('gives the child exactly the descriptors asked for, /dev/null included', () => {
    const [mine, theirs] = socketPair();
    // A descriptor this process has open without close-on-exec (F_DUPFD) must not reach the child.
    const stray = raw.fcntl(mine, 0 /* F_DUPFD */, 10) as number;
    assert.ok(stray >= 10);
    try {
      const pid = spawnHelper('sh', ['sh', '-c', 'ls /proc/$$/fd; readlink /proc/$$/fd/0 /proc/$$/fd/1'], ['null', theirs, 2, theirs]);
      closeFd(theirs);
      const out = Buffer.alloc(4096);
      const text = out.subarray(0, readFull(mine, out)).toString();
      assert.equal(reap(pid), 0);
      const lines = text.split('\n');
      assert.deepEqual(lines.slice(0, 5), ['0', '1', '2', '3', '/dev/null']);
      assert.match(lines[5], /^socket:\[\d+\]$/);
    } finally {
      closeFd(stray);
      closeFd(mine);
    }
  });

  it('refuses a source descriptor an earlier dup2 would overwrite', () => {
    assert.throws(() => spawnHelper('sh', ['sh', '-c', 'true'], ['null', 'null', 2, 1, 3]), /descriptor 1 is below 5/);
  });

  it('finds programs on PATH as execvp does, and reports a missing one', () => {
    assert.equal(findOnPath('sh', '/nonexistent:/bin'), '/bin/sh');
    assert.equal(findOnPath('/bin/sh', ''), '/bin/sh');
    assert.throws(() => findOnPath('no-such-program-here', '/bin'), /ENOENT|posix_spawn/);
  });
});
