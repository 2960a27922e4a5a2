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
  entry: 24,
  phoff: 32,
  phentsize: 54,
  phnum: 56,
} as const;

/** Elf64_Phdr field offsets. */
export const PHDR = {
  type: 0,
  flags: 4,
  offset: 8,
  vaddr: 16,
  filesz: 32,
  memsz: 40,
  align: 48,
} as const;

export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

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
