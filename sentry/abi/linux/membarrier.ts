// membarrier(2) commands (include/uapi/linux/membarrier.h).
export const MEMBARRIER_CMD = {
  QUERY: 0,
  GLOBAL: 1 << 0,
  GLOBAL_EXPEDITED: 1 << 1,
  REGISTER_GLOBAL_EXPEDITED: 1 << 2,
  PRIVATE_EXPEDITED: 1 << 3,
  REGISTER_PRIVATE_EXPEDITED: 1 << 4,
  PRIVATE_EXPEDITED_SYNC_CORE: 1 << 5,
  REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: 1 << 6,
  PRIVATE_EXPEDITED_RSEQ: 1 << 7,
  REGISTER_PRIVATE_EXPEDITED_RSEQ: 1 << 8,
  GET_REGISTRATIONS: 1 << 9,
} as const;

/** The only flag, and only for PRIVATE_EXPEDITED_RSEQ: cpu_id names the CPU. */
export const MEMBARRIER_CMD_FLAG_CPU = 1;
