/**
 * Pipes: a bounded byte ring shared by a read end and a write end, with
 * Linux's pipe(7) semantics. The Pipe object knows nothing about how its
 * ends were opened: a FIFO's opens share one (fifo.ts).
 */
import { FIONREAD, O, S_IFIFO } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import { Block, WaitQueue } from '../../kernel/wait';
import type { MemoryIO } from '../../platform/platform';
import { StreamFileBase, Stat, Timespec } from '../../vfs/file';
import { nowTimespec } from '../../vfs/inode';

/** Writes up to PIPE_BUF bytes are atomic: all or nothing. */
export const PIPE_BUF = 4096;
/** Default capacity: 16 pages, like Linux. */
export const PIPE_DEFAULT_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size default. */
export const PIPE_MAX_SIZE = 1 << 20;
/** Device number of Linux's pipefs (anonymous, minor 12 on a typical boot; apps only compare it). */
const PIPEFS_DEV = 12;

let nextPipeIno = 1;

export class Pipe {
  readonly ino = nextPipeIno++;
  /** Notified on every change that can alter either end's readiness. */
  readonly queue = new WaitQueue();
  readers = 0;
  writers = 0;
  private buf: Buffer;
  private head = 0; // next byte to read
  private used = 0;
  private readonly created: Timespec = nowTimespec();

  constructor(
    private readonly uid: number,
    private readonly gid: number,
    capacity = PIPE_DEFAULT_SIZE,
  ) {
    this.buf = Buffer.alloc(capacity);
  }

  get capacity(): number {
    return this.buf.length;
  }

  get available(): number {
    return this.used;
  }

  /** Bytes a writer may add now. */
  get free(): number {
    return this.buf.length - this.used;
  }

  /**
   * One read(2): EOF (0) with no writers left, EAGAIN/Block while empty,
   * otherwise as many bytes as are buffered, up to dst.length.
   */
  read(dst: Buffer, nonblock: boolean): number {
    if (dst.length === 0 || this.awaitData(nonblock) === 0) return 0;
    const n = this.peek(dst);
    this.consume(n);
    return n;
  }

  /**
   * Before taking data (read, splice, tee, vmsplice): the bytes buffered,
   * 0 at EOF (empty with no writers left); EAGAIN/Block while empty.
   */
  awaitData(nonblock: boolean): number {
    if (this.used === 0 && this.writers > 0) {
      if (nonblock) fail('EAGAIN', 'pipe empty');
      throw new Block([this.queue], undefined, 0, 'restart');
    }
    return this.used;
  }

  /** Before adding `need` bytes at once: EPIPE without readers (the caller raises SIGPIPE), EAGAIN/Block until they fit; the bytes free. */
  awaitRoom(need: number, nonblock: boolean): number {
    if (this.readers === 0) fail('EPIPE', 'pipe has no readers');
    if (this.free < need) {
      if (nonblock) fail('EAGAIN', 'pipe full');
      throw new Block([this.queue], undefined, 0, 'restart');
    }
    return this.free;
  }

  /** Copies the first bytes buffered (at most dst.length) without taking them; how many. */
  peek(dst: Buffer): number {
    const n = Math.min(dst.length, this.used);
    const first = Math.min(n, this.buf.length - this.head);
    this.buf.copy(dst, 0, this.head, this.head + first);
    this.buf.copy(dst, first, 0, n - first);
    return n;
  }

  /** Takes the first `n` bytes buffered (what a read or a splice moved on). */
  consume(n: number): void {
    this.head = (this.head + n) % this.buf.length;
    this.used -= n;
    this.queue.notify();
  }

  /**
   * One write(2): EPIPE without readers (the caller raises SIGPIPE); a
   * write of at most PIPE_BUF bytes goes in whole or waits; a larger one
   * takes what fits and waits only when nothing fits.
   */
  write(src: Buffer, nonblock: boolean): number {
    if (src.length === 0) return 0;
    this.awaitRoom(src.length <= PIPE_BUF ? src.length : 1, nonblock);
    const n = Math.min(src.length, this.free);
    const tail = (this.head + this.used) % this.buf.length;
    const first = Math.min(n, this.buf.length - tail);
    src.copy(this.buf, tail, 0, first);
    src.copy(this.buf, 0, first, n);
    this.used += n;
    this.queue.notify();
    return n;
  }

