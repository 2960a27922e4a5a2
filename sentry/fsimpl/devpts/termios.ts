/** The kernel's struct termios / termios2 as a plain object, and its encoding. */
import {
  INIT_C_CC, KERNEL_TERMIOS_SIZE, NCCS, SLAVE_INIT, SPEED_38400, TERMIOS2_SIZE, TERMIOS_OFF,
} from '../../abi/linux/tty';

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: number[];
  ispeed: number;
  ospeed: number;
}

/** What a new pty starts with. */
export function defaultTermios(): Termios {
  return { ...SLAVE_INIT, line: 0, cc: [...INIT_C_CC], ispeed: SPEED_38400, ospeed: SPEED_38400 };
}

/** termios (36 bytes) or termios2 (44 bytes, with the speeds). */
export function encodeTermios(t: Termios, size: typeof KERNEL_TERMIOS_SIZE | typeof TERMIOS2_SIZE): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(t.iflag >>> 0, TERMIOS_OFF.iflag);
  b.writeUInt32LE(t.oflag >>> 0, TERMIOS_OFF.oflag);
  b.writeUInt32LE(t.cflag >>> 0, TERMIOS_OFF.cflag);
  b.writeUInt32LE(t.lflag >>> 0, TERMIOS_OFF.lflag);
  b.writeUInt8(t.line, TERMIOS_OFF.line);
  Buffer.from(t.cc).copy(b, TERMIOS_OFF.cc);
  if (size === TERMIOS2_SIZE) {
    b.writeUInt32LE(t.ispeed, TERMIOS_OFF.ispeed);
    b.writeUInt32LE(t.ospeed, TERMIOS_OFF.ospeed);
  }
  return b;
}

/** Decodes termios or termios2; plain termios keeps the speeds of `prev` (Linux derives them from CBAUD). */
export function decodeTermios(b: Buffer, prev: Termios): Termios {
  const two = b.length >= TERMIOS2_SIZE;
  return {
    iflag: b.readUInt32LE(TERMIOS_OFF.iflag),
    oflag: b.readUInt32LE(TERMIOS_OFF.oflag),
    cflag: b.readUInt32LE(TERMIOS_OFF.cflag),
    lflag: b.readUInt32LE(TERMIOS_OFF.lflag),
    line: b.readUInt8(TERMIOS_OFF.line),
    cc: [...b.subarray(TERMIOS_OFF.cc, TERMIOS_OFF.cc + NCCS)],
    ispeed: two ? b.readUInt32LE(TERMIOS_OFF.ispeed) : prev.ispeed,
    ospeed: two ? b.readUInt32LE(TERMIOS_OFF.ospeed) : prev.ospeed,
  };
}
