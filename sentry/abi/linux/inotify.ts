// inotify(7) (include/uapi/linux/inotify.h, fs/notify/inotify).

/** Event bits (as watch masks and in events). */
export const IN = {
  ACCESS: 0x1,
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  CLOSE_NOWRITE: 0x10,
  OPEN: 0x20,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  /** Only in events: */
  UNMOUNT: 0x2000,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  /** Only in watch masks: */
  ONLYDIR: 0x01000000,
  DONT_FOLLOW: 0x02000000,
  EXCL_UNLINK: 0x04000000,
  MASK_CREATE: 0x10000000,
  MASK_ADD: 0x20000000,
  /** In events: the subject is a directory. */
  ISDIR: 0x40000000,
  ONESHOT: 0x80000000,
} as const;

/** Every event a watch can ask for (IN_ALL_EVENTS). */
export const IN_ALL_EVENTS = 0xfff;

/** Every bit inotify_add_watch knows (ALL_INOTIFY_BITS): a mask with none of them is EINVAL. */
export const IN_ALL_BITS = IN_ALL_EVENTS | IN.UNMOUNT | IN.Q_OVERFLOW | IN.IGNORED | IN.ONLYDIR | IN.DONT_FOLLOW
  | IN.EXCL_UNLINK | IN.MASK_CREATE | IN.MASK_ADD | IN.ISDIR | IN.ONESHOT;

/** inotify_init1 flags (the O_ values). */
export const IN_NONBLOCK = 0o4000;
export const IN_CLOEXEC = 0o2000000;

/** struct inotify_event { s32 wd; u32 mask, cookie, len; char name[len]; }: the fixed part. */
export const INOTIFY_EVENT_SIZE = 16;

/** The /proc/sys/fs/inotify defaults: events queued per instance (then one IN_Q_OVERFLOW), instances per user. */
export const INOTIFY_MAX_QUEUED_EVENTS = 16384;
export const INOTIFY_MAX_USER_INSTANCES = 128;
