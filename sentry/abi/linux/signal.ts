// Signal numbers for x86_64 (arch/x86/include/uapi/asm/signal.h).
export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13,
  SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

export const NSIG = 64;
/** The first real-time signal (the kernel's SIGRTMIN; glibc keeps 32 and 33 for itself). */
export const SIGRTMIN = 32;

/** Signals whose default action dumps core (signal(7)); the exit status carries the 0x80 core bit. */
export const CORE_SIGNALS: ReadonlySet<number> = new Set([
  SIG.SIGQUIT, SIG.SIGILL, SIG.SIGTRAP, SIG.SIGABRT, SIG.SIGBUS, SIG.SIGFPE,
  SIG.SIGSEGV, SIG.SIGXCPU, SIG.SIGXFSZ, SIG.SIGSYS,
]);
