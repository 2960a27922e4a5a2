// ELF64 file format (include/uapi/linux/elf.h) and exec limits
// (include/uapi/linux/binfmts.h, include/linux/binfmts.h).

export const ELFMAG = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const EM_X86_64 = 62;

/** sizeof(Elf64_Ehdr) and sizeof(Elf64_Phdr). */
export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;

/** Elf64_Ehdr field offsets. */
export const EHDR = {
  type: 16,
  machine: 18,
  version: 20,
  entry: 24,
  phoff: 32,
  ehsize: 52,
  phentsize: 54,
  phnum: 56,
} as const;

/** Elf64_Phdr field offsets. */
export const PHDR = {
  type: 0,
  flags: 4,
  offset: 8,
  vaddr: 16,
  paddr: 24,
  filesz: 32,
  memsz: 40,
  align: 48,
} as const;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** Dynamic section tags (Elf64_Dyn: d_tag, d_val, 8 bytes each), including the GNU symbol versioning ones. */
export const DT = {
  NULL: 0,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  STRSZ: 10,
  SYMENT: 11,
  SONAME: 14,
  VERSYM: 0x6ffffff0,
  VERDEF: 0x6ffffffc,
  VERDEFNUM: 0x6ffffffd,
} as const;
export const DYN_SIZE = 16;

/** sizeof(Elf64_Sym) and its field offsets. */
export const SYM_SIZE = 24;
export const SYM = { name: 0, info: 4, other: 5, shndx: 6, value: 8, size: 16 } as const;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_FUNC = 2;

/** Elf64_Verdef and Elf64_Verdaux (GNU symbol versioning): sizes and field offsets. */
export const VERDEF_SIZE = 20;
export const VERDEF = { version: 0, flags: 2, ndx: 4, cnt: 6, hash: 8, aux: 12, next: 16 } as const;
export const VERDAUX_SIZE = 8;
export const VERDAUX = { name: 0, next: 4 } as const;
export const VER_FLG_BASE = 1;

/** The System V ELF hash of a symbol or version name (DT_HASH buckets, vd_hash). */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h;
}

/** Bytes of a file exec looks at to pick a format (BINPRM_BUF_SIZE). */
export const BINPRM_BUF_SIZE = 256;
/** Longest single argv/envp string, NUL included (MAX_ARG_STRLEN = 32 pages). */
export const MAX_ARG_STRLEN = 32 * 4096;
/** Most argv or envp entries (MAX_ARG_STRINGS). */
export const MAX_ARG_STRINGS = 0x7fffffff;
/** Floor of the argument space (ARG_MAX) and the _STK_LIM-based ceiling (fs/exec.c). */
export const ARG_MAX = 32 * 4096;
export const STK_LIM = 8 << 20;
/** PATH_MAX, including the NUL. */
export const PATH_MAX = 4096;
/** How deep #! interpreters may nest before ELOOP (fs/exec.c: exec_binprm). */
export const MAX_INTERP_DEPTH = 5;
