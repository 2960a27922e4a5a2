/**
 * The sandbox's stdio: descriptions backed by the Sentry's own host fds
 * 0..2. A read that would block parks the task (the scheduler polls the
 * host fd when nothing else runs); writes block the Sentry; tty ioctls are
 * passed to the host when it is a terminal.
 */
import {
  FIONREAD, KERNEL_TERMIOS_SIZE, O, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, TCGETS, TCSETS, TCSETSF, TCSETSW,
  TIOCGWINSZ, TIOCSWINSZ, WINSIZE_SIZE,
} from '../../abi/linux/fs';
import { fail, LinuxError } from '../../errors/linuxerr';
import type { MemoryIO } from '../../platform/platform';
import { HostError } from '../../platform/host/libc';
import {
  hostFstat, hostIoctl, hostIsatty, hostLseek, hostPoll, hostPread, hostPwrite, hostRead, hostSetNonblocking, hostWrite, hostWriteNow,
} from '../../platform/host/hostfd';
import { Block, WaitQueue } from '../../kernel/wait';
import { hostWaiters, HostWaiter } from '../../kernel/hostwait';
import { closeFd } from '../../platform/host/fdio';
import { FileDescriptionBase, Stat } from '../../vfs/file';
import { decodeStat } from '../../vfs/structs';

/** Runs a host call, turning its HostError into the same LinuxError. */
export function host<T>(op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof HostError) throw new LinuxError(e.errno, `host ${e.call}`);
    throw e;
  }
}

/** The /proc/[pid]/fd name of a host file, by type. */
function describe(st: Stat, fd: number): string {
  switch (st.mode & S_IFMT) {
    case S_IFIFO:
      return `pipe:[${st.ino}]`;
    case S_IFSOCK:
      return `socket:[${st.ino}]`;
    case S_IFCHR:
      return '/dev/pts/0';
    default:
      return `host:[${fd}]`;
  }
}

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;

export class HostFile extends FileDescriptionBase {
  private readonly tty: boolean;
  private readonly regular: boolean;
  readonly waitQueue = new WaitQueue();

  private readonly waiter: HostWaiter | undefined;

  /** `owned`: the sandbox got this fd for itself (a pod exec's stdio) and closes it with the last reference. */
  constructor(
    readonly hostFd: number,
    flags: number,
    private readonly owned = false,
  ) {
    const st = host(() => decodeStat(hostFstat(hostFd)));
    super(describe(st, hostFd), flags);
    this.tty = hostIsatty(hostFd);
    this.regular = (st.mode & S_IFMT) === S_IFREG;
    if (!this.regular) {
      this.waiter = { fd: hostFd, events: POLLIN, queue: this.waitQueue };
      hostWaiters.add(this.waiter);
    }
    if (owned && !this.regular) {
      // A peer that stops reading (an exec client gone quiet) must park the writer, not freeze the Sentry.
      host(() => hostSetNonblocking(hostFd));
      this.writeWaiter = { fd: hostFd, events: POLLOUT, queue: this.writeQueue };
      hostWaiters.add(this.writeWaiter);
    }
  }

  private readonly writeQueue = new WaitQueue();
  private readonly writeWaiter: HostWaiter | undefined;

  protected override release(): void {
    if (!this.owned) return;
    if (this.waiter) hostWaiters.delete(this.waiter);
    if (this.writeWaiter) hostWaiters.delete(this.writeWaiter);
    closeFd(this.hostFd);
  }

  /** poll(2) events of the host fd now (a regular file is always ready). */
  readiness(): number {
    if (this.regular) return POLLIN | POLLOUT;
    return hostPoll([{ fd: this.hostFd, events: POLLIN | POLLOUT }], 0)[0];
  }

  private checkAccess(write: boolean): void {
    const acc = this.flags & O.ACCMODE;
    if (write ? acc === O.RDONLY : acc === O.WRONLY) fail('EBADF', `host fd ${this.hostFd}`);
  }

  read(dst: Buffer): number {
    this.checkAccess(false);
    if (!this.regular && !(this.readiness() & (POLLIN | POLLHUP | POLLERR))) {
      if (this.flags & O.NONBLOCK) fail('EAGAIN');
      throw new Block([this.waitQueue]);
    }
    return host(() => hostRead(this.hostFd, dst));
  }

  pread(dst: Buffer, offset: number): number {
    this.checkAccess(false);
    return host(() => hostPread(this.hostFd, dst, offset));
  }

  write(src: Buffer): number {
    this.checkAccess(true);
    if (!this.owned || this.regular) return host(() => hostWrite(this.hostFd, src));
    // An owned fd is non-blocking on the host: the app's own O_NONBLOCK decides between EAGAIN and waiting.
    const n = host(() => hostWriteNow(this.hostFd, src));
    if (n !== undefined) return n;
    if (this.flags & O.NONBLOCK) fail('EAGAIN', `host fd ${this.hostFd}`);
    throw new Block([this.writeQueue]);
  }

  pwrite(src: Buffer, offset: number): number {
    this.checkAccess(true);
    return host(() => hostPwrite(this.hostFd, src, offset));
  }

  seek(offset: number, whence: number): number {
    return host(() => hostLseek(this.hostFd, offset, whence));
  }

  /**
   * The host fd's attributes, except that a host socket (a runtime that
   * wires stdio through socketpairs) shows as a FIFO: the app cannot use it
   * as a socket in the sandbox (getsockname and friends are the sandbox's
   * own), and programs that see a socket on stdio (libuv, Node) treat it as
   * one and fail.
   */
  stat(): Stat {
    const st = host(() => decodeStat(hostFstat(this.hostFd)));
    return (st.mode & S_IFMT) === S_IFSOCK ? { ...st, mode: (st.mode & ~S_IFMT) | S_IFIFO } : st;
  }

  /**
   * TCGETS/TCSETS*, TIOCGWINSZ/TIOCSWINSZ on a terminal and FIONREAD are
   * passed through; anything else is ENOTTY.
   */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    const pass = (size: number, fromApp: boolean): number => {
      const buf = Buffer.alloc(64);
      if (fromApp) mem.readInto(arg, buf.subarray(0, size));
      host(() => hostIoctl(this.hostFd, cmd, buf));
      if (!fromApp) mem.write(arg, buf.subarray(0, size));
      return 0;
    };
    if (cmd === FIONREAD) return pass(4, false);
    if (!this.tty) return fail('ENOTTY', `host fd ${this.hostFd} is not a terminal`);
    switch (cmd) {
      case TCGETS:
        return pass(KERNEL_TERMIOS_SIZE, false);
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
        return pass(KERNEL_TERMIOS_SIZE, true);
      case TIOCGWINSZ:
        return pass(WINSIZE_SIZE, false);
      case TIOCSWINSZ:
        return pass(WINSIZE_SIZE, true);
      default:
        return fail('ENOTTY', `ioctl ${cmd.toString(16)}`);
    }
  }
}
