/**
 * Named pipes (fifo(7)): the opens of one FIFO inode share one Pipe while
 * any end is open (Linux's inode->i_pipe; the data goes with the last
 * end), and an open waits for the other side as Linux's fifo_open does:
 * - O_RDONLY waits until a writer opens (at once with O_NONBLOCK; such a
 *   reader then sees no POLLHUP until a writer has come);
 * - O_WRONLY waits until a reader opens; with O_NONBLOCK and no reader it
 *   fails with ENXIO;
 * - O_RDWR never waits.
 * A waiting opener already counts as an end (a writer that then finds it
 * needs no wait of its own), so its open is kept per task while it sleeps
 * and the syscall's re-run takes it (resumeFifoOpen) instead of opening
 * again. A signal ends the wait; the open restarts after a handler (as
 * Linux's ERESTARTSYS).
 */
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import { Block } from '../../kernel/wait';
import type { FileDescription, Stat } from '../../vfs/file';
import type { Filesystem, Inode } from '../../vfs/inode';
import { Pipe, PipeFile } from './pipe';

/** A FIFO with ends open. */
class Fifo {
  readonly pipe: Pipe;
  /** Opens for reading and for writing so far (Linux's r_counter, w_counter): a waiting opener waits for the other to change. */
  readerOpens = 0;
  writerOpens = 0;
  /** Ends open, waiting ones included. */
  ends = 0;

  constructor(
    readonly key: { fs: Filesystem; ino: number },
    st: Stat,
  ) {
    this.pipe = new Pipe(st.uid, st.gid);
  }
}

/** The FIFOs with ends open, by filesystem and inode number (a lookup may give a fresh inode object for the same file). */
const open = new WeakMap<Filesystem, Map<number, Fifo>>();

function fifoOf(inode: Inode, st: Stat): Fifo {
  let byIno = open.get(inode.fs);
  if (!byIno) open.set(inode.fs, (byIno = new Map()));
  let f = byIno.get(st.ino);
  if (!f) byIno.set(st.ino, (f = new Fifo({ fs: inode.fs, ino: st.ino }, st)));
  return f;
}

function forgetIfUnused(f: Fifo): void {
  if (f.ends === 0) open.get(f.key.fs)?.delete(f.key.ino);
}

/** An end of a FIFO: a pipe end that stats as the inode and names its path. */
export class FifoFile extends PipeFile {
  /** For a reader opened with O_NONBLOCK before any writer: the writer count then (POLLHUP waits for a writer to come and go). */
  private readonly hupAfterWriter: number | undefined;

  constructor(
    private readonly fifo: Fifo,
    private readonly inode: Inode,
    flags: number,
    path: string,
  ) {
    super(fifo.pipe, flags, path);
    const acc = flags & O.ACCMODE;
    if (acc !== O.WRONLY) fifo.readerOpens++;
    if (acc !== O.RDONLY) fifo.writerOpens++;
    fifo.ends++;
    this.hupAfterWriter = acc === O.RDONLY && fifo.pipe.writers === 0 ? fifo.writerOpens : undefined;
  }

  override stat(): Stat {
    return this.inode.stat();
  }

  override readiness(): number {
    const r = super.readiness();
    return this.fifo.writerOpens === this.hupAfterWriter ? r & ~POLL.HUP : r;
  }

  protected override release(): void {
    super.release();
    this.fifo.ends--;
    forgetIfUnused(this.fifo);
  }
}

/** An open that waits for the other side: the end it made, and the other side's open count when it began. */
interface Waiting {
  file: FifoFile;
  otherOpens: () => number;
  seen: number;
}

const waiting = new WeakMap<Task, Waiting>();

function wait(t: Task, w: Waiting): never {
  waiting.set(t, w);
  throw new Block([w.file.waitQueue], undefined, 0, 'restart', () => {
    waiting.delete(t);
    w.file.decRef();
  });
}

/**
 * open(2) of FIFO `inode` with `flags`. `mayWait`: false for the Sentry's
 * own opens (exec of a path), which never wait.
 */
export function openFifo(t: Task, inode: Inode, flags: number, path: string, mayWait: boolean): FileDescription {
  const st = inode.stat();
  const fifo = fifoOf(inode, st);
  const acc = flags & O.ACCMODE;
  const nonblock = (flags & O.NONBLOCK) !== 0 || !mayWait;
  if (acc === O.WRONLY && nonblock && fifo.pipe.readers === 0) {
    forgetIfUnused(fifo);
    fail('ENXIO', `${path}: FIFO without readers`);
  }
  const otherOpens = acc === O.RDONLY ? () => fifo.writerOpens : () => fifo.readerOpens;
  const seen = otherOpens();
  const file = new FifoFile(fifo, inode, flags, path);
  const partners = acc === O.RDONLY ? fifo.pipe.writers : fifo.pipe.readers;
  if (acc === O.RDWR || nonblock || partners > 0) return file;
  return wait(t, { file, otherOpens, seen });
}

/** The FIFO end a woken task's open waited for, once the other side has opened (else it waits again); undefined when it waited for none. */
export function resumeFifoOpen(t: Task): FileDescription | undefined {
  const w = waiting.get(t);
  if (!w) return undefined;
  if (w.otherOpens() === w.seen) return wait(t, w);
  waiting.delete(t);
  return w.file;
}
