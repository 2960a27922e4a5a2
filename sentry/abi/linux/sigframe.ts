// x86_64 signal delivery layouts: struct rt_sigframe (arch/x86/include/asm/sigframe.h),
// struct ucontext (include/uapi/asm-generic/ucontext.h), struct sigcontext
// (arch/x86/include/uapi/asm/sigcontext.h), siginfo_t (include/uapi/asm-generic/siginfo.h),
// sigaction flags (arch/x86/include/uapi/asm/signal.h) and struct sigevent.
import { REG } from './ptrace';

/** sa_flags bits. */
export const SA = {
  NOCLDSTOP: 0x1,
  NOCLDWAIT: 0x2,
  SIGINFO: 0x4,
  RESTORER: 0x04000000,
  ONSTACK: 0x08000000,
  RESTART: 0x10000000,
  NODEFER: 0x40000000,
  RESETHAND: 0x80000000,
} as const;

/** uc_flags bits. UC_FP_XSTATE is left clear: the frame carries a legacy FXSAVE area. */
export const UC = { FP_XSTATE: 0x1, SIGCONTEXT_SS: 0x2, STRICT_RESTORE_SS: 0x4 } as const;

/** stack_t ss_flags. */
export const SS = { ONSTACK: 1, DISABLE: 2, AUTODISARM: 1 << 31 } as const;

/** struct rt_sigframe { char *pretcode; struct ucontext uc; siginfo_t info; } — fpstate follows, 64-aligned. */
export const FRAME = {
  PRETCODE: 0,
  UC: 8,
  INFO: 8 + 304,
  SIZE: 8 + 304 + 128,
} as const;

/** Offsets inside struct ucontext. */
export const UCONTEXT = {
  FLAGS: 0,
  LINK: 8,
  STACK: 16, // stack_t: ss_sp 0, ss_flags 8 (int), ss_size 16
  MCONTEXT: 40,
  SIGMASK: 296,
  SIZE: 304,
} as const;

/**
 * Offsets inside struct sigcontext (glibc's mcontext_t gregs[] in the same
 * order): general registers as 8-byte words, then cs/gs/fs/ss as u16.
 */
export const SIGCONTEXT = {
  CS: 144,
  GS: 146,
  FS: 148,
  SS: 150,
  ERR: 152,
  TRAPNO: 160,
  OLDMASK: 168,
  CR2: 176,
  FPSTATE: 184,
  SIZE: 256,
} as const;

/** The 64-bit registers saved in sigcontext, in order from offset 0 (8 bytes each). */
export const SIGCONTEXT_GREGS: readonly number[] = [
  REG.r8, REG.r9, REG.r10, REG.r11, REG.r12, REG.r13, REG.r14, REG.r15,
  REG.rdi, REG.rsi, REG.rbp, REG.rbx, REG.rdx, REG.rax, REG.rcx, REG.rsp,
  REG.rip, REG.eflags,
];

/** Legacy FXSAVE area (struct _fpstate_64): 512 bytes, 16-aligned; the kernel aligns it to 64. */
export const FXSAVE_SIZE = 512;
export const FXSAVE_MXCSR = 24;
/** Power-on values of the x87 control word and MXCSR (all exceptions masked). */
export const FCW_DEFAULT = 0x37f;
export const MXCSR_DEFAULT = 0x1f80;

/** Bytes below the interrupted rsp that the x86_64 ABI reserves (the red zone). */
export const REDZONE = 128;

/** EFLAGS bits sigreturn may restore (FIX_EFLAGS in arch/x86/kernel/signal.c). */
export const FIX_EFLAGS = 0x40000 /* AC */ | 0x800 /* OF */ | 0x400 /* DF */ | 0x100 /* TF */ | 0x80 /* SF */ |
  0x40 /* ZF */ | 0x10 /* AF */ | 0x4 /* PF */ | 0x1 /* CF */ | 0x10000 /* RF */;
/** Cleared on handler entry: direction, resume and trap flags. */
export const HANDLER_CLEAR_EFLAGS = 0x400 | 0x10000 | 0x100;

/** siginfo_t: si_signo 0, si_errno 4, si_code 8, then the union at 16. */
export const SIGINFO = {
  SIGNO: 0,
  ERRNO: 4,
  CODE: 8,
  PID: 16, // kill, rt, chld
  UID: 20,
  TIMERID: 16, // timer
  OVERRUN: 20,
  VALUE: 24, // rt, timer: union sigval
  STATUS: 24, // chld
  UTIME: 32,
  STIME: 40,
  ADDR: 16, // faults
} as const;

/** si_code values (<= 0: sent by a process; > 0: by the kernel, per signal). */
export const SI = {
  USER: 0,
  KERNEL: 0x80,
  QUEUE: -1,
  TIMER: -2,
  MESGQ: -3,
  TKILL: -6,
} as const;

/** SIGCHLD si_code values. */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

/** struct sigevent: sigev_value 0, sigev_signo 8, sigev_notify 12, sigev_notify_thread_id 16; 64 bytes. */
export const SIGEVENT = { VALUE: 0, SIGNO: 8, NOTIFY: 12, TID: 16, SIZE: 64 } as const;
export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;

/** struct signalfd_siginfo (include/uapi/linux/signalfd.h), 128 bytes. */
export const SSI = {
  SIGNO: 0, ERRNO: 4, CODE: 8, PID: 12, UID: 16, FD: 20, TID: 24, BAND: 28, OVERRUN: 32,
  TRAPNO: 36, STATUS: 40, INT: 44, PTR: 48, UTIME: 56, STIME: 64, ADDR: 72, SIZE: 128,
} as const;
/** signalfd4 flags (= O_CLOEXEC, O_NONBLOCK). */
export const SFD = { CLOEXEC: 0o2000000, NONBLOCK: 0o4000 } as const;
