/**
 * signalfd(2): reading takes pending signals in the fd's mask (whether or
 * not they are blocked) as 128-byte signalfd_siginfo records.
 *
 * A FileDescription's read() does not know the calling task, so the fd
 * reads the queues of the task that created it (and its process's shared
 * queue); Linux reads the caller's, which differs only when another thread
 * or a forked child reads the same fd.
 */
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { CLD, SI, SIGINFO, SSI } from '../../abi/linux/sigframe';
import { SIG } from '../../abi/linux/signal';
import { fail } from '../../errors/linuxerr';
import { AnonFile } from '../../fsimpl/anon/anon';
import { SignalMask } from '../signals';
import { Task } from '../task';
import { Block, WaitQueue } from '../wait';
import { dequeueSignal } from './deliver';
import { pendingMask } from './send';
import { infoCode } from './siginfo';
import { signalArrivals } from './state';

export class SignalFd extends AnonFile {
  readonly waitQueue: WaitQueue;

  constructor(
    private readonly task: Task,
    public mask: SignalMask,
    flags: number,
  ) {
    super('signalfd', O.RDWR | flags);
    this.waitQueue = signalArrivals(task.process);
  }

  read(dst: Buffer): number {
    if (dst.length < SSI.SIZE) fail('EINVAL', 'signalfd read buffer < 128 bytes');
    let n = 0;
    while (n + SSI.SIZE <= dst.length) {
      const sig = dequeueSignal(this.task, BigInt.asUintN(64, ~this.mask));
      if (!sig) break;
      toSignalfdInfo(sig.info).copy(dst, n);
      n += SSI.SIZE;
    }
    if (n > 0) return n;
    if (this.flags & O.NONBLOCK) fail('EAGAIN', 'no signal pending');
    throw new Block([this.waitQueue], undefined, 0, 'restart');
  }

  write(): number {
    return fail('EINVAL', 'signalfd is not writable');
  }

  readiness(): number {
    return pendingMask(this.task) & this.mask ? POLL.IN : 0;
  }
}

/** siginfo_t → struct signalfd_siginfo, field by field for the siginfo's layout class. */
export function toSignalfdInfo(info: Buffer): Buffer {
  const b = Buffer.alloc(SSI.SIZE);
  const signo = info.readInt32LE(SIGINFO.SIGNO);
  const code = infoCode(info);
  b.writeUInt32LE(signo, SSI.SIGNO);
  b.writeInt32LE(info.readInt32LE(SIGINFO.ERRNO), SSI.ERRNO);
  b.writeInt32LE(code, SSI.CODE);
  if (code === SI.TIMER) {
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.TIMERID), SSI.TID);
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.OVERRUN), SSI.OVERRUN);
    copySigval(info, b);
  } else if (code <= 0 || code === SI.KERNEL) {
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.PID), SSI.PID);
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.UID), SSI.UID);
    copySigval(info, b);
  } else if (signo === SIG.SIGCHLD && code <= CLD.CONTINUED) {
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.PID), SSI.PID);
    b.writeUInt32LE(info.readUInt32LE(SIGINFO.UID), SSI.UID);
    b.writeInt32LE(info.readInt32LE(SIGINFO.STATUS), SSI.STATUS);
    b.writeBigUInt64LE(info.readBigUInt64LE(SIGINFO.UTIME), SSI.UTIME);
    b.writeBigUInt64LE(info.readBigUInt64LE(SIGINFO.STIME), SSI.STIME);
  } else {
    b.writeBigUInt64LE(info.readBigUInt64LE(SIGINFO.ADDR), SSI.ADDR);
  }
  return b;
}

function copySigval(info: Buffer, b: Buffer): void {
  b.writeInt32LE(info.readInt32LE(SIGINFO.VALUE), SSI.INT);
  b.writeBigUInt64LE(info.readBigUInt64LE(SIGINFO.VALUE), SSI.PTR);
}
