// Memory-management ABI for x86_64: mmap/mprotect/mremap/madvise/msync/mlock
// flags (include/uapi/asm-generic/mman-common.h, include/uapi/linux/mman.h,
// arch/x86/include/uapi/asm/mman.h) and layout constants (arch/x86/include/asm/page_64_types.h).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Default vm.mmap_min_addr: MAP_FIXED below this fails with EPERM. */
export const MMAP_MIN_ADDR = 0x10000;

export const PROT = {
  NONE: 0,
  READ: 0x1,
  WRITE: 0x2,
  EXEC: 0x4,
  SEM: 0x8,
  GROWSDOWN: 0x01000000,
  GROWSUP: 0x02000000,
} as const;
export const PROT_RWX = PROT.READ | PROT.WRITE | PROT.EXEC;

export const MAP = {
  SHARED: 0x01,
  PRIVATE: 0x02,
  SHARED_VALIDATE: 0x03,
  TYPE: 0x0f,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  BIT32: 0x40, // MAP_32BIT
  GROWSDOWN: 0x0100,
  DENYWRITE: 0x0800,
  EXECUTABLE: 0x1000,
  LOCKED: 0x2000,
  NORESERVE: 0x4000,
  POPULATE: 0x8000,
  NONBLOCK: 0x10000,
  STACK: 0x20000,
  HUGETLB: 0x40000,
  SYNC: 0x80000,
  FIXED_NOREPLACE: 0x100000,
  UNINITIALIZED: 0x4000000,
} as const;

/** Flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK plus MAP_SYNC). */
export const MAP_SHARED_VALIDATE_KNOWN =
  MAP.SHARED | MAP.PRIVATE | MAP.FIXED | MAP.ANONYMOUS | MAP.DENYWRITE | MAP.EXECUTABLE |
  MAP.UNINITIALIZED | MAP.GROWSDOWN | MAP.LOCKED | MAP.NORESERVE | MAP.POPULATE | MAP.NONBLOCK |
  MAP.STACK | MAP.HUGETLB | MAP.BIT32 | MAP.FIXED_NOREPLACE | MAP.SYNC;

export const MREMAP = { MAYMOVE: 1, FIXED: 2, DONTUNMAP: 4 } as const;

export const MADV = {
  NORMAL: 0,
  RANDOM: 1,
  SEQUENTIAL: 2,
  WILLNEED: 3,
  DONTNEED: 4,
  FREE: 8,
  REMOVE: 9,
  DONTFORK: 10,
  DOFORK: 11,
  MERGEABLE: 12,
  UNMERGEABLE: 13,
  HUGEPAGE: 14,
  NOHUGEPAGE: 15,
  DONTDUMP: 16,
  DODUMP: 17,
  WIPEONFORK: 18,
  KEEPONFORK: 19,
  COLD: 20,
  PAGEOUT: 21,
  POPULATE_READ: 22,
  POPULATE_WRITE: 23,
  DONTNEED_LOCKED: 24,
  COLLAPSE: 25,
  HWPOISON: 100,
  SOFT_OFFLINE: 101,
} as const;

export const MS = { ASYNC: 1, INVALIDATE: 2, SYNC: 4 } as const;

export const MCL = { CURRENT: 1, FUTURE: 2, ONFAULT: 4 } as const;
export const MLOCK_ONFAULT = 1;

/** Linux's guard below the stack and minimum stack/mmap gap (mm/util.c: mmap_base). */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
export const MIN_MMAP_GAP = 128 << 20;
