import assert from 'node:assert/strict';
import { CAP } from '../abi/linux/capability';
import { LinuxError } from '../errors/linuxerr';
import { makeTask } from '../vfs/testkit';
import { Vfs } from '../vfs/vfs';
import { badness, oomScore, parseOomScoreAdj, setOomScoreAdj } from './oom';

const errno = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof LinuxError ? (e.code ?? String(e.errno)) : String(e);
  }
};

describe('kernel/oom: oom_score_adj and badness', () => {
  it('parses writes as kstrtoint with base 0 and checks the range (values from this kernel: e2e/syscalls/cgroup.test.ts)', () => {
    assert.equal(parseOomScoreAdj('500'), 500);
    assert.equal(parseOomScoreAdj(' 0x10 \n'), 16);
    assert.equal(parseOomScoreAdj('017'), 15);
    assert.equal(parseOomScoreAdj('-0'), 0);
    assert.equal(parseOomScoreAdj('+1000'), 1000);
    assert.equal(parseOomScoreAdj('-1000'), -1000);
    for (const bad of ['-1001', '1001', 'abc', '', '5 5', '08', '1e3']) assert.equal(errno(() => parseOomScoreAdj(bad)), 'EINVAL', bad);
    assert.equal(errno(() => parseOomScoreAdj('123456789012')), 'ERANGE');
  });

  it('lowering below the floor needs CAP_SYS_RESOURCE; a privileged writer sets the floor', () => {
    const { task } = makeTask(() => new Vfs());
    const p = task.process;
    setOomScoreAdj(p, 500, task);
    assert.equal(p.oomScoreAdjMin, 500, 'root has CAP_SYS_RESOURCE');
    p.creds.caps = { ...p.creds.caps, effective: p.creds.caps.effective & ~(1n << BigInt(CAP.SYS_RESOURCE)) };
    assert.equal(errno(() => setOomScoreAdj(p, 400, task)), 'EACCES');
    setOomScoreAdj(p, 600, task);
    setOomScoreAdj(p, 500, task);
    assert.deepEqual([p.oomScoreAdj, p.oomScoreAdjMin], [500, 500]);
  });

  it('badness is resident pages plus adj thousandths of the allowed pages; oom_score scales it as /proc shows it', () => {
    const MiB = 1024 * 1024;
    assert.equal(badness(16 * MiB, 1000, 32 * MiB), 4096 + 8192);
    assert.equal(badness(16 * MiB, -500, 32 * MiB), 4096 - 4096);
    assert.equal(badness(16 * MiB, -1000, 32 * MiB), undefined);
    assert.equal(oomScore(0, 0, 32 * MiB), 666);
    assert.equal(oomScore(16 * MiB, 0, 32 * MiB), 1000);
    assert.equal(oomScore(0, 600, 32 * MiB), 1066);
    assert.equal(oomScore(32 * MiB, 1000, 32 * MiB), 2000);
    assert.equal(oomScore(32 * MiB, -1000, 32 * MiB), 0);
  });
});
