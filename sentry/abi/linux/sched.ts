// clone(2)/clone3(2) flags and wait(2) options (include/uapi/linux/sched.h, wait.h).
export const CLONE = {
  VM: 0x100,
  FS: 0x200,
  FILES: 0x400,
  SIGHAND: 0x800,
  PIDFD: 0x1000,
  PTRACE: 0x2000,
  VFORK: 0x4000,
  PARENT: 0x8000,
  THREAD: 0x10000,
  NEWNS: 0x20000,
  SYSVSEM: 0x40000,
  SETTLS: 0x80000,
  PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000,
  DETACHED: 0x400000,
  UNTRACED: 0x800000,
  CHILD_SETTID: 0x1000000,
  NEWCGROUP: 0x2000000,
  NEWUTS: 0x4000000,
  NEWIPC: 0x8000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  IO: 0x80000000,
} as const;

/** Namespace flags: creating namespaces inside the sandbox is not supported. */
export const CLONE_NEW_MASK = CLONE.NEWNS | CLONE.NEWCGROUP | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNET;

/** The low byte of clone's flags is the signal sent to the parent at exit. */
export const CSIGNAL = 0xff;

/** struct clone_args as of CLONE_ARGS_SIZE_VER0 (64 bytes); later versions append fields. */
export const CLONE_ARGS_SIZE_VER0 = 64;

export const WAIT = {
  NOHANG: 1,
  UNTRACED: 2,
  STOPPED: 2,
  EXITED: 4,
  CONTINUED: 8,
  NOWAIT: 0x01000000,
  NOTHREAD: 0x20000000,
  ALL: 0x40000000,
  CLONE: 0x80000000,
} as const;

export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;

/** siginfo si_code values for SIGCHLD. */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;
