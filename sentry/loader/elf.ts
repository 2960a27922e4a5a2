/**
 * ELF64 header and program-header parsing with the checks Linux's
 * binfmt_elf makes before it commits to an image (fs/binfmt_elf.c:
 * load_elf_binary, load_elf_phdrs). Hostile input only ever produces a
 * LinuxError: ENOEXEC for anything that is not a loadable x86_64 ELF or has
 * unreadable program headers, EIO for a short read of the interpreter path.
 */
import {
  EHDR, EHDR_SIZE, EI_CLASS, ELFCLASS64, ELFMAG, EM_X86_64, ET_DYN, ET_EXEC, PATH_MAX, PF_X, PHDR, PHDR_SIZE,
  PT_GNU_STACK, PT_INTERP, PT_LOAD,
} from '../abi/linux/elf';
import { PAGE_SIZE } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import { FileDescription } from '../vfs/file';

export interface Segment {
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfImage {
  type: number;
  entry: number;
  phnum: number;
  /** PT_LOAD segments in file order. */
  loads: Segment[];
  /** The PT_INTERP path, if any. */
  interp?: string;
  /** PT_GNU_STACK asked for an executable stack. */
  execStack: boolean;
  /** Unbiased address of the program headers (AT_PHDR), 0 when no PT_LOAD maps them. */
  phdrVaddr: number;
}

/** Values at or above this cannot be addresses or sizes in a 47-bit space; kept exact as numbers. */
const HUGE = 2n ** 53n;

function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  return v >= HUGE ? Number.MAX_SAFE_INTEGER : Number(v);
}

export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(ELFMAG);
}

/** Reads exactly dst.length bytes at offset; false on a short read. */
export function readFully(file: FileDescription, dst: Buffer, offset: number): boolean {
  for (let done = 0; done < dst.length; ) {
    const n = file.pread(dst.subarray(done), offset + done);
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

/**
 * Parses the ELF at `file` whose first bytes are `head` (the
 * BINPRM_BUF_SIZE buffer, zero-padded when the file is shorter).
 */
export function parseElf(file: FileDescription, head: Buffer): ElfImage {
  if (head.length < EHDR_SIZE || !isElf(head)) fail('ENOEXEC', 'not an ELF file');
  const type = head.readUInt16LE(EHDR.type);
  if (type !== ET_EXEC && type !== ET_DYN) fail('ENOEXEC', `ELF type ${type}`);
  if (head.readUInt16LE(EHDR.machine) !== EM_X86_64 || head[EI_CLASS] !== ELFCLASS64) fail('ENOEXEC', 'not an x86_64 ELF64 file');
  const phnum = head.readUInt16LE(EHDR.phnum);
  const size = phnum * PHDR_SIZE;
  if (head.readUInt16LE(EHDR.phentsize) !== PHDR_SIZE || size === 0 || size > PAGE_SIZE) fail('ENOEXEC', 'bad program header table');
  const phoff = u64(head, EHDR.phoff);
  const ph = Buffer.alloc(size);
  if (phoff === Number.MAX_SAFE_INTEGER || !readFully(file, ph, phoff)) fail('ENOEXEC', 'program headers beyond end of file');

  const img: ElfImage = { type, entry: u64(head, EHDR.entry), phnum, loads: [], execStack: false, phdrVaddr: 0 };
  let phdrFound = false;
  for (let i = 0; i < phnum; i++) {
    const o = i * PHDR_SIZE;
    const seg: Segment = {
      flags: ph.readUInt32LE(o + PHDR.flags),
      offset: u64(ph, o + PHDR.offset),
      vaddr: u64(ph, o + PHDR.vaddr),
      filesz: u64(ph, o + PHDR.filesz),
      memsz: u64(ph, o + PHDR.memsz),
      align: u64(ph, o + PHDR.align),
    };
    const ptype = ph.readUInt32LE(o + PHDR.type);
    if (ptype === PT_LOAD) {
      img.loads.push(seg);
      if (!phdrFound && seg.offset <= phoff && phoff < seg.offset + seg.filesz) {
        img.phdrVaddr = phoff - seg.offset + seg.vaddr;
        phdrFound = true;
      }
    } else if (ptype === PT_INTERP && img.interp === undefined) {
      img.interp = readInterp(file, seg);
    } else if (ptype === PT_GNU_STACK) {
      img.execStack = (seg.flags & PF_X) !== 0;
    }
  }
  return img;
}

function readInterp(file: FileDescription, seg: Segment): string {
  if (seg.filesz > PATH_MAX || seg.filesz < 2) fail('ENOEXEC', 'bad PT_INTERP size');
  const b = Buffer.alloc(seg.filesz);
  if (!readFully(file, b, seg.offset)) fail('EIO', 'short read of PT_INTERP');
  if (b[b.length - 1] !== 0) fail('ENOEXEC', 'PT_INTERP not NUL-terminated');
  return b.subarray(0, b.indexOf(0)).toString('utf8');
}
