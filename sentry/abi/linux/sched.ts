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
/** waitid(2)'s idtype for a pidfd (Linux 5.4). */
export const P_PIDFD = 3;
/** pidfd_open(2)'s one flag: the pidfd is O_NONBLOCK (and waitid on it does not wait). */
export const PIDFD_NONBLOCK = 0o4000;

/** siginfo si_code values for SIGCHLD. */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

/** Scheduling policies (sched(7)) and sched_setscheduler's flag. */
export const SCHED = {
  NORMAL: 0,
  FIFO: 1,
  RR: 2,
  BATCH: 3,
  IDLE: 5,
  DEADLINE: 6,
} as const;
export const SCHED_RESET_ON_FORK = 0x40000000;
/** Real-time priorities are 1..99 (MAX_RT_PRIO - 1); the others 0. */
export const MAX_RT_PRIO = 100;
/** sched_rr_get_interval's SCHED_RR quantum (RR_TIMESLICE, 100 ms). */
export const RR_TIMESLICE_NS = 100_000_000;

/** sched_setattr(2)'s sched_flags. */
export const SCHED_FLAG = {
  RESET_ON_FORK: 0x01,
  RECLAIM: 0x02,
  DL_OVERRUN: 0x04,
  KEEP_POLICY: 0x08,
  KEEP_PARAMS: 0x10,
  UTIL_CLAMP_MIN: 0x20,
  UTIL_CLAMP_MAX: 0x40,
} as const;
export const SCHED_FLAG_ALL = 0x7f;

/** struct sched_attr (VER0 is 48 bytes; VER1 adds the utilization clamps). */
export const SCHED_ATTR = {
  SIZE_VER0: 48,
  SIZE_VER1: 56,
  size: 0,
  policy: 4,
  flags: 8,
  nice: 16,
  priority: 20,
  runtime: 24,
  deadline: 32,
  period: 40,
  utilMin: 48,
  utilMax: 52,
} as const;

export const MIN_NICE = -20;
export const MAX_NICE = 19;

/** ioprio_set(2)/ioprio_get(2): `which`, classes, and the value layout (class << 13 | level in the low 3 bits). */
export const IOPRIO_WHO = { PROCESS: 1, PGRP: 2, USER: 3 } as const;
export const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 } as const;
export const IOPRIO_CLASS_SHIFT = 13;
/** Best-effort level 4: what a task without its own I/O priority counts as when several are compared. */
export const IOPRIO_DEFAULT = (IOPRIO_CLASS.BE << IOPRIO_CLASS_SHIFT) | 4;
