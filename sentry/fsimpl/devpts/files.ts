/**
 * Open descriptions of a pty's two ends. Reads that cannot complete park
 * the task on the pty's wait queue (see kernel/wait.ts); the tty ioctls
 * shared by both ends act on the pair, as Linux's do on the slave
 * (tty_pair_get_tty); job control applies when the pair is the caller's
 * controlling terminal.
 */
import { CAP } from '../../abi/linux/capability';
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { SIG } from '../../abi/linux/signal';
import {
  FIONREAD, KERNEL_TERMIOS_SIZE, LFLAG, N_TTY, TCFLSH, TCGETS, TCGETS2, TCIFLUSH, TCIOFF, TCIOFLUSH, TCION, TCOFLUSH,
  TCOOFF, TCOON, TCSBRK, TCSBRKP, TCSETS, TCSETS2, TCSETSF, TCSETSF2, TCSETSW, TCSETSW2, TCXONC, TERMIOS2_SIZE,
  TIOCCBRK, TIOCEXCL, TIOCGDEV, TIOCGETD, TIOCGEXCL, TIOCGPGRP, TIOCGPTLCK, TIOCGPTN, TIOCGPTPEER, TIOCGSID, TIOCGWINSZ,
  TIOCNOTTY, TIOCNXCL, TIOCOUTQ, TIOCSCTTY, TIOCSBRK, TIOCSETD, TIOCSPGRP, TIOCSPTLCK, TIOCSWINSZ, VSTART, VSTOP,
  WINSIZE_SIZE,
} from '../../abi/linux/tty';
import { fail } from '../../errors/linuxerr';
import { waitFor } from '../../kernel/poll';
import type { Task } from '../../kernel/task';
import { Block } from '../../kernel/wait';
import { writeI32 } from '../../kernel/usermem';
import type { MemoryIO } from '../../platform/platform';
import { FileDescription, StreamFileBase, Stat } from '../../vfs/file';
import { checkBackground, groupMembers } from './jobcontrol';
import { OUTPUT_MAX } from './ldisc';
import { Pty } from './pty';
import { decodeTermios, encodeTermios } from './termios';

/** What a pty's files need from devpts: the slave's node (stat, device number) and opening it. */
export interface PtyNodes {
  slaveStat(pty: Pty): Stat;
  masterStat(): Stat;
  /** Opens a new slave description (EIO while locked or after hangup). */
  openSlave(pty: Pty, flags: number): FileDescription;
  /** The pty that is the controlling terminal of session `sid`, if any. */
  controlling(sid: number): Pty | undefined;
  /** The master is gone: /dev/pts/N disappears. */
  remove(pty: Pty): void;
}

const DECISECOND_NS = 100_000_000n;

/** Whatever the ends share: access checks and the tty ioctls of the pair. */
abstract class PtyFile extends StreamFileBase {
  constructor(
    readonly pty: Pty,
    protected readonly nodes: PtyNodes,
    path: string,
    flags: number,
  ) {
    super(path, flags);
  }

  get waitQueue() {
    return this.pty.queue;
  }

