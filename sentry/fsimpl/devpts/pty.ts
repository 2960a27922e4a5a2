/**
 * One pseudo-terminal pair: the line discipline between master and slave,
 * the window size, the controlling-terminal state (session and foreground
 * process group) and the open/closed state of both ends. Every change that
 * can alter readiness notifies `queue`, which both ends' files expose.
 */
import { SIG } from '../../abi/linux/signal';
import { WINSIZE_SIZE } from '../../abi/linux/tty';
import type { Kernel } from '../../kernel/kernel';
import { queueSignal } from '../../kernel/signal/send';
import { WaitQueue } from '../../kernel/wait';
import { signalGroup } from './jobcontrol';
import { LineDiscipline } from './ldisc';

export class Pty {
  readonly queue = new WaitQueue();
  readonly ldisc: LineDiscipline;
  /** TIOCSPTLCK: the slave cannot be opened while locked (a new pty starts locked). */
  locked = true;
  /** struct winsize as set by TIOCSWINSZ (rows, cols, xpixel, ypixel). */
  winsize = Buffer.alloc(WINSIZE_SIZE);
  /** The session this is the controlling terminal of, and its foreground process group. */
  session: number | undefined;
  foreground: number | undefined;
  /** The master was closed: the slave is hung up for good. */
  masterClosed = false;
  /** Open slave descriptions; when the last closes, master reads fail with EIO. */
  slaveOpens = 0;
  slaveClosed = false;
  /** TIOCEXCL: further opens of the slave fail with EBUSY (except by root). */
  exclusive = false;

  constructor(
    readonly kernel: Kernel,
    readonly index: number,
  ) {
    this.ldisc = new LineDiscipline((signo) => this.signalForeground(signo));
  }

  /** The session, if its leader still runs (Linux drops the terminal when the leader exits). */
  controllingSession(): number | undefined {
    if (this.session === undefined) return undefined;
    const leader = this.kernel.processes.get(this.session);
    if (leader === undefined || leader.exitStatus !== undefined) this.session = this.foreground = undefined;
    return this.session;
  }

  /** Whether this is the controlling terminal of `sid`. */
  controls(sid: number): boolean {
    return this.controllingSession() === sid;
  }

  /** INTR/QUIT/SUSP and SIGWINCH go to the foreground group. */
  signalForeground(signo: number): void {
    if (this.controllingSession() !== undefined && this.foreground !== undefined) {
      signalGroup(this.kernel, this.foreground, signo);
    }
  }

  /** TIOCSWINSZ: a changed size raises SIGWINCH in the foreground group. */
  setWinsize(ws: Buffer): void {
    if (ws.equals(this.winsize)) return;
    this.winsize = Buffer.from(ws);
    this.signalForeground(SIG.SIGWINCH);
  }

  slaveOpened(): void {
    this.slaveOpens++;
    this.slaveClosed = false;
    this.queue.notify();
  }

  slaveReleased(): void {
    if (--this.slaveOpens === 0) this.slaveClosed = true;
    this.queue.notify();
  }

  /**
   * The master's last reference is gone: the slave hangs up. Like Linux's
   * tty_vhangup, the session leader gets SIGHUP and SIGCONT and the
   * session loses its controlling terminal.
   */
  masterReleased(): void {
    this.masterClosed = true;
    const sid = this.controllingSession();
    const leader = sid === undefined ? undefined : this.kernel.processes.get(sid);
    if (leader) {
      queueSignal(leader, SIG.SIGHUP);
      queueSignal(leader, SIG.SIGCONT);
    }
    this.session = this.foreground = undefined;
    this.queue.notify();
  }

  /** TIOCNOTTY by the session leader (disassociate_ctty): the foreground group gets SIGHUP and SIGCONT. */
  disassociate(): void {
    const fg = this.foreground;
    this.session = this.foreground = undefined;
    if (fg === undefined) return;
    signalGroup(this.kernel, fg, SIG.SIGHUP);
    signalGroup(this.kernel, fg, SIG.SIGCONT);
  }
}
