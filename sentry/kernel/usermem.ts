import { MemoryIO } from '../platform/platform';
import { fail, isLinuxError } from '../errors/linuxerr';

/** Linux's PATH_MAX, including the terminating NUL. */
export const PATH_MAX = 4096;

/**
 * Copies a NUL-terminated string from app memory. Reads page-bounded chunks
 * so a string ending just before an unmapped page is still read. Throws
 * EFAULT for a bad pointer and ENAMETOOLONG past `max` bytes.
 */
export function readCString(mem: MemoryIO, addr: number, max = PATH_MAX): string {
  if (addr === 0) fail('EFAULT', 'NULL string');
  const parts: Buffer[] = [];
  let total = 0;
  let at = addr;
  while (total < max) {
    const chunk = Math.min(0x1000 - (at % 0x1000), max - total);
    let b: Buffer;
    try {
      b = mem.read(at, chunk);
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
    total += chunk;
    at += chunk;
  }
  return fail('ENAMETOOLONG', `string at ${addr.toString(16)}`);
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
