/** How socket operations that cannot finish now wait (shared by AF_UNIX and AF_INET sockets). */
import { Errno } from '../../abi/linux/errno';
import { fail } from '../../errors/linuxerr';
import { Block, type WaitQueue } from '../../kernel/wait';

/** How an operation that cannot finish now should wait. */
export interface Waiting {
  /** O_NONBLOCK or MSG_DONTWAIT: fail with EAGAIN instead. */
  nonblock: boolean;
  /** SO_RCVTIMEO/SO_SNDTIMEO deadline (absolute, from Task.deadline); then EAGAIN. */
  deadline?: bigint;
}

/**
 * Fails with EAGAIN when not waiting, otherwise parks on `queues`.
 * `timeoutErrno` is what a passed deadline returns (EAGAIN; connect says EINPROGRESS).
 */
export function blockOn(w: Waiting, queues: WaitQueue[], what: string, timeoutErrno: number = Errno.EAGAIN): never {
  if (w.nonblock) fail('EAGAIN', what);
  const timed = w.deadline !== undefined;
  // Linux never restarts socket waits that have a timeout (sock_intr_errno).
  throw new Block(queues, w.deadline, timed ? { errno: timeoutErrno } : 0, timed ? 'eintr' : 'restart');
}
