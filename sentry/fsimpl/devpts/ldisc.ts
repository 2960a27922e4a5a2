/**
 * A subset of Linux's N_TTY line discipline (drivers/tty/n_tty.c), with
 * no kernel dependencies: input from the master is translated (ICRNL,
 * INLCR, IGNCR, ISTRIP), turned into signals (ISIG), edited into lines
 * (ICANON: ERASE, KILL, WERASE, LNEXT, EOF, EOL/EOL2) and echoed (ECHO,
 * ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL); output from the slave (and echo)
 * goes through OPOST (ONLCR, OCRNL, ONOCR, ONLRET, OLCUC) to the master.
 * IXON's STOP/START pause the slave's output. Waiting and job control are
 * the caller's business: this class only says what is available.
 */
import { SIG } from '../../abi/linux/signal';
import {
  IFLAG, LFLAG, OFLAG, TCIFLUSH, TCIOFLUSH, TCOFLUSH, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT,
  VSTART, VSTOP, VSUSP, VTIME, VWERASE,
} from '../../abi/linux/tty';
import { ByteQueue } from './queue';
import { defaultTermios, Termios } from './termios';

/** N_TTY_BUF_SIZE: a canonical line holds at most this many bytes minus one. */
export const INPUT_MAX = 4096;
/** How much slave output the master may leave unread before slave writes wait. */
export const OUTPUT_MAX = 65536;

const NL = 0x0a;
const CR = 0x0d;
const DEL = 0x7f;

/** A control character echoed in ^X form under ECHOCTL. */
function isCtl(c: number): boolean {
  return (c < 0x20 || c === DEL) && c !== 0x09 && c !== NL;
}

export class LineDiscipline {
  private tios: Termios = defaultTermios();
  /** Canonical mode: completed lines (EOF-ended ones without the EOF byte). */
  private lines: Buffer[] = [];
  /** Canonical mode: the line being edited. */
  private edit: number[] = [];
  /** Non-canonical mode: bytes ready to read. */
  private readonly raw = new ByteQueue();
  /** Output to the master (slave writes and echoes, after OPOST). */
  private readonly out = new ByteQueue();
  private column = 0;
  private literalNext = false;
  /** Output suspended by the STOP character or TCOOFF. */
  stopped = false;

  /** Called for INTR/QUIT/SUSP with the signal to send to the foreground process group. */
  constructor(private readonly onSignal: (signo: number) => void) {}

  get termios(): Termios {
    return this.tios;
  }

  /**
   * Installs new settings. Leaving canonical mode makes the edited text
   * readable; entering it turns pending raw input into one readable line.
   */
  setTermios(t: Termios): void {
    const wasCanon = this.canonical;
    this.tios = { ...t, cc: [...t.cc] };
    if (wasCanon && !this.canonical) {
      for (const l of this.lines) this.raw.push(l);
      this.raw.push(Buffer.from(this.edit));
      this.lines = [];
      this.edit = [];
    } else if (!wasCanon && this.canonical && this.raw.length > 0) {
      this.lines.push(this.raw.drain());
    }
    if (!(this.tios.iflag & IFLAG.IXON)) this.stopped = false;
  }

  private get canonical(): boolean {
    return (this.tios.lflag & LFLAG.ICANON) !== 0;
  }

  private lflag(bit: number): boolean {
    return (this.tios.lflag & bit) !== 0;
  }

  /** c_cc[i], or undefined when disabled (_POSIX_VDISABLE is NUL). */
  private cc(i: number): number | undefined {
    return this.tios.cc[i] || undefined;
  }

  // ---- input (master → slave) ----

  /** Bytes written to the master; they are all taken (a full canonical line drops the excess, as Linux does). */
  receive(src: Buffer): void {
    for (const b of src) this.receiveByte(b);
  }

