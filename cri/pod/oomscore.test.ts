import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { podOomScoreAdj, setHostOomScoreAdj } from './oomscore';

describe('cri/pod oomscore: the host oom_score_adj of a pod', () => {
  it('is the lowest of its containers\', none without containers', () => {
    assert.equal(podOomScoreAdj([]), undefined);
    assert.equal(podOomScoreAdj([1000, -997, 500]), -997);
  });

  it('is written for every pid; one that ended is skipped, other failures are reported', () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'oomscore-'));
    try {
      fs.mkdirSync(path.join(proc, '10'));
      fs.writeFileSync(path.join(proc, '10', 'oom_score_adj'), '0');
      fs.mkdirSync(path.join(proc, '12', 'oom_score_adj'), { recursive: true }); // EISDIR
      const failures = setHostOomScoreAdj([10, 11, 12], 300, proc);
      assert.equal(fs.readFileSync(path.join(proc, '10', 'oom_score_adj'), 'utf8'), '300');
      assert.equal(failures.length, 1);
      assert.match(failures[0], /^pid 12: EISDIR/);
    } finally {
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });
});
