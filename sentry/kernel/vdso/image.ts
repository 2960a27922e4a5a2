/**
 * The vDSO image: a one-page ELF shared object, built here, that every
 * process gets at AT_SYSINFO_EHDR instead of the host's (which the stub
 * unmaps). It exports clock_gettime, gettimeofday, time, clock_getres and
 * getcpu under the names and the version (LINUX_2.6) that glibc, musl and
 * Go look up, with a DT_HASH table and GNU version definitions as Linux's
 * own vDSO has. No relocations, no section headers: loaders of a vDSO read
 * only the program headers and the dynamic section.
 *
 * Layout of the page: ELF header, program headers (PT_LOAD of the page,
 * PT_DYNAMIC), the dynamic tables, and the code at CODE_OFFSET (code.ts).
 */
import {
  DT, DYN_SIZE, EHDR, EHDR_SIZE, elfHash, ELFCLASS64, ELFDATA2LSB, ELFMAG, EI_CLASS, EI_DATA, EM_X86_64, ET_DYN, PF_R, PF_X, PHDR,
  PHDR_SIZE, PT_DYNAMIC, PT_LOAD, STB_GLOBAL, STB_WEAK, STT_FUNC, SYM, SYM_SIZE, VER_FLG_BASE, VERDAUX, VERDAUX_SIZE, VERDEF, VERDEF_SIZE,
} from '../../abi/linux/elf';
import { PAGE_SIZE } from '../../abi/linux/mm';
import { CODE, CODE_OFFSET, ENTRIES } from './code';

export const VDSO_SIZE = PAGE_SIZE;
const SONAME = 'linux-vdso.so.1';
const VERSION = 'LINUX_2.6';
/** Version index of VERSION in DT_VERSYM (1 is the base definition). */
const VERSION_INDEX = 2;
/** A defined symbol's section index; there are no section headers, so any non-special index does. */
const TEXT_SECTION = 1;

interface Symbol {
  name: string;
  entry: keyof typeof ENTRIES;
  bind: number;
}

/** Linux exports each entry as __vdso_<name> and a weak <name>. */
const SYMBOLS: readonly Symbol[] = (Object.keys(ENTRIES) as Array<keyof typeof ENTRIES>).flatMap((entry) => [
  { name: `__vdso_${entry}`, entry, bind: STB_GLOBAL },
  { name: entry, entry, bind: STB_WEAK },
]);