  private receiveByte(b: number): void {
    let c = this.tios.iflag & IFLAG.ISTRIP ? b & 0x7f : b;
    if (this.literalNext) {
      this.literalNext = false;
      if (this.canonical && this.lflag(LFLAG.ECHO) && this.lflag(LFLAG.ECHOCTL)) this.emit(Buffer.from('\b\b'));
      this.store(c);
      return;
    }
    const iflag = this.tios.iflag;
    if (iflag & IFLAG.IXON) {
      if (c === this.cc(VSTOP)) {
        this.stopped = true;
        return;
      }
      if (c === this.cc(VSTART) || (this.stopped && iflag & IFLAG.IXANY)) {
        this.stopped = false;
        if (c === this.cc(VSTART)) return;
      }
    }
    if (this.lflag(LFLAG.ISIG)) {
      const sig = c === this.cc(VINTR) ? SIG.SIGINT : c === this.cc(VQUIT) ? SIG.SIGQUIT : c === this.cc(VSUSP) ? SIG.SIGTSTP : 0;
      if (sig) {
        if (!this.lflag(LFLAG.NOFLSH)) this.flush(TCIOFLUSH);
        this.onSignal(sig);
        if (this.lflag(LFLAG.ECHO)) this.echo(c);
        return;
      }
    }
    if (c === CR) {
      if (iflag & IFLAG.IGNCR) return;
      if (iflag & IFLAG.ICRNL) c = NL;
    } else if (c === NL && iflag & IFLAG.INLCR) {
      c = CR;
    }
    if (!this.canonical) {
      this.store(c);
      return;
    }
    const ext = this.lflag(LFLAG.IEXTEN);
    if (c === this.cc(VERASE)) this.erase('char');
    else if (c === this.cc(VKILL)) this.erase('line');
    else if (ext && c === this.cc(VWERASE)) this.erase('word');
    else if (ext && c === this.cc(VLNEXT)) {
      this.literalNext = true;
      if (this.lflag(LFLAG.ECHO) && this.lflag(LFLAG.ECHOCTL)) this.emit(Buffer.from('^\b'));
    } else if (c === this.cc(VEOF)) {
      this.commit();
    } else if (c === NL || c === this.cc(VEOL) || (ext && c === this.cc(VEOL2))) {
      this.edit.push(c);
      if (this.lflag(LFLAG.ECHO) || (c === NL && this.lflag(LFLAG.ECHONL))) this.echo(c);
      this.commit();
    } else {
      this.store(c);
    }
  }

  /** An ordinary character: into the line (if it fits) or the raw queue, echoed. */
  private store(c: number): void {
    if (this.canonical) {
      if (this.edit.length >= INPUT_MAX - 1) return;
      this.edit.push(c);
    } else {
      this.raw.push(Buffer.of(c));
    }
    if (this.lflag(LFLAG.ECHO)) this.echo(c);
  }

  private commit(): void {
    this.lines.push(Buffer.from(this.edit));
    this.edit = [];
  }

  /** ERASE, WERASE and KILL on the line being edited, with their visual echo. */
  private erase(what: 'char' | 'word' | 'line'): void {
    const echo = this.lflag(LFLAG.ECHO);
    if (what === 'line' && echo && !(this.lflag(LFLAG.ECHOK) && this.lflag(LFLAG.ECHOKE) && this.lflag(LFLAG.ECHOE))) {
      // Without ECHOKE the kill character is echoed and (with ECHOK) a newline follows.
      this.edit = [];
      this.echo(this.tios.cc[VKILL]);
      if (this.lflag(LFLAG.ECHOK)) this.echo(NL);
      return;
    }
    let seenWord = false;
    while (this.edit.length > 0) {
      const last = this.edit[this.edit.length - 1];
      if (what === 'word') {
        const space = last === 0x20 || last === 0x09;
        if (space && seenWord) break;
        if (!space) seenWord = true;
      }
      const ch = this.popChar();
      if (echo) this.echoErase(ch, what);
      if (what === 'char') break;
    }
  }

  /** Removes the last character (a whole UTF-8 sequence under IUTF8); returns its bytes. */
  private popChar(): number[] {
    const utf8 = (this.tios.iflag & IFLAG.IUTF8) !== 0;
    const out: number[] = [];
    for (;;) {
      const b = this.edit.pop() as number;
      out.unshift(b);
      if (!utf8 || (b & 0xc0) !== 0x80 || this.edit.length === 0) return out;
    }
  }

