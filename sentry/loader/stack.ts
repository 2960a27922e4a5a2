/**
 * The initial process stack in Linux's layout (fs/exec.c copy_strings,
 * fs/binfmt_elf.c create_elf_tables), from the top down: an 8-byte zero
 * word, the AT_EXECFN string, the envp strings, the argv strings (so
 * argv[0] is lowest and arg/env areas are contiguous), the platform string,
 * 16 AT_RANDOM bytes, then 16-byte aligned: argc, argv[], NULL, envp[],
 * NULL, auxv pairs ending in AT_NULL. rsp points at argc.
 */
import { AT } from '../abi/linux/auxv';
import { MemoryIO } from '../platform/platform';

export const PLATFORM = 'x86_64';

/** Stack addresses the auxv may point at. */
export interface StackPointers {
  execfn: number;
  platform: number;
  random: number;
}

export interface StackInput {
  argv: string[];
  envp: string[];
  execfn: string;
  /** 16 bytes for AT_RANDOM. */
  random: Buffer;
  /** The auxv entries (without AT_NULL), given where the strings landed. */
  auxv: (p: StackPointers) => Array<[number, number]>;
}

export interface InitialStack {
  sp: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  auxv: Array<[number, number]>;
}

/** Rounds down to 16 bytes (addresses exceed 32 bits, so no bitwise ops). */
function align16(x: number): number {
  return x - (x % 16);
}

function cstrings(list: string[]): Buffer[] {
  return list.map((s) => Buffer.from(`${s}\0`, 'utf8'));
}

/** Bytes the strings of an exec take on the stack (all NULs included). */
export function stringBytes(argv: string[], envp: string[], execfn: string): number {
  return [...argv, ...envp, execfn].reduce((n, s) => n + Buffer.byteLength(s, 'utf8') + 1, 0);
}

/** Writes the initial stack below `top` with one MemoryIO write. */
export function writeInitialStack(io: MemoryIO, top: number, input: StackInput): InitialStack {
  const argv = cstrings(input.argv);
  const envp = cstrings(input.envp);
  const execfn = Buffer.from(`${input.execfn}\0`, 'utf8');
  const argBytes = argv.reduce((n, b) => n + b.length, 0);
  const envBytes = envp.reduce((n, b) => n + b.length, 0);
  const argStart = top - 8 - execfn.length - envBytes - argBytes;
  const envStart = argStart + argBytes;
  const execfnAddr = envStart + envBytes;
  const platform = align16(argStart) - (PLATFORM.length + 1);
  const random = platform - 16;
  const auxv = [...input.auxv({ execfn: execfnAddr, platform, random }), [AT.NULL, 0] as [number, number]];
  const words = 1 + argv.length + 1 + envp.length + 1 + auxv.length * 2;
  const sp = align16(random - words * 8);

  const img = Buffer.alloc(top - sp);
  let w = 0;
  const word = (v: number): void => {
    img.writeBigUInt64LE(BigInt(v), w);
    w += 8;
  };
  word(argv.length);
  let at = argStart;
  for (const b of argv) {
    word(at);
    at += b.length;
  }
  word(0);
  for (const b of envp) {
    word(at);
    at += b.length;
  }
  word(0);
  for (const [k, v] of auxv) {
    word(k);
    word(v);
  }
  input.random.copy(img, random - sp, 0, 16);
  img.write(`${PLATFORM}\0`, platform - sp, 'latin1');
  Buffer.concat([...argv, ...envp, execfn]).copy(img, argStart - sp);
  io.write(sp, img);
  return { sp, argStart, argEnd: envStart, envStart, envEnd: execfnAddr, auxv };
}
