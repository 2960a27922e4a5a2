/**
 * `tsvisor do --tty`: a console on the Sentry's own stdin/stdout. When
 * stdin is a terminal it is put in raw mode (so ^C, ^Z and line editing
 * reach the sandbox's line discipline instead of the host's) and restored
 * on close or process exit; its size is copied into the sandbox now and
 * whenever it changes. The Sentry's loop never returns to Node's event
 * loop, so SIGWINCH cannot be caught: the size is re-read on a kernel
 * timer instead.
 */
import {
  CFLAG, IFLAG, KERNEL_TERMIOS_SIZE, LFLAG, OFLAG, TCGETS, TCSETSW, TIOCGWINSZ, VMIN, VTIME, WINSIZE_SIZE,
} from '../../abi/linux/tty';
import type { Kernel } from '../../kernel/kernel';
import { monotonicNs, TimerHandle } from '../../kernel/timers';
import { hostIoctl, hostIsatty } from '../../platform/host/hostfd';
import { attachConsole, Console } from './console';
import { defaultTermios, decodeTermios, encodeTermios } from './termios';

const STDIN = 0;
const STDOUT = 1;
/** How often the host terminal's size is re-read. */
const SIZE_POLL_NS = 250_000_000n;

/** cfmakeraw(3) on a kernel termios buffer. */
export function makeRaw(termios: Buffer): Buffer {
  const t = decodeTermios(termios, defaultTermios());
  t.iflag &= ~(IFLAG.IGNBRK | IFLAG.BRKINT | IFLAG.PARMRK | IFLAG.ISTRIP | IFLAG.INLCR | IFLAG.IGNCR | IFLAG.ICRNL | IFLAG.IXON);
  t.oflag &= ~OFLAG.OPOST;
  t.lflag &= ~(LFLAG.ECHO | LFLAG.ECHONL | LFLAG.ICANON | LFLAG.ISIG | LFLAG.IEXTEN);
  t.cflag = (t.cflag & ~(CFLAG.CSIZE | CFLAG.PARENB)) | CFLAG.CS8;
  t.cc[VMIN] = 1;
  t.cc[VTIME] = 0;
  return encodeTermios(t, KERNEL_TERMIOS_SIZE);
}

function hostSize(fd: number): Buffer | undefined {
  const ws = Buffer.alloc(WINSIZE_SIZE);
  try {
    hostIoctl(fd, TIOCGWINSZ, ws);
    return ws;
  } catch {
    return undefined;
  }
}

export function attachHostConsole(kernel: Kernel): Console {
  const console = attachConsole(kernel, { input: STDIN, output: STDOUT });
  if (!hostIsatty(STDIN)) return console;

  const saved = Buffer.alloc(KERNEL_TERMIOS_SIZE);
  hostIoctl(STDIN, TCGETS, saved);
  hostIoctl(STDIN, TCSETSW, makeRaw(saved));
  const restore = (): void => {
    try {
      hostIoctl(STDIN, TCSETSW, Buffer.from(saved));
    } catch {
      // The terminal is gone: nothing to restore.
    }
  };
  process.once('exit', restore);

  let timer: TimerHandle | undefined;
  const copySize = (): void => {
    const ws = hostSize(STDIN);
    if (ws) console.pty.setWinsize(ws);
    timer = kernel.timers.schedule(monotonicNs() + SIZE_POLL_NS, copySize);
  };
  copySize();

  return {
    ...console,
    close(): void {
      if (timer) kernel.timers.cancel(timer);
      timer = undefined;
      console.close();
      restore();
      process.removeListener('exit', restore);
    },
  };
}