  protected get nonblock(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  protected checkAccess(write: boolean): void {
    const acc = this.flags & O.ACCMODE;
    if (write ? acc === O.RDONLY : acc === O.WRONLY) fail('EBADF', this.path);
  }


  /** Whether the pair is `t`'s controlling terminal. */
  protected controlsCaller(t: Task): boolean {
    return this.pty.controls(t.process.sid);
  }

  /** tty_check_change for settings changes: background groups get SIGTTOU. */
  protected checkChange(t: Task): void {
    if (this.controlsCaller(t)) checkBackground(t, this.pty.foreground, SIG.SIGTTOU);
  }

  /** The ioctls both ends answer; undefined when `cmd` is not one of them. */
  protected ttyIoctl(t: Task, mem: MemoryIO, cmd: number, arg: number): number | undefined {
    const pty = this.pty;
    const ld = pty.ldisc;
    switch (cmd) {
      case TCGETS:
      case TCGETS2:
        mem.write(arg, encodeTermios(ld.termios, cmd === TCGETS ? KERNEL_TERMIOS_SIZE : TERMIOS2_SIZE));
        return 0;
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
      case TCSETS2:
      case TCSETSW2:
      case TCSETSF2: {
        const two = cmd === TCSETS2 || cmd === TCSETSW2 || cmd === TCSETSF2;
        const next = decodeTermios(mem.read(arg, two ? TERMIOS2_SIZE : KERNEL_TERMIOS_SIZE), ld.termios);
        this.checkChange(t);
        if (cmd === TCSETSF || cmd === TCSETSF2) ld.flush(TCIFLUSH);
        ld.setTermios(next);
        pty.queue.notify();
        return 0;
      }
      case TIOCGWINSZ:
        mem.write(arg, pty.winsize);
        return 0;
      case TIOCSWINSZ:
        pty.setWinsize(mem.read(arg, WINSIZE_SIZE));
        return 0;
      case TCFLSH:
        this.flush(arg);
        pty.queue.notify();
        return 0;
      case TCXONC:
        this.checkChange(t);
        this.flowControl(arg);
        pty.queue.notify();
        return 0;
      case TCSBRK:
      case TCSBRKP:
      case TIOCSBRK:
      case TIOCCBRK:
        // Output is handed to the master at once: nothing to drain, and a pty has no line to break.
        return 0;
      case TIOCOUTQ:
        writeI32(mem, arg, 0);
        return 0;
      case TIOCGETD:
        writeI32(mem, arg, N_TTY);
        return 0;
      case TIOCSETD:
        if (mem.read(arg, 4).readInt32LE(0) !== N_TTY) fail('EINVAL', 'only N_TTY');
        return 0;
      case TIOCEXCL:
      case TIOCNXCL:
        pty.exclusive = cmd === TIOCEXCL;
        return 0;
      case TIOCGEXCL:
        writeI32(mem, arg, pty.exclusive ? 1 : 0);
        return 0;
      case TIOCGDEV:
        writeI32(mem, arg, this.nodes.slaveStat(pty).rdev);
        return 0;
      case TIOCSCTTY:
        return this.setControlling(t, arg);
      case TIOCNOTTY:
        if (!this.controlsCaller(t)) fail('ENOTTY', 'not the controlling terminal');
        if (t.process.pid === t.process.sid) pty.disassociate();
        return 0;
      case TIOCGPGRP:
        if (this.isSlave && !this.controlsCaller(t)) fail('ENOTTY', 'not the controlling terminal');
        writeI32(mem, arg, pty.foreground ?? 0);
        return 0;
      case TIOCSPGRP:
        return this.setForeground(t, mem.read(arg, 4).readInt32LE(0));
      case TIOCGSID: {
        if (this.isSlave && !this.controlsCaller(t)) fail('ENOTTY', 'not the controlling terminal');
        const sid = pty.controllingSession() ?? fail('ENOTTY', 'no session');
        writeI32(mem, arg, sid);
        return 0;
      }
      default:
        return undefined;
    }
  }

  protected abstract readonly isSlave: boolean;
  /** TCFLSH from this end's point of view (a master's input is the slave's output). */
  protected abstract flush(which: number): void;

  private flowControl(action: number): void {
    const ld = this.pty.ldisc;
    switch (action) {
      case TCOOFF:
      case TCOON:
        ld.stopped = action === TCOOFF;
        return;
      case TCIOFF:
      case TCION:
        ld.sendRaw(ld.termios.cc[action === TCIOFF ? VSTOP : VSTART]);
        return;
      default:
        fail('EINVAL', `TCXONC ${action}`);
    }
  }

  /** TIOCSCTTY: a session leader without a terminal takes this one (stealing needs arg 1 and CAP_SYS_ADMIN). */
  private setControlling(t: Task, arg: number): number {
    const p = t.process;
    const pty = this.pty;
    if (pty.controls(p.sid)) return 0;
    if (p.pid !== p.sid || this.nodes.controlling(p.sid) !== undefined) fail('EPERM', 'not a session leader without a terminal');
    if (pty.controllingSession() !== undefined) {
      if (arg !== 1 || !p.creds.hasCap(CAP.SYS_ADMIN)) fail('EPERM', 'controlling terminal of another session');
      pty.disassociate();
    }
    pty.session = p.sid;
    pty.foreground = p.pgid;
    return 0;
  }

  /** tcsetpgrp: a group of the caller's session becomes the foreground. */
  private setForeground(t: Task, pgid: number): number {
    if (!this.controlsCaller(t)) fail('ENOTTY', 'not the controlling terminal');
    if (pgid < 0) fail('EINVAL', `pgrp ${pgid}`);
    this.checkChange(t);
    const members = groupMembers(t.kernel, pgid);
    if (members.length === 0) fail('ESRCH', `pgrp ${pgid}`);
    if (members.some((m) => m.sid !== t.process.sid)) fail('EPERM', `pgrp ${pgid} is in another session`);
    this.pty.foreground = pgid;
    return 0;
  }
}

/** The master end (/dev/ptmx): reads the slave's output, writes its input. */
export class MasterFile extends PtyFile {
  protected override readonly isSlave = false;

