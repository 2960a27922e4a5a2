/**
 * A console: a sandbox pty whose master is driven from host fds. Bytes
 * read from the host input go into the master (the line discipline turns
 * ^C into SIGINT and so on); everything the slave writes is copied to the
 * host output as soon as it is queued. The host input is read when the
 * idle scheduler polls host fds with waiters (kernel/hostwait.ts) and, as
 * a busy scheduler never idles, also checked on a kernel timer (timers
 * fire at every turn of the loop), so ^C reaches a program that loops on
 * syscalls. Used by `tsvisor do --tty` (host stdio) and by the CRI
 * server's `exec -it` (a host socket).
 */
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { WINSIZE_SIZE } from '../../abi/linux/tty';
import { fail } from '../../errors/linuxerr';
import { HostWaiter, hostWaiters } from '../../kernel/hostwait';
import type { Kernel } from '../../kernel/kernel';
import type { Process } from '../../kernel/task';
import { WaitQueue } from '../../kernel/wait';
import { monotonicNs, TimerHandle } from '../../kernel/timers';
import { hostPoll, hostRead, hostWriteAll } from '../../platform/host/hostfd';
import { HostError } from '../../platform/host/libc';
import type { FileDescription } from '../../vfs/file';
import { devptsOf } from './devpts';
import { MasterFile } from './files';
import type { Pty } from './pty';

export interface ConsoleIO {
  /** Host fd whose bytes are typed into the terminal (none: nothing is typed). */
  input?: number;
  /** Host fd that receives the terminal's output, or a sink that takes it (false once it is gone). */
  output: number | ((data: Buffer) => boolean);
  /** Called once when the input reaches EOF or fails (the console stays up). */
  onInputEnd?: () => void;
}

export interface Console {
  readonly pty: Pty;
  /**
   * The slave end. The console holds one reference until close(): take
   * your own (incRef) for every fd table slot it is installed in.
   */
  readonly slave: FileDescription;
  /** The terminal's new size: TIOCSWINSZ from the outside (SIGWINCH to the foreground group). */
  resize(rows: number, cols: number): void;
  /** Makes the pty the controlling terminal of `p`'s session (p leads it), with p's group in the foreground. */
  setControlling(p: Process): void;
  /** Copies pending output, stops reading input and hangs the terminal up. */
  close(): void;
}

const CHUNK = 4096;
/** How often the input is checked while tasks keep the scheduler busy. */
const INPUT_CHECK_NS = 100_000_000n;

export function attachConsole(kernel: Kernel, io: ConsoleIO): Console {
  const devpts = devptsOf(kernel) ?? fail('ENODEV', 'console: the kernel has no devpts');
  const pty = devpts.create(0, 0);
  pty.locked = false;
  const master = new MasterFile(pty, devpts, '/dev/ptmx', O.RDWR | O.NONBLOCK);
  const slave = devpts.openSlave(pty, O.RDWR | O.LARGEFILE);
  const buf = Buffer.alloc(CHUNK);

  let copying = false;
  let outputOpen = true;
  /** Slave output → host; runs whenever the pty changes (reads on the master notify again: hence the guard). */
  const copyOut = (): void => {
    if (copying) return;
    copying = true;
    try {
      while (pty.ldisc.outputBytes > 0) {
        const n = master.read(buf);
        if (outputOpen) outputOpen = typeof io.output === 'number' ? hostWriteAll(io.output, buf.subarray(0, n)) : io.output(Buffer.from(buf.subarray(0, n)));
      }
    } finally {
      copying = false;
    }
  };
  pty.queue.add(copyOut);

  const inputReady = new WaitQueue();
  const input = io.input ?? -1;
  const waiter: HostWaiter = { fd: input, events: POLL.IN, queue: inputReady };
  let timer: TimerHandle | undefined;
  const endInput = (): void => {
    if (timer) kernel.timers.cancel(timer);
    timer = undefined;
    if (!hostWaiters.delete(waiter)) return;
    inputReady.remove(copyIn);
    io.onInputEnd?.();
  };
  const checkInput = (): void => {
    timer = kernel.timers.schedule(monotonicNs() + INPUT_CHECK_NS, checkInput);
    if (hostPoll([waiter], 0)[0] !== 0) copyIn();
  };
  /** Host → master, when the scheduler saw the input fd ready. */
  function copyIn(): void {
    let n = 0;
    try {
      n = hostRead(input, buf);
    } catch (e) {
      if (!(e instanceof HostError)) throw e;
    }
    if (n === 0) endInput();
    else master.write(buf.subarray(0, n));
  }
  if (io.input !== undefined) {
    inputReady.add(copyIn);
    hostWaiters.add(waiter);
    checkInput();
  }

  let closed = false;
  return {
    pty,
    slave,
    resize(rows: number, cols: number): void {
      const ws = Buffer.alloc(WINSIZE_SIZE);
      ws.writeUInt16LE(rows & 0xffff, 0);
      ws.writeUInt16LE(cols & 0xffff, 2);
      pty.setWinsize(ws);
    },
    setControlling(p: Process): void {
      if (p.pid !== p.sid) fail('EPERM', `console: pid ${p.pid} does not lead its session`);
      pty.session = p.sid;
      pty.foreground = p.pgid;
    },
    close(): void {
      if (closed) return;
      closed = true;
      endInput();
      copyOut();
      pty.queue.remove(copyOut);
      master.decRef();
      slave.decRef();
    },
  };
}
