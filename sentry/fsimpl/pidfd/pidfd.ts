/**
 * A pidfd (pidfd_open(2), clone's CLONE_PIDFD): a handle on one process
 * that keeps naming it after its pid is reaped and reused. It polls
 * readable once the process has exited, and also hung up once the process
 * was reaped (Linux 6.9's pidfd_poll); read and write are EINVAL, as on
 * Linux (pidfd_fops has neither).
 */
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import type { Process } from '../../kernel/task';
import { AnonFile } from '../anon/anon';

export class PidFd extends AnonFile {
  /** clone's pidfd is installed before its process exists (Linux fails the clone if it cannot be): bound then. */
  constructor(
    private proc: Process | undefined,
    flags: number,
  ) {
    super('pidfd', O.RDWR | flags);
  }

  bind(p: Process): void {
    this.proc = p;
  }

  get target(): Process {
    return this.proc ?? fail('ESRCH', 'pidfd of a clone that did not happen');
  }

  get waitQueue() {
    return this.target.exitEvents;
  }

  read(): number {
    return fail('EINVAL', 'read of a pidfd');
  }

  write(): number {
    return fail('EINVAL', 'write to a pidfd');
  }

  /** Linux's pidfd_show_fdinfo: the pid, -1 once it was reaped (one PID namespace: NSpid is the same). */
  fdinfoLines(): string {
    const pid = this.target.reaped ? -1 : this.target.pid;
    return `Pid:\t${pid}\nNSpid:\t${pid}\n`;
  }

  readiness(): number {
    if (this.target.exitStatus === undefined) return 0;
    return POLL.IN | POLL.RDNORM | (this.target.reaped ? POLL.HUP : 0);
  }
}
