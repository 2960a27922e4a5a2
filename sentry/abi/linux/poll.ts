// poll/select ABI for x86_64: event bits (include/uapi/asm-generic/poll.h),
// struct pollfd (include/uapi/asm-generic/poll.h), fd_set (include/uapi/linux/posix_types.h)
// and the select readiness classes (fs/select.c). Layouts checked with gcc in poll.test.ts.

export const POLL = {
  IN: 0x0001,
  PRI: 0x0002,
  OUT: 0x0004,
  ERR: 0x0008,
  HUP: 0x0010,
  NVAL: 0x0020,
  RDNORM: 0x0040,
  RDBAND: 0x0080,
  WRNORM: 0x0100,
  WRBAND: 0x0200,
  MSG: 0x0400,
  RDHUP: 0x2000,
} as const;

/** What a file without a poll method reports (fs/select.c DEFAULT_POLLMASK). */
export const DEFAULT_POLLMASK = POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM;

/** select(2) classes: which poll bits make an fd readable, writable or exceptional. */
export const POLLIN_SET = POLL.RDNORM | POLL.RDBAND | POLL.IN | POLL.HUP | POLL.ERR;
export const POLLOUT_SET = POLL.WRBAND | POLL.WRNORM | POLL.OUT | POLL.ERR;
export const POLLEX_SET = POLL.PRI;

/** struct pollfd { int fd; short events; short revents; }. */
export const POLLFD_SIZE = 8;
export const POLLFD_OFF = { fd: 0, events: 4, revents: 6 } as const;

/** fd_set is FD_SETSIZE bits in unsigned longs; select reads only ceil(nfds/64) longs. */
export const FD_SETSIZE = 1024;

/** Bytes of the fd_set words that cover `nfds` descriptors. */
export function fdSetBytes(nfds: number): number {
  return Math.ceil(nfds / 64) * 8;
}

/** The kernel's sigset_t (sigsetsize arguments must equal it). */
export const KERNEL_SIGSET_SIZE = 8;