  /** F_SETPIPE_SZ: rounds up to a power-of-two number of pages; EBUSY if the data would not fit. */
  resize(size: number): number {
    if (size <= 0 || size > PIPE_MAX_SIZE) fail(size <= 0 ? 'EINVAL' : 'EPERM', `pipe size ${size}`);
    let cap = 4096;
    while (cap < size) cap *= 2;
    if (cap < this.used) fail('EBUSY', 'pipe holds more data');
    const next = Buffer.alloc(cap);
    const old = Buffer.alloc(this.used);
    this.read(old, true);
    old.copy(next);
    this.buf = next;
    this.head = 0;
    this.used = old.length;
    this.queue.notify();
    return cap;
  }

  /** poll(2) bits for an end opened with `access` (O_RDONLY/O_WRONLY/O_RDWR). */
  readiness(access: number): number {
    let r = 0;
    if (access !== O.WRONLY) {
      if (this.used > 0) r |= POLL.IN | POLL.RDNORM;
      if (this.writers === 0) r |= POLL.HUP;
    }
    if (access !== O.RDONLY) {
      if (this.free >= PIPE_BUF) r |= POLL.OUT | POLL.WRNORM;
      if (this.readers === 0) r |= POLL.ERR;
    }
    return r;
  }

  stat(): Stat {
    return {
      dev: PIPEFS_DEV, ino: this.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: this.uid, gid: this.gid, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: this.created, mtime: this.created, ctime: this.created,
    };
  }

  /** An end comes or goes: readers of a writerless pipe see EOF, writers see EPIPE. */
  open(access: number): void {
    if (access !== O.WRONLY) this.readers++;
    if (access !== O.RDONLY) this.writers++;
    this.queue.notify();
  }

  close(access: number): void {
    if (access !== O.WRONLY) this.readers--;
    if (access !== O.RDONLY) this.writers--;
    this.queue.notify();
  }
}

/** One end of a pipe: its access mode says which. Offsets do not exist (ESPIPE). */
export class PipeFile extends StreamFileBase {
  readonly waitQueue: WaitQueue;

  constructor(
    readonly pipe: Pipe,
    flags: number,
    /** What /proc/[pid]/fd shows: pipe:[ino], or a FIFO's path. */
    name = `pipe:[${pipe.ino}]`,
  ) {
    super(name, flags);
    this.waitQueue = pipe.queue;
    pipe.open(this.access);
  }

  private get access(): number {
    return this.flags & O.ACCMODE;
  }

  private get nonblock(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  read(dst: Buffer): number {
    if (this.access === O.WRONLY) fail('EBADF', 'read from a pipe write end');
    return this.pipe.read(dst, this.nonblock);
  }

  write(src: Buffer): number {
    if (this.access === O.RDONLY) fail('EBADF', 'write to a pipe read end');
    return this.pipe.write(src, this.nonblock);
  }


  stat(): Stat {
    return this.pipe.stat();
  }

  readiness(): number {
    return this.pipe.readiness(this.access);
  }

  /** FIONREAD: bytes buffered. */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    if (cmd !== FIONREAD) fail('ENOTTY', `pipe ioctl ${cmd.toString(16)}`);
    const b = Buffer.alloc(4);
    b.writeInt32LE(this.pipe.available);
    mem.write(arg, b);
    return 0;
  }

  protected override release(): void {
    this.pipe.close(this.access);
  }
}

/** pipe2(2)'s two descriptions: [read end, write end], sharing `statusFlags` (O_NONBLOCK). */
export function newPipe(uid: number, gid: number, statusFlags: number): [PipeFile, PipeFile] {
  const p = new Pipe(uid, gid);
  return [new PipeFile(p, O.RDONLY | statusFlags), new PipeFile(p, O.WRONLY | statusFlags)];
}
