// ptrace(2) requests, options and the x86_64 user_regs_struct layout
// (include/uapi/linux/ptrace.h, arch/x86/include/asm/user_64.h).

export const PTRACE = {
  PEEKUSER: 3,
  POKEUSER: 6,
  CONT: 7,
  KILL: 8,
  SINGLESTEP: 9,
  GETREGS: 12,
  SETREGS: 13,
  ATTACH: 16,
  DETACH: 17,
  SYSCALL: 24,
  SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201,
  GETSIGINFO: 0x4202,
  SEIZE: 0x4206,
  INTERRUPT: 0x4207,
  SYSEMU: 31,
  SYSEMU_SINGLESTEP: 32,
} as const;

export const PTRACE_O = {
  TRACESYSGOOD: 1,
  TRACEFORK: 1 << 1,
  TRACECLONE: 1 << 3,
  TRACEEXEC: 1 << 4,
  EXITKILL: 1 << 20,
} as const;

export const PTRACE_EVENT_STOP = 128;

/** Index (in 8-byte words) of each register in struct user_regs_struct. */
export const REG = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7,
  r9: 8, r8: 9, rax: 10, rcx: 11, rdx: 12, rsi: 13, rdi: 14, orig_rax: 15,
  rip: 16, cs: 17, eflags: 18, rsp: 19, ss: 20, fs_base: 21, gs_base: 22,
  ds: 23, es: 24, fs: 25, gs: 26,
} as const;

export const USER_REGS_WORDS = 27;
export const USER_REGS_SIZE = USER_REGS_WORDS * 8;

/** Syscall argument registers in ABI order. */
export const SYSCALL_ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

// wait(2) flags.
export const WNOHANG = 1;
export const WALL = 0x40000000;