  private echoErase(ch: number[], what: 'char' | 'word' | 'line'): void {
    if (!this.lflag(LFLAG.ECHOE)) {
      if (what === 'char') this.echo(this.tios.cc[VERASE]);
      return;
    }
    const width = this.lflag(LFLAG.ECHOCTL) && ch.length === 1 && isCtl(ch[0]) ? 2 : 1;
    this.emit(Buffer.from('\b \b'.repeat(width)));
  }

  /** Echoes one input character: ^X for controls under ECHOCTL, otherwise through OPOST. */
  private echo(c: number): void {
    if (this.lflag(LFLAG.ECHOCTL) && isCtl(c)) this.emit(Buffer.of(0x5e, c ^ 0o100));
    else this.emit(Buffer.of(c));
  }

  // ---- reading on the slave ----

  /**
   * Whether a slave read returns now: a whole line in canonical mode;
   * otherwise `min` bytes (VMIN when VTIME is 0 and `forPoll`, else 1).
   */
  readable(forPoll = false): boolean {
    if (this.canonical) return this.lines.length > 0;
    const min = forPoll && this.tios.cc[VTIME] === 0 ? Math.max(1, this.tios.cc[VMIN]) : 1;
    return this.raw.length >= min;
  }

  /** VMIN and VTIME (tenths of a second) for non-canonical reads; undefined in canonical mode. */
  get rawTiming(): { min: number; time: number } | undefined {
    return this.canonical ? undefined : { min: this.tios.cc[VMIN], time: this.tios.cc[VTIME] };
  }

  /** Bytes waiting in the raw queue (non-canonical mode). */
  get rawLength(): number {
    return this.raw.length;
  }

  /** Reads what is available: at most one line in canonical mode. */
  read(dst: Buffer): number {
    if (!this.canonical) return this.raw.take(dst);
    const line = this.lines[0];
    if (!line) return 0;
    const n = line.copy(dst);
    if (n === line.length) this.lines.shift();
    else this.lines[0] = line.subarray(n);
    return n;
  }

  /** FIONREAD on the slave: bytes of completed lines, or of the raw queue. */
  get inputBytes(): number {
    return this.canonical ? this.lines.reduce((n, l) => n + l.length, 0) : this.raw.length;
  }

  // ---- output (slave → master) ----

  /** Output the master has not read yet. */
  get outputBytes(): number {
    return this.out.length;
  }

  /** Whether a slave write can add output now. */
  get writable(): boolean {
    return !this.stopped && this.out.length < OUTPUT_MAX;
  }

  /** A slave write: processed by OPOST and queued for the master. */
  write(src: Buffer): void {
    this.emit(src);
  }

  /** Reads queued output on the master. */
  readOutput(dst: Buffer): number {
    return this.out.take(dst);
  }

  /** Queues a byte for the master as-is (TCIOFF/TCION send STOP/START). */
  sendRaw(c: number): void {
    this.out.push(Buffer.of(c));
  }

  private emit(src: Buffer): void {
    const oflag = this.tios.oflag;
    if (!(oflag & OFLAG.OPOST)) {
      this.out.push(Buffer.from(src));
      return;
    }
    const res: number[] = [];
    for (let c of src) {
      if (oflag & OFLAG.OLCUC && c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c === NL) {
        if (oflag & OFLAG.ONLCR) {
          res.push(CR);
          this.column = 0;
        } else if (oflag & OFLAG.ONLRET) {
          this.column = 0;
        }
      } else if (c === CR) {
        if (oflag & OFLAG.ONOCR && this.column === 0) continue;
        if (oflag & OFLAG.OCRNL) {
          c = NL;
          if (oflag & OFLAG.ONLRET) this.column = 0;
        } else {
          this.column = 0;
        }
      } else if (c === 0x09) {
        this.column = (this.column | 7) + 1;
      } else if (c === 0x08) {
        if (this.column > 0) this.column--;
      } else if (c >= 0x20 && (c & 0xc0) !== 0x80) {
        this.column++;
      }
      res.push(c);
    }
    this.out.push(Buffer.from(res));
  }

  /** TCFLSH: discards unread input, unread output, or both. */
  flush(which: number): void {
    if (which === TCIFLUSH || which === TCIOFLUSH) {
      this.lines = [];
      this.edit = [];
      this.raw.clear();
    }
    if (which === TCOFLUSH || which === TCIOFLUSH) this.out.clear();
  }
}
