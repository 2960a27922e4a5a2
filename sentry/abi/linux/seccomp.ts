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

/** seccomp(2) operations. */
export const SECCOMP_OP = { SET_MODE_STRICT: 0, SET_MODE_FILTER: 1, GET_ACTION_AVAIL: 2, GET_NOTIF_SIZES: 3 } as const;
/** SECCOMP_SET_MODE_FILTER flags. */
export const SECCOMP_FILTER_FLAG = { TSYNC: 1, LOG: 2, SPEC_ALLOW: 4, NEW_LISTENER: 8, TSYNC_ESRCH: 16 } as const;
/** A process's seccomp mode (/proc/[pid]/status Seccomp:, PR_GET_SECCOMP). */
export const SECCOMP_MODE = { DISABLED: 0, STRICT: 1, FILTER: 2 } as const;
/** prctl options. */
export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
/** Filter return values (the action in the high 16 bits, data in the low 16). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0x00000000, TRAP: 0x00030000, ERRNO: 0x00050000, USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
} as const;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;
/** struct seccomp_data is 64 bytes; struct sock_fprog { u16 len; u64 filter; } is 16 (padded). */
export const SECCOMP_DATA_SIZE = 64;
export const SOCK_FPROG = { LEN: 0, FILTER: 8, SIZE: 16 } as const;
/** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
export const SOCK_FILTER_SIZE = 8;
/** Longest classic BPF program, and the most instructions a process's filters may hold in all (each costs 4 more). */
export const BPF_MAXINSNS = 4096;
export const MAX_INSNS_PER_PATH = 32768;
/** Scratch memory cells of a classic BPF program. */
export const BPF_MEMWORDS = 16;
/** SIGSYS si_code for a SECCOMP_RET_TRAP; siginfo _sigsys: call address, syscall number, arch. */
export const SYS_SECCOMP = 1;
export const SIGINFO_SIGSYS = { CALL_ADDR: 16, SYSCALL: 24, ARCH: 28 } as const;

/** Classic BPF opcode parts (include/uapi/linux/bpf_common.h). */
export const BPF_CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07 } as const;
export const BPF_SIZE_W = 0x00;
export const BPF_MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0 } as const;
export const BPF_ALU_OP = { ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0 } as const;
export const BPF_JMP_OP = { JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40 } as const;
/** Operand source: the constant k or the X register; RET's source may also be A. */
export const BPF_SRC = { K: 0x00, X: 0x08 } as const;
export const BPF_RVAL_A = 0x10;
export const BPF_MISC_OP = { TAX: 0x00, TXA: 0x80 } as const;