/** Appends NUL-terminated strings, returning each one's offset. */
class StringTable {
  private readonly parts: Buffer[] = [Buffer.alloc(1)];
  private size = 1;
  add(s: string): number {
    const at = this.size;
    const b = Buffer.from(`${s}\0`, 'latin1');
    this.parts.push(b);
    this.size += b.length;
    return at;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Symbol table with the null symbol first, as ELF requires. */
function symtab(strings: StringTable): Buffer {
  const b = Buffer.alloc(SYM_SIZE * (SYMBOLS.length + 1));
  SYMBOLS.forEach((s, i) => {
    const at = SYM_SIZE * (i + 1);
    b.writeUInt32LE(strings.add(s.name), at + SYM.name);
    b.writeUInt8((s.bind << 4) | STT_FUNC, at + SYM.info);
    b.writeUInt16LE(TEXT_SECTION, at + SYM.shndx);
    b.writeBigUInt64LE(BigInt(CODE_OFFSET + ENTRIES[s.entry].offset), at + SYM.value);
    b.writeBigUInt64LE(BigInt(ENTRIES[s.entry].size), at + SYM.size);
  });
  return b;
}

/** DT_HASH: nbucket, nchain, buckets, chains (symbol 0 never listed). */
function hashTable(): Buffer {
  const nsyms = SYMBOLS.length + 1;
  const nbucket = SYMBOLS.length;
  const words = new Uint32Array(2 + nbucket + nsyms);
  words[0] = nbucket;
  words[1] = nsyms;
  SYMBOLS.forEach((s, i) => {
    const sym = i + 1;
    const bucket = 2 + (elfHash(s.name) % nbucket);
    // Prepend to the bucket's chain.
    words[2 + nbucket + sym] = words[bucket];
    words[bucket] = sym;
  });
  return Buffer.from(words.buffer);
}

/** DT_VERSYM: version 0 (local) for the null symbol, VERSION for the others. */
function versym(): Buffer {
  const b = Buffer.alloc(2 * (SYMBOLS.length + 1));
  for (let i = 1; i <= SYMBOLS.length; i++) b.writeUInt16LE(VERSION_INDEX, 2 * i);
  return b;
}

/** DT_VERDEF: the base definition (the soname) and VERSION, each with one name. */
function verdef(strings: StringTable, soname: number): Buffer {
  const defs = [
    { flags: VER_FLG_BASE, name: SONAME },
    { flags: 0, name: VERSION },
  ];
  const one = VERDEF_SIZE + VERDAUX_SIZE;
  const b = Buffer.alloc(one * defs.length);
  defs.forEach((d, i) => {
    const at = one * i;
    b.writeUInt16LE(1, at + VERDEF.version);
    b.writeUInt16LE(d.flags, at + VERDEF.flags);
    b.writeUInt16LE(i + 1, at + VERDEF.ndx);
    b.writeUInt16LE(1, at + VERDEF.cnt);
    b.writeUInt32LE(elfHash(d.name), at + VERDEF.hash);
    b.writeUInt32LE(VERDEF_SIZE, at + VERDEF.aux);
    b.writeUInt32LE(i + 1 < defs.length ? one : 0, at + VERDEF.next);
    b.writeUInt32LE(d.name === SONAME ? soname : strings.add(d.name), at + VERDEF_SIZE + VERDAUX.name);
    b.writeUInt32LE(0, at + VERDEF_SIZE + VERDAUX.next);
  });
  return b;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Builds the image (VDSO_SIZE bytes); addresses in it are offsets, the image is mapped whole. */
export function buildVdsoImage(): Buffer {
  const img = Buffer.alloc(VDSO_SIZE);
  const strings = new StringTable();
  const soname = strings.add(SONAME);
  const tables: Array<[number, Buffer]> = [
    [DT.SYMTAB, symtab(strings)],
    [DT.HASH, hashTable()],
    [DT.VERSYM, versym()],
    [DT.VERDEF, verdef(strings, soname)],
  ];
  const strtab = strings.bytes();
  tables.push([DT.STRTAB, strtab]);
  const dynamicEntries = tables.length + 5; // + STRSZ, SYMENT, SONAME, VERDEFNUM, NULL
  const dynOff = EHDR_SIZE + 2 * PHDR_SIZE;
  let at = dynOff + dynamicEntries * DYN_SIZE;
  const dyn: Array<[number, number]> = [];
  for (const [tag, bytes] of tables) {
    at = align8(at);
    bytes.copy(img, at);
    dyn.push([tag, at]);
    at += bytes.length;
  }
  if (at > CODE_OFFSET) throw new Error(`vDSO tables overrun the code (${at} bytes)`);
  dyn.push([DT.STRSZ, strtab.length], [DT.SYMENT, SYM_SIZE], [DT.SONAME, soname], [DT.VERDEFNUM, 2], [DT.NULL, 0]);
  dyn.forEach(([tag, val], i) => {
    img.writeBigInt64LE(BigInt(tag), dynOff + DYN_SIZE * i);
    img.writeBigUInt64LE(BigInt(val), dynOff + DYN_SIZE * i + 8);
  });
  CODE.copy(img, CODE_OFFSET);

  ELFMAG.copy(img, 0);
  img[EI_CLASS] = ELFCLASS64;
  img[EI_DATA] = ELFDATA2LSB;
  img[6] = 1; // EI_VERSION
  img.writeUInt16LE(ET_DYN, EHDR.type);
  img.writeUInt16LE(EM_X86_64, EHDR.machine);
  img.writeUInt32LE(1, EHDR.version);
  img.writeBigUInt64LE(BigInt(EHDR_SIZE), EHDR.phoff);
  img.writeUInt16LE(EHDR_SIZE, EHDR.ehsize);
  img.writeUInt16LE(PHDR_SIZE, EHDR.phentsize);
  img.writeUInt16LE(2, EHDR.phnum);
  writePhdr(img, EHDR_SIZE, PT_LOAD, PF_R | PF_X, 0, VDSO_SIZE, PAGE_SIZE);
  writePhdr(img, EHDR_SIZE + PHDR_SIZE, PT_DYNAMIC, PF_R, dynOff, dynamicEntries * DYN_SIZE, 8);
  return img;
}

function writePhdr(img: Buffer, at: number, type: number, flags: number, offset: number, size: number, align: number): void {
  img.writeUInt32LE(type, at + PHDR.type);
  img.writeUInt32LE(flags, at + PHDR.flags);
  for (const f of [PHDR.offset, PHDR.vaddr, PHDR.paddr]) img.writeBigUInt64LE(BigInt(offset), at + f);
  img.writeBigUInt64LE(BigInt(size), at + PHDR.filesz);
  img.writeBigUInt64LE(BigInt(size), at + PHDR.memsz);
  img.writeBigUInt64LE(BigInt(align), at + PHDR.align);
}
