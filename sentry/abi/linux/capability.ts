// Capabilities: numbers (include/uapi/linux/capability.h), capget/capset
// header versions and data layout, prctl options that manage them
// (include/uapi/linux/prctl.h) and the securebits the sandbox models
// (include/uapi/linux/securebits.h).

/** Capability names without the CAP_ prefix, indexed by number (0 = CHOWN … 40 = CHECKPOINT_RESTORE). */
export const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export type CapName = (typeof CAP_NAMES)[number];

/** Capability numbers by name: CAP.SYS_ADMIN === 21. */
export const CAP = Object.fromEntries(CAP_NAMES.map((n, i) => [n, i])) as { readonly [K in CapName]: number };

/**
 * The highest capability the sandbox knows (/proc/sys/kernel/cap_last_cap).
 * The emulated kernel says 4.4, but like gVisor it knows the capabilities
 * of current kernels, so runtimes that grant "ALL" from a newer host agree.
 */
export const CAP_LAST_CAP = CAP_NAMES.length - 1;

/** Every valid capability bit. */
export const CAP_FULL_SET = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

/** The bit of one capability in a 64-bit set. */
export const capBit = (cap: number): bigint => 1n << BigInt(cap);

/** capget/capset header versions and how many 32-bit data structs each uses. */
export const CAP_VERSION = { V1: 0x19980330, V2: 0x20071026, V3: 0x20080522 } as const;
export const CAP_U32S: Record<number, number> = { [CAP_VERSION.V1]: 1, [CAP_VERSION.V2]: 2, [CAP_VERSION.V3]: 2 };

/** struct __user_cap_header_struct { u32 version; int pid; }. */
export const CAP_HEADER = { VERSION: 0, PID: 4, SIZE: 8 } as const;
/** struct __user_cap_data_struct { u32 effective, permitted, inheritable; }. */
export const CAP_DATA = { EFFECTIVE: 0, PERMITTED: 4, INHERITABLE: 8, SIZE: 12 } as const;

/** prctl(2) options for capabilities. */
export const PR_CAP = {
  GET_KEEPCAPS: 7, SET_KEEPCAPS: 8, CAPBSET_READ: 23, CAPBSET_DROP: 24, GET_SECUREBITS: 27, SET_SECUREBITS: 28, AMBIENT: 47,
} as const;
/** PR_CAP_AMBIENT's second argument. */
export const PR_CAP_AMBIENT_OP = { IS_SET: 1, RAISE: 2, LOWER: 3, CLEAR_ALL: 4 } as const;

/** SECBIT_KEEP_CAPS: the only securebit the sandbox models (PR_SET_KEEPCAPS). */
export const SECBIT_KEEP_CAPS = 1 << 4;