  read(dst: Buffer): number {
    this.checkAccess(false);
    if (dst.length === 0) return 0;
    const ld = this.pty.ldisc;
    if (ld.outputBytes === 0) {
      if (this.pty.slaveClosed) fail('EIO', 'slave closed');
      if (this.nonblock) fail('EAGAIN');
      throw new Block([this.pty.queue]);
    }
    const n = ld.readOutput(dst);
    this.pty.queue.notify();
    return n;
  }

  write(src: Buffer): number {
    this.checkAccess(true);
    this.pty.ldisc.receive(src);
    this.pty.queue.notify();
    return src.length;
  }

  readiness(): number {
    let r = POLL.OUT | POLL.WRNORM;
    if (this.pty.ldisc.outputBytes > 0) r |= POLL.IN | POLL.RDNORM;
    if (this.pty.slaveClosed) r |= POLL.HUP;
    return r;
  }

  stat(): Stat {
    return this.nodes.masterStat();
  }

  protected flush(which: number): void {
    const swap = which === TCIFLUSH ? TCOFLUSH : which === TCOFLUSH ? TCIFLUSH : which;
    if (swap !== TCIFLUSH && swap !== TCOFLUSH && swap !== TCIOFLUSH) fail('EINVAL', `TCFLSH ${which}`);
    this.pty.ldisc.flush(swap);
  }

  ioctl(mem: MemoryIO, cmd: number, arg: number, t: Task): number {
    switch (cmd) {
      case TIOCGPTN:
        writeI32(mem, arg, this.pty.index);
        return 0;
      case TIOCSPTLCK:
        this.pty.locked = mem.read(arg, 4).readInt32LE(0) !== 0;
        return 0;
      case TIOCGPTLCK:
        writeI32(mem, arg, this.pty.locked ? 1 : 0);
        return 0;
      case TIOCGPTPEER:
        return installPeer(t, this.nodes.openSlave(this.pty, arg));
      case FIONREAD:
        writeI32(mem, arg, this.pty.ldisc.outputBytes);
        return 0;
      default:
        return this.ttyIoctl(t, mem, cmd, arg) ?? fail('ENOTTY', `pty master ioctl ${cmd.toString(16)}`);
    }
  }

  protected override release(): void {
    this.pty.masterReleased();
    this.nodes.remove(this.pty);
  }
}

/** TIOCGPTPEER returns a new fd (O_CLOEXEC honoured) for the slave. */
function installPeer(t: Task, f: FileDescription): number {
  try {
    return t.process.fds.install(f, { cloexec: (f.flags & O.CLOEXEC) !== 0 });
  } catch (e) {
    f.decRef();
    throw e;
  }
}

/** The slave end (/dev/pts/N): the terminal programs see. */
export class SlaveFile extends PtyFile {
  protected override readonly isSlave = true;

