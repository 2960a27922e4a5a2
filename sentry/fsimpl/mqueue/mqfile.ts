/**
 * A POSIX message queue descriptor (mq_open(2)). It reads as Linux's
 * mqueue file does: one status line (QSIZE, NOTIFY, SIGNO, NOTIFY_PID),
 * then end of file; polls readable while messages are queued and writable
 * while there is room. /proc/[pid]/fd names it /NAME, as the mqueue
 * filesystem's root holds it. Not supported: the mqueue filesystem itself
 * (/dev/mqueue).
 */
import { O, S_IFREG, SEEK } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { SIGEV } from '../../abi/linux/sigframe';
import { fail } from '../../errors/linuxerr';
import type { MessageQueue, MqNamespace } from '../../kernel/ipc/mqueue';
import { FileDescriptionBase, type Stat } from '../../vfs/file';

/** st_dev of the mqueue filesystem (an anonymous superblock's; apps only compare it). */
const MQUEUE_DEV = 0x13;
/** Linux's mqueue inodes all say 80 bytes (FILENT_SIZE). */
const FILENT_SIZE = 80;

/** A queue's inode as fstat reports it (and open's permission check reads it). */
export function queueStat(q: MessageQueue): Stat {
  const epoch = { sec: 0, nsec: 0 };
  return {
    dev: MQUEUE_DEV, ino: q.ino, mode: S_IFREG | q.mode, nlink: q.unlinked ? 0 : 1, uid: q.uid, gid: q.gid, rdev: 0,
    size: FILENT_SIZE, blksize: 4096, blocks: 0, atime: epoch, mtime: epoch, ctime: epoch,
  };
}

export class MqFile extends FileDescriptionBase {
  /** The file position, which reads of the status line advance (default_llseek moves it). */
  private pos = 0;

  constructor(
    readonly queue: MessageQueue,
    private readonly ns: MqNamespace,
    flags: number,
  ) {
    super(`/${queue.name}`, flags);
    queue.opens++;
  }

  get waitQueue() {
    return this.queue.waitQueue;
  }

  /** Opened for mq_receive (O_RDONLY or O_RDWR; a new queue opened with access mode 3 allows neither). */
  get readable(): boolean {
    const acc = this.flags & O.ACCMODE;
    return acc === O.RDONLY || acc === O.RDWR;
  }

  get writable(): boolean {
    const acc = this.flags & O.ACCMODE;
    return acc === O.WRONLY || acc === O.RDWR;
  }

  /** The status line: bytes queued, the notification's kind, signal and owner. */
  status(): string {
    const q = this.queue;
    const n = q.notification;
    const signo = n?.notify === SIGEV.SIGNAL ? n.signo : 0;
    return `QSIZE:${String(q.bytes).padEnd(10)} NOTIFY:${String(n?.notify ?? 0).padEnd(5)} SIGNO:${String(signo).padEnd(5)} NOTIFY_PID:${String(n?.owner.pid ?? 0).padEnd(6)}\n`;
  }

  read(dst: Buffer): number {
    const n = this.pread(dst, this.pos);
    this.pos += n;
    return n;
  }

  pread(dst: Buffer, offset: number): number {
    const line = Buffer.from(this.status());
    return offset >= line.length ? 0 : line.copy(dst, 0, offset);
  }

  write(): number {
    return fail('EINVAL', 'write to a message queue descriptor');
  }

  pwrite(): number {
    return fail('EINVAL', 'write to a message queue descriptor');
  }

  seek(offset: number, whence: number): number {
    const base = whence === SEEK.SET ? 0 : whence === SEEK.CUR ? this.pos : whence === SEEK.END ? FILENT_SIZE : fail('EINVAL', `whence ${whence}`);
    if (base + offset < 0) fail('EINVAL', 'negative position');
    this.pos = base + offset;
    return this.pos;
  }

  readiness(): number {
    let r = 0;
    if (this.queue.length > 0) r |= POLL.IN | POLL.RDNORM;
    if (!this.queue.full) r |= POLL.OUT | POLL.WRNORM;
    return r;
  }

  stat(): Stat {
    return queueStat(this.queue);
  }

  protected override release(): void {
    this.ns.closed(this.queue);
  }
}
