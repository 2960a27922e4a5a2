// eventfd2 and timerfd flags (include/uapi/linux/eventfd.h, include/uapi/linux/timerfd.h).

export const EFD = { SEMAPHORE: 1, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** The largest eventfd counter value (ULLONG_MAX - 1). */
export const EFD_MAX = 0xfffffffffffffffen;

export const TFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;
export const TFD_TIMER = { ABSTIME: 1, CANCEL_ON_SET: 2 } as const;

/** struct itimerspec { struct timespec it_interval, it_value; }. */
export const ITIMERSPEC_SIZE = 32;
