import { MemoryIO } from '../platform/platform';
import { PAGE_SIZE } from '../abi/linux/mm';
import { fail, isLinuxError } from '../errors/linuxerr';

/** Linux's PATH_MAX, including the terminating NUL. */
export const PATH_MAX = 4096;

/**
 * Copies a NUL-terminated string from app memory. Reads page-bounded chunks
 * so a string ending just before an unmapped page is still read. Throws
 * EFAULT for a bad pointer and ENAMETOOLONG past `max` bytes.
 */
export function readCString(mem: MemoryIO, addr: number, max = PATH_MAX): string {
  return scanCString((at, len) => mem.read(at, len), addr, max);
}

/**
 * The string at `addr` from `chunk(at, len)`, which gives the `len` bytes
 * at `at` (never past the end of at's page).
 */
function scanCString(chunk: (at: number, len: number) => Buffer, addr: number, max: number): string {
  if (addr === 0) fail('EFAULT', 'NULL string');
  const parts: Buffer[] = [];
  let total = 0;
  let at = addr;
  while (total < max) {
    const len = Math.min(PAGE_SIZE - (at % PAGE_SIZE), max - total);
    let b: Buffer;
    try {
      b = chunk(at, len);
    } catch (e) {
      if (isLinuxError(e)) fail('EFAULT', `string at ${addr.toString(16)}`);
      throw e;
    }
    const nul = b.indexOf(0);
    if (nul >= 0) {
      parts.push(b.subarray(0, nul));
      return Buffer.concat(parts).toString('utf8');
    }
    parts.push(b);
    total += len;
    at += len;
  }
  return fail('ENAMETOOLONG', `string at ${addr.toString(16)}`);
}

/**
 * Reads app memory a whole page at a time and keeps the pages, for a
 * syscall that reads many small pieces lying close together: execve's argv
 * and envp, a pointer array and strings packed on the caller's stack or
 * heap, cost one process_vm_readv per page instead of one per pointer and
 * one per string (the strings of a shell's ~40-variable environment fit in
 * a few pages). Meant for one syscall: other threads' later writes are not
 * seen, as if the pieces had all been read at the first.
 */
export class PageReader {
  private readonly pages = new Map<number, Buffer>();

  constructor(private readonly mem: MemoryIO) {}

  /** The 64-bit word at `addr` (8-byte aligned, as pointer arrays are; EFAULT if its page is not readable). */
  u64(addr: number): bigint {
    if (addr % 8 !== 0) return this.mem.read(addr, 8).readBigUInt64LE();
    return this.bytes(addr, 8).readBigUInt64LE();
  }

  /** readCString through the kept pages. */
  cString(addr: number, max: number): string {
    return scanCString((at, len) => this.bytes(at, len), addr, max);
  }

  /** `len` bytes at `at`, all within at's page. */
  private bytes(at: number, len: number): Buffer {
    const base = at - (at % PAGE_SIZE);
    let page = this.pages.get(base);
    if (page === undefined) this.pages.set(base, (page = this.mem.read(base, PAGE_SIZE)));
    return page.subarray(at - base, at - base + len);
  }
}

/** Writes a value if the pointer is non-NULL (the common "optional out-parameter" pattern). */
export function writeOptional(mem: MemoryIO, addr: number, data: Buffer): void {
  if (addr !== 0) mem.write(addr, data);
}

/** Writes a C `int` (any 32-bit pattern) at `addr`. */
export function writeI32(mem: MemoryIO, addr: number, v: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v | 0);
  mem.write(addr, b);
}

/** Writes a 64-bit value at `addr`. */
export function writeU64(mem: MemoryIO, addr: number, v: bigint): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  mem.write(addr, b);
}