  constructor(pty: Pty, nodes: PtyNodes, flags: number) {
    super(pty, nodes, `/dev/pts/${pty.index}`, flags);
    pty.slaveOpened();
  }

  read(dst: Buffer, caller?: Task): number {
    this.checkAccess(false);
    const pty = this.pty;
    if (pty.masterClosed) return 0;
    if (caller && this.controlsCaller(caller)) checkBackground(caller, pty.foreground, SIG.SIGTTIN);
    if (dst.length === 0) return 0;
    const ld = pty.ldisc;
    const timing = ld.rawTiming;
    if (!timing) {
      if (ld.readable()) return this.take(dst);
      if (this.nonblock) fail('EAGAIN');
      throw new Block([pty.queue]);
    }
    // Non-canonical: VMIN bytes (at most the count), VTIME in tenths of a second.
    const want = Math.max(1, Math.min(timing.min, dst.length));
    const polling = timing.min === 0 && timing.time === 0;
    if (ld.rawLength >= want || polling) return this.take(dst);
    if (this.nonblock) return ld.rawLength > 0 ? this.take(dst) : fail('EAGAIN');
    // With VMIN > 0 the timer starts at the first byte (t.deadline is fixed by the first waitFor).
    if (timing.time === 0 || !caller || ld.rawLength === 0 && timing.min > 0) throw new Block([pty.queue]);
    waitFor(caller, [pty.queue], BigInt(timing.time) * DECISECOND_NS, () => (ld.rawLength >= want ? true : undefined));
    return this.take(dst);
  }

  private take(dst: Buffer): number {
    const n = this.pty.ldisc.read(dst);
    this.pty.queue.notify();
    return n;
  }

  write(src: Buffer, caller?: Task): number {
    this.checkAccess(true);
    const pty = this.pty;
    if (pty.masterClosed) fail('EIO', 'hung up');
    if (caller && pty.ldisc.termios.lflag & LFLAG.TOSTOP && this.controlsCaller(caller)) {
      checkBackground(caller, pty.foreground, SIG.SIGTTOU);
    }
    if (src.length === 0) return 0;
    const ld = pty.ldisc;
    if (!ld.writable) {
      if (this.nonblock) fail('EAGAIN');
      throw new Block([pty.queue]);
    }
    const n = Math.min(src.length, OUTPUT_MAX - ld.outputBytes);
    ld.write(src.subarray(0, n));
    pty.queue.notify();
    return n;
  }

  readiness(): number {
    const pty = this.pty;
    if (pty.masterClosed) return POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.ERR | POLL.HUP;
    let r = 0;
    if (pty.ldisc.readable(true)) r |= POLL.IN | POLL.RDNORM;
    if (pty.ldisc.writable) r |= POLL.OUT | POLL.WRNORM;
    return r;
  }

  stat(): Stat {
    return this.nodes.slaveStat(this.pty);
  }

  protected flush(which: number): void {
    if (which !== TCIFLUSH && which !== TCOFLUSH && which !== TCIOFLUSH) fail('EINVAL', `TCFLSH ${which}`);
    this.pty.ldisc.flush(which);
  }

  ioctl(mem: MemoryIO, cmd: number, arg: number, t: Task): number {
    if (this.pty.masterClosed) return fail(cmd === TIOCSPGRP ? 'ENOTTY' : 'EIO', 'hung up');
    if (cmd === FIONREAD) {
      writeI32(mem, arg, this.pty.ldisc.inputBytes);
      return 0;
    }
    return this.ttyIoctl(t, mem, cmd, arg) ?? fail('ENOTTY', `pty slave ioctl ${cmd.toString(16)}`);
  }

  protected override release(): void {
    this.pty.slaveReleased();
  }
}

