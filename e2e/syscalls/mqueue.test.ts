/**
 * POSIX message queues: a C program (mq_open's names, flags, attributes,
 * limits, permissions and umask; priorities; full and empty queues with
 * O_NONBLOCK and absolute timeouts; a receive another process's send
 * ends; mq_notify's signal, EBUSY and one-shot rule and none while a
 * receiver waits; the status line; mq_getsetattr; mq_unlink with open
 * descriptors) run natively and in the sandbox, and RLIMIT_MSGQUEUE in the
 * sandbox alone (natively root's queues in every IPC namespace of the
 * host count). Before, every mq_* syscall was ENOSYS.
 */
import { assertOutput, expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC, sandboxed } from './harness';

const RLIMIT_LINES = [
  'first under a 100000-byte limit: ok',
  'second: EMFILE',
  'a small second: ok',
  'after unlinking the first, still open: EMFILE',
  'after closing it: ok',
  '',
].join('\n');

describe('e2e: POSIX message queues', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: mq_open, mq_timedsend/receive, mq_notify, mq_getsetattr and mq_unlink, as natively', () => {
    const r = sameAsNative([compileC('mqueue')]);
    expectNativeLines(r.native.stdout, ['receive: 2 \'bb\' prio 5', 'full, 50 ms timeout: ETIMEDOUT', 'notified: sig 10 code -3 value 77 from the child 1', 'with a receiver waiting: signal 0', 'nobody opens a 0600 queue: EACCES', 'receive after unlink: 1', 'done']);
  });

  it('RLIMIT_MSGQUEUE counts a queue while it exists (sandbox only)', () => {
    assertOutput(sandboxed([compileC('mqueue'), 'rlimit']), RLIMIT_LINES);
  });
});
