import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import { processTree, pssKiB, rssKiB } from './measure';

describe('bench measure: process trees and memory from /proc', () => {
  it('processTree finds every descendant, and nothing else', async () => {
    // sh -> (sleep, sh -> sleep): grandchildren count, the test process does not.
    const sh = spawn('/bin/sh', ['-c', 'sleep 30 & /bin/sh -c "sleep 30 & wait" & echo started; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => sh.stdout.once('data', r));
      let tree: number[] = [];
      for (let i = 0; i < 100 && tree.length < 4; i++) {
        await new Promise((r) => setTimeout(r, 20));
        tree = processTree([sh.pid as number]);
      }
      const names = tree.map((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).sort();
      assert.deepStrictEqual(names, ['sh', 'sh', 'sleep', 'sleep']);
      assert.strictEqual(tree[0], sh.pid);
      assert.ok(!tree.includes(process.pid));
    } finally {
      // Parents first (the sleeps share the test's process group): a shell whose
      // sleep died first would exit on its own before its turn (ESRCH).
      for (const pid of processTree([sh.pid as number])) process.kill(pid, 'SIGKILL');
    }
  });

  it('PSS and RSS of a live process match /proc, and are 0 for a pid with no process', () => {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    assert.ok(Math.abs(rssKiB(process.pid) - rss) < 4096, `${rssKiB(process.pid)} vs ${rss}`);
    const pss = pssKiB(process.pid);
    assert.ok(pss > 1024 && pss <= rssKiB(process.pid) + 4096, `PSS ${pss} KiB`);
    assert.strictEqual(pssKiB(2 ** 22 + 1), 0); // above pid_max's ceiling: never a process
    assert.strictEqual(rssKiB(2 ** 22 + 1), 0);
  });
});
