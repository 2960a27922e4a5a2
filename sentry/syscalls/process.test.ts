import assert from 'node:assert/strict';
import { CAP, capBit } from '../abi/linux/capability';
import { Errno } from '../abi/linux/errno';
import { Credentials } from '../kernel/creds';
import { RLIMIT } from '../kernel/limits';
import type { Task } from '../kernel/task';
import { Vfs } from '../vfs/vfs';
import { callRow, errnoOf, makeTask } from '../vfs/testkit';
import { processSyscalls } from './process';

const fork = (t: Task): number => callRow(processSyscalls, t, 'fork');
/** clone(2) of a thread, as pthread_create asks for one. */
const CLONE_THREAD_FLAGS = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
const newThread = (t: Task): number => callRow(processSyscalls, t, 'clone', CLONE_THREAD_FLAGS, 0, 0, 0, 0);

describe('task limits (fork, clone)', () => {
  it('threads-max: EAGAIN once the sandbox holds that many tasks, threads and zombies included', () => {
    const { kernel, task } = makeTask(() => new Vfs(), undefined, { maxTasks: 4 });
    const child = fork(task);
    newThread(task);
    fork(task);
    assert.equal(kernel.taskCount(), 4);
    assert.equal(errnoOf(() => fork(task)), Errno.EAGAIN);
    assert.equal(errnoOf(() => newThread(task)), Errno.EAGAIN);
    // An exited child still counts until its parent reaps it, as in Linux.
    const p = kernel.processes.get(child);
    assert.ok(p);
    p.exit(0);
    assert.equal(errnoOf(() => fork(task)), Errno.EAGAIN);
    kernel.reap(p);
    assert.equal(kernel.taskCount(), 3);
    assert.ok(fork(task) > 0);
  });

  it("RLIMIT_NPROC: EAGAIN once the caller's real uid has that many tasks; other uids do not count", () => {
    const { kernel, task } = makeTask(() => new Vfs(), new Credentials(1000, 1000));
    fork(task); // a process of uid 1000
    assert.equal(kernel.taskCount(1000), 2);
    task.process.limits[RLIMIT.NPROC] = { cur: 2n, max: 2n };
    assert.equal(errnoOf(() => fork(task)), Errno.EAGAIN);
    assert.equal(errnoOf(() => newThread(task)), Errno.EAGAIN);
    // A process of another uid in this sandbox does not count against uid 1000.
    task.process.creds.uid = 0;
    fork(task);
    task.process.creds.uid = 1000;
    assert.equal(kernel.taskCount(1000), 2);
    assert.equal(kernel.taskCount(), 3);
  });

  it('RLIMIT_NPROC is waived for real uid 0 (even without capabilities) and for CAP_SYS_RESOURCE or CAP_SYS_ADMIN', () => {
    for (const waived of [new Credentials(0, 0, 1000, 1000, 1000, 1000), capable(CAP.SYS_RESOURCE), capable(CAP.SYS_ADMIN)]) {
      const { kernel, task } = makeTask(() => new Vfs(), waived);
      task.process.limits[RLIMIT.NPROC] = { cur: 1n, max: 1n };
      assert.ok(fork(task) > 0);
      assert.equal(kernel.taskCount(waived.uid), 2);
    }
  });
});

/** Credentials of uid 1000 with only `cap` effective. */
function capable(cap: number): Credentials {
  const c = new Credentials(1000, 1000);
  c.caps = { ...c.caps, effective: capBit(cap), permitted: capBit(cap) };
  return c;
}
