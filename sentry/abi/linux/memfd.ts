// memfd_create(2) flags and file seals (include/uapi/linux/memfd.h, include/uapi/linux/fcntl.h).

export const MFD = {
  CLOEXEC: 0x1,
  ALLOW_SEALING: 0x2,
  HUGETLB: 0x4,
  /** Linux 6.3: mode 0666 and F_SEAL_EXEC from the start (implies ALLOW_SEALING). */
  NOEXEC_SEAL: 0x8,
  /** Linux 6.3: mode 0777 (the default when neither is given). */
  EXEC: 0x10,
} as const;

/** The longest memfd name: NAME_MAX less "memfd:". */
export const MFD_NAME_MAX = 249;

export const F_SEAL = {
  SEAL: 0x1,
  SHRINK: 0x2,
  GROW: 0x4,
  WRITE: 0x8,
  FUTURE_WRITE: 0x10,
  EXEC: 0x20,
} as const;
export const F_SEAL_ALL = 0x3f;
