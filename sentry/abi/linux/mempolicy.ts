// NUMA memory policies (include/uapi/linux/mempolicy.h).
export const MPOL = {
  DEFAULT: 0,
  PREFERRED: 1,
  BIND: 2,
  INTERLEAVE: 3,
  LOCAL: 4,
  PREFERRED_MANY: 5,
  WEIGHTED_INTERLEAVE: 6,
  /** One past the last mode. */
  MAX: 7,
} as const;

/** Flags or'ed into a mode. */
export const MPOL_F = {
  STATIC_NODES: 1 << 15,
  RELATIVE_NODES: 1 << 14,
  NUMA_BALANCING: 1 << 13,
} as const;
export const MPOL_MODE_FLAGS = MPOL_F.STATIC_NODES | MPOL_F.RELATIVE_NODES | MPOL_F.NUMA_BALANCING;

/** get_mempolicy(2)'s flags. */
export const MPOL_GET = { NODE: 1, ADDR: 2, MEMS_ALLOWED: 4 } as const;

/** mbind(2)'s flags. */
export const MPOL_MF = { STRICT: 1, MOVE: 2, MOVE_ALL: 4 } as const;
