/**
 * eventfd(2): a 64-bit counter. Reads take the whole count (or 1 in
 * semaphore mode) and wait while it is 0; writes add and wait while the sum
 * would pass ULLONG_MAX - 1.
 */
import { EFD, EFD_MAX } from '../../abi/linux/eventfd';
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import { Block, WaitQueue } from '../../kernel/wait';
import { AnonFile } from '../anon/anon';

export class EventFd extends AnonFile {
  readonly waitQueue = new WaitQueue();

  constructor(
    private count: bigint,
    private readonly semaphore: boolean,
    flags: number,
  ) {
    super('eventfd', O.RDWR | flags);
  }

  private wait(): never {
    if (this.flags & O.NONBLOCK) fail('EAGAIN', 'eventfd would block');
    throw new Block([this.waitQueue], undefined, 0, 'restart');
  }

  read(dst: Buffer): number {
    if (dst.length < 8) fail('EINVAL', 'eventfd read buffer < 8 bytes');
    if (this.count === 0n) this.wait();
    const value = this.semaphore ? 1n : this.count;
    this.count -= value;
    dst.writeBigUInt64LE(value);
    this.waitQueue.notify();
    return 8;
  }

  write(src: Buffer): number {
    if (src.length < 8) fail('EINVAL', 'eventfd write buffer < 8 bytes');
    const value = src.readBigUInt64LE(0);
    if (value > EFD_MAX) fail('EINVAL', 'eventfd value ULLONG_MAX');
    if (EFD_MAX - this.count < value) this.wait();
    this.count += value;
    this.waitQueue.notify();
    return 8;
  }

  readiness(): number {
    let r = 0;
    if (this.count > 0n) r |= POLL.IN | POLL.RDNORM;
    if (this.count < EFD_MAX) r |= POLL.OUT | POLL.WRNORM;
    return r;
  }
}

/** eventfd2(2)'s description; EINVAL for unknown flags. */
export function newEventFd(initval: number, flags: number): EventFd {
  if (flags & ~(EFD.SEMAPHORE | EFD.NONBLOCK | EFD.CLOEXEC)) fail('EINVAL', `eventfd flags ${flags}`);
  return new EventFd(BigInt(initval), (flags & EFD.SEMAPHORE) !== 0, flags & O.NONBLOCK);
}
