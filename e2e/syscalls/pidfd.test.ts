/**
 * pidfds: a C program (pidfd_open, poll through exit and reaping,
 * pidfd_send_signal with and without a siginfo, pidfd_getfd, waitid's
 * P_PIDFD, CLONE_PIDFD through clone and clone3, the permission checks of
 * signals and of pidfd_getfd as another user) and Go's os/exec, which
 * starts, waits for and signals children through pidfds, run natively and
 * in the sandbox. Before, pidfd_open and pidfd_send_signal were ENOSYS,
 * CLONE_PIDFD EINVAL, and any user could signal any process.
 */
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC, compileGo } from './harness';

describe('e2e: pidfds', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: pidfd_open, pidfd_send_signal, pidfd_getfd, waitid P_PIDFD and CLONE_PIDFD, as natively', () => {
    const r = sameAsNative([compileC('pidfd')]);
    expectNativeLines(r.native.stdout, ['reaped: events 1:IN|HUP', 'child took sig 10 code -1 value 42', 'getfd: ok, cloexec 1, read 5 "hello"', 'signal as another user: EPERM', 'clone3 CLONE_PIDFD: pidfd ok, waitid 0, ok 1, status 9', 'done']);
  });

  it("Go's os/exec (children started, waited for and signalled through pidfds), as natively", () => {
    const r = sameAsNative([compileGo('pidexec')]);
    if (!r.native.stdout.toString().includes('wait: signal: terminated')) throw new Error(`native run:\n${r.native.stdout}`);
  });
});
