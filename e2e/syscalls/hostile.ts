/**
 * Malformed executables for the loader tests, built byte by byte from the
 * ELF64 layout (elf(5)): a 64-byte file header followed by 56-byte program
 * headers.
 */
import * as fs from 'fs';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const PT_LOAD = 1;
const ET_EXEC = 2;
const EM_X86_64 = 62;

/** An ELF file header with e_phnum program headers at e_phoff. */
function fileHeader(entry: bigint, phoff: bigint, phnum: number): Buffer {
  const h = Buffer.alloc(EHDR_SIZE);
  h.write('\x7fELF', 0, 'latin1');
  h[4] = 2; // ELFCLASS64
  h[5] = 1; // ELFDATA2LSB
  h[6] = 1; // EV_CURRENT
  h.writeUInt16LE(ET_EXEC, 16);
  h.writeUInt16LE(EM_X86_64, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(entry, 24);
  h.writeBigUInt64LE(phoff, 32);
  h.writeUInt16LE(EHDR_SIZE, 52);
  h.writeUInt16LE(PHDR_SIZE, 54);
  h.writeUInt16LE(phnum, 56);
  return h;
}

/** exit_group(0): mov eax, 231; xor edi, edi; syscall. */
const EXIT_CODE = Buffer.from([0xb8, 0xe7, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05]);

/** A complete, otherwise valid program whose only PT_LOAD maps at address 0. */
export function loadAtZero(): Buffer {
  const codeOff = EHDR_SIZE + PHDR_SIZE;
  const ph = Buffer.alloc(PHDR_SIZE);
  ph.writeUInt32LE(PT_LOAD, 0);
  ph.writeUInt32LE(5, 4); // PF_R | PF_X
  ph.writeBigUInt64LE(0n, 8); // p_offset
  ph.writeBigUInt64LE(0n, 16); // p_vaddr
  ph.writeBigUInt64LE(0n, 24); // p_paddr
  const size = BigInt(codeOff + EXIT_CODE.length);
  ph.writeBigUInt64LE(size, 32);
  ph.writeBigUInt64LE(size, 40);
  ph.writeBigUInt64LE(0x1000n, 48);
  return Buffer.concat([fileHeader(BigInt(codeOff), BigInt(EHDR_SIZE), 1), ph, EXIT_CODE]);
}

/** The first `bytes` of a real executable: a valid header, program headers cut off. */
export function truncated(real: string, bytes: number): Buffer {
  return fs.readFileSync(real).subarray(0, bytes);
}

/** A real executable whose header claims 65535 program headers far past the end of the file. */
export function absurdProgramHeaders(real: string): Buffer {
  const data = Buffer.from(fs.readFileSync(real));
  data.writeBigUInt64LE(0x7ffffffffff0n, 32);
  data.writeUInt16LE(0xffff, 56);
  return data;
}
