// epoll ABI for x86_64 (include/uapi/linux/eventpoll.h). struct epoll_event is
// packed on x86_64 (12 bytes); checked with gcc in poll.test.ts.

export const EPOLL = {
  IN: 0x001,
  PRI: 0x002,
  OUT: 0x004,
  ERR: 0x008,
  HUP: 0x010,
  RDNORM: 0x040,
  RDBAND: 0x080,
  WRNORM: 0x100,
  WRBAND: 0x200,
  MSG: 0x400,
  RDHUP: 0x2000,
  EXCLUSIVE: 1 << 28,
  WAKEUP: 1 << 29,
  ONESHOT: 1 << 30,
  ET: 1 << 31,
} as const;

export const EPOLL_CTL = { ADD: 1, DEL: 2, MOD: 3 } as const;

export const EPOLL_CLOEXEC = 0o2000000;

/** Flag bits that are not events (fs/eventpoll.c EP_PRIVATE_BITS). */
export const EP_PRIVATE_BITS = EPOLL.WAKEUP | EPOLL.ONESHOT | EPOLL.ET | EPOLL.EXCLUSIVE;

/** Bits allowed together with EPOLLEXCLUSIVE (fs/eventpoll.c EPOLLEXCLUSIVE_OK_BITS). */
export const EPOLLEXCLUSIVE_OK_BITS = EPOLL.IN | EPOLL.OUT | EPOLL.ERR | EPOLL.HUP | EPOLL.WAKEUP | EPOLL.ET | EPOLL.EXCLUSIVE;

/** struct epoll_event { __u32 events; __u64 data; } __attribute__((packed)). */
export const EPOLL_EVENT_SIZE = 12;
export const EPOLL_EVENT_OFF = { events: 0, data: 4 } as const;

/** epoll_wait's maxevents limit: INT_MAX / sizeof(struct epoll_event). */
export const EP_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT_SIZE);
