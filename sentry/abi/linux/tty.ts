// Terminal ABI for x86_64: the kernel's struct termios/termios2 and the
// c_iflag/c_oflag/c_cflag/c_lflag bits and c_cc indices
// (include/uapi/asm-generic/termbits.h, termbits-common.h), the tty and pty
// ioctls (include/uapi/asm-generic/ioctls.h), TCFLSH/TCXONC arguments, and
// the defaults a new pty gets (drivers/tty/tty_io.c tty_std_termios,
// drivers/tty/pty.c unix98 init_termios). Basic constants shared with the
// host stdio passthrough (TCGETS, TIOCGWINSZ, …) live in fs.ts.

export {
  FIONREAD, KERNEL_TERMIOS_SIZE, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ,
  WINSIZE_SIZE,
} from './fs';

export const TCSBRK = 0x5409;
export const TCXONC = 0x540a;
export const TCFLSH = 0x540b;
export const TIOCEXCL = 0x540c;
export const TIOCNXCL = 0x540d;
export const TIOCSCTTY = 0x540e;
export const TIOCOUTQ = 0x5411;
export const TIOCNOTTY = 0x5422;
export const TIOCSETD = 0x5423;
export const TIOCGETD = 0x5424;
export const TCSBRKP = 0x5425;
export const TIOCSBRK = 0x5427;
export const TIOCCBRK = 0x5428;
export const TIOCGSID = 0x5429;
export const TCGETS2 = 0x802c542a;
export const TCSETS2 = 0x402c542b;
export const TCSETSW2 = 0x402c542c;
export const TCSETSF2 = 0x402c542d;
export const TIOCGPTN = 0x80045430;
export const TIOCSPTLCK = 0x40045431;
export const TIOCGDEV = 0x80045432;
export const TIOCGPTLCK = 0x80045439;
export const TIOCGEXCL = 0x80045440;
export const TIOCGPTPEER = 0x5441;

/** struct termios2: termios followed by c_ispeed and c_ospeed. */
export const TERMIOS2_SIZE = 44;
/** Byte offsets in struct termios (and termios2). */
export const TERMIOS_OFF = { iflag: 0, oflag: 4, cflag: 8, lflag: 12, line: 16, cc: 17, ispeed: 36, ospeed: 40 } as const;
/** NCCS of the kernel's termios. */
export const NCCS = 19;

/** c_cc indices. */
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VTIME = 5;
export const VMIN = 6;
export const VSTART = 8;
export const VSTOP = 9;
export const VSUSP = 10;
export const VEOL = 11;
export const VWERASE = 14;
export const VLNEXT = 15;
export const VEOL2 = 16;

/** c_iflag bits. */
export const IFLAG = {
  IGNBRK: 0o1, BRKINT: 0o2, IGNPAR: 0o4, PARMRK: 0o10, INPCK: 0o20, ISTRIP: 0o40, INLCR: 0o100, IGNCR: 0o200,
  ICRNL: 0o400, IUCLC: 0o1000, IXON: 0o2000, IXANY: 0o4000, IXOFF: 0o10000, IMAXBEL: 0o20000, IUTF8: 0o40000,
} as const;

/** c_oflag bits. */
export const OFLAG = { OPOST: 0o1, OLCUC: 0o2, ONLCR: 0o4, OCRNL: 0o10, ONOCR: 0o20, ONLRET: 0o40 } as const;

/** c_cflag bits. */
export const CFLAG = { CBAUD: 0o10017, B38400: 0o17, CSIZE: 0o60, CS8: 0o60, CREAD: 0o200, PARENB: 0o400, HUPCL: 0o2000 } as const;

/** c_lflag bits. */
export const LFLAG = {
  ISIG: 0o1, ICANON: 0o2, ECHO: 0o10, ECHOE: 0o20, ECHOK: 0o40, ECHONL: 0o100, NOFLSH: 0o200, TOSTOP: 0o400,
  ECHOCTL: 0o1000, ECHOPRT: 0o2000, ECHOKE: 0o4000, FLUSHO: 0o10000, PENDIN: 0o40000, IEXTEN: 0o100000,
} as const;

/** TCFLSH queue selectors. */
export const TCIFLUSH = 0;
export const TCOFLUSH = 1;
export const TCIOFLUSH = 2;
/** TCXONC actions. */
export const TCOOFF = 0;
export const TCOON = 1;
export const TCIOFF = 2;
export const TCION = 3;

/** N_TTY, the only line discipline. */
export const N_TTY = 0;

/** Unix98 pty majors: ptmx is 5:2, slaves are 136+ (drivers/tty/pty.c). */
export const TTYAUX_MAJOR = 5;
export const UNIX98_PTY_SLAVE_MAJOR = 136;

/** Default c_cc (include/linux/tty.h INIT_C_CC): ^C ^\ DEL ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O ^W ^V. */
export const INIT_C_CC = [0o3, 0o34, 0o177, 0o25, 0o4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0];

/**
 * A new pty's flags: tty_std_termios without HUPCL. A master's termios
 * ioctls act on its slave (Linux's tty_pair_get_tty), so there is one set.
 */
export const SLAVE_INIT = {
  iflag: IFLAG.ICRNL | IFLAG.IXON,
  oflag: OFLAG.OPOST | OFLAG.ONLCR,
  cflag: CFLAG.B38400 | CFLAG.CS8 | CFLAG.CREAD,
  lflag: LFLAG.ISIG | LFLAG.ICANON | LFLAG.ECHO | LFLAG.ECHOE | LFLAG.ECHOK | LFLAG.ECHOCTL | LFLAG.ECHOKE | LFLAG.IEXTEN,
} as const;

/** The speed termios2 reports for B38400. */
export const SPEED_38400 = 38400;
