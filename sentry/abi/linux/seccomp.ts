// seccomp(2) and classic BPF encodings (include/uapi/linux/seccomp.h, filter.h, audit.h).
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const PR_SET_NO_NEW_PRIVS = 38;
/** offsetof(struct seccomp_data, nr / arch). */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
/** Low 32 bits of args[0] (struct seccomp_data: nr, arch, instruction_pointer, args[6]; little-endian). */
export const SECCOMP_DATA_ARG0 = 16;
/** Low 32 bits of args[1]. */
export const SECCOMP_DATA_ARG1 = 24;
/** Syscall numbers with this bit belong to the x32 ABI. */
export const X32_SYSCALL_BIT = 0x40000000;

export const BPF = {
  LD_W_ABS: 0x20,
  JEQ_K: 0x15,
  JGE_K: 0x35,
  /** BPF_ALU | BPF_AND | BPF_K: A &= k. */
  AND_K: 0x54,
  RET_K: 0x06,
} as const;
