import assert from 'node:assert/strict';
import { SIG } from '../abi/linux/signal';
import { SIGINFO } from '../abi/linux/sigframe';
import { sigBit } from './signal/send';
import { child, handler, sandbox, thread } from './signal/testing';

describe('kernel/pdeath: PR_SET_PDEATHSIG delivery', () => {
  it('the creating thread ending signals its children only, which stay with the process', () => {
    const s = sandbox();
    const init = s.task.process;
    const t2 = thread(s.kernel, init, s.ctx);
    const byThread = child(s.kernel, init);
    byThread.task.process.creatorTid = t2.tid;
    const byMain = child(s.kernel, init);
    byMain.task.process.creatorTid = s.task.tid;
    for (const c of [byThread, byMain]) {
      c.task.process.sigactions.set(SIG.SIGUSR1, handler());
      c.task.pdeathSignal = SIG.SIGUSR1;
    }
    t2.exitThread(0);
    const p = byThread.task.process;
    assert.equal(p.sigPending.mask, sigBit(SIG.SIGUSR1));
    assert.equal(byMain.task.process.sigPending.mask, 0n, 'created by another thread');
    assert.equal(p.creatorTid, s.task.tid, 'handed to a live thread');
    assert.equal(p.parent, init);
    const info = p.sigPending.dequeue(0n)!.info;
    assert.equal(info.readInt32LE(SIGINFO.CODE), 0, 'SI_USER');
    assert.equal(info.readInt32LE(SIGINFO.PID), init.pid);
  });

  it('the parent process ending signals each child thread that asked, with its own signal', () => {
    const s = sandbox();
    const mid = child(s.kernel, s.task.process);
    const c = child(s.kernel, mid.task.process);
    const ct2 = thread(s.kernel, c.task.process, c.ctx);
    c.task.process.sigactions.set(SIG.SIGUSR1, handler());
    c.task.process.sigactions.set(SIG.SIGUSR2, handler());
    c.task.pdeathSignal = SIG.SIGUSR1;
    ct2.pdeathSignal = SIG.SIGUSR2;
    const quiet = child(s.kernel, mid.task.process);
    mid.task.process.exit(0);
    assert.equal(c.task.process.sigPending.mask, sigBit(SIG.SIGUSR1) | sigBit(SIG.SIGUSR2));
    assert.equal(quiet.task.process.sigPending.mask, 0n);
  });

  it('a default-fatal death signal ends the child', () => {
    const s = sandbox();
    const mid = child(s.kernel, s.task.process);
    const c = child(s.kernel, mid.task.process);
    c.task.pdeathSignal = SIG.SIGTERM;
    mid.task.process.exit(0);
    assert.equal(c.task.process.exitStatus, SIG.SIGTERM);
  });
});
