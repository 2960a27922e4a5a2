// System V IPC ABI for x86_64: the flags and commands of shmget/shmat/shmctl
// (include/uapi/linux/ipc.h, include/uapi/linux/shm.h) and the 64-bit
// layouts the kernel copies out for IPC_64 commands (asm-generic ipcbuf.h,
// arch/x86/include/uapi/asm/shmbuf.h: struct ipc64_perm, shmid64_ds,
// shminfo64, shm_info). glibc's struct ipc_perm/shmid_ds have the same
// layouts on x86_64 (checked against gcc in ipc.test.ts).

/** The key that always creates a new segment. */
export const IPC_PRIVATE = 0;

export const IPC = {
  CREAT: 0o1000,
  EXCL: 0o2000,
  NOWAIT: 0o4000,
  RMID: 0,
  SET: 1,
  STAT: 2,
  INFO: 3,
} as const;

/** Set in a command by glibc to ask for the 64-bit structures (x86_64 has no others). */
export const IPC_64 = 0x100;

export const SHM = {
  /** shmget flags. */
  HUGETLB: 0o4000,
  NORESERVE: 0o10000,
  /** shmat flags. */
  RDONLY: 0o10000,
  RND: 0o20000,
  REMAP: 0o40000,
  EXEC: 0o100000,
  LOCK: 11,
  UNLOCK: 12,
  STAT: 13,
  INFO: 14,
  STAT_ANY: 15,
  /** Mode bits: marked for destruction at the last detach; locked. */
  DEST: 0o1000,
  LOCKED: 0o2000,
} as const;

/** shmat's address alignment (SHMLBA is PAGE_SIZE on x86). */
export const SHMLBA = 4096;
export const SHMMIN = 1;
/** Linux's defaults of kernel.shmmax/shmall (ULONG_MAX - 2^24) and shmmni. */
export const SHMMAX_DEFAULT = 0xffff_ffff_feff_ffffn;
export const SHMMNI_DEFAULT = 4096;
/** ipc_buildid: id = seq * SEQ_MULTIPLIER + index. */
export const IPCMNI = 32768;

/** struct ipc64_perm. */
export const IPC_PERM_OFF = { key: 0, uid: 4, gid: 8, cuid: 12, cgid: 16, mode: 20, seq: 24 } as const;
export const IPC_PERM_SIZE = 48;

/** struct shmid64_ds (shm_perm first). */
export const SHMID_DS_OFF = { perm: 0, segsz: 48, atime: 56, dtime: 64, ctime: 72, cpid: 80, lpid: 84, nattch: 88 } as const;
export const SHMID_DS_SIZE = 112;

/** struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall, then four unused longs. */
export const SHMINFO_SIZE = 72;
/** struct shm_info: int used_ids, then shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes (longs). */
export const SHM_INFO_OFF = { usedIds: 0, tot: 8, rss: 16, swp: 24 } as const;
export const SHM_INFO_SIZE = 48;

/** semctl(2) commands past the IPC ones, and semop's SEM_UNDO (include/uapi/linux/sem.h). */
export const SEM = {
  GETPID: 11,
  GETVAL: 12,
  GETALL: 13,
  GETNCNT: 14,
  GETZCNT: 15,
  SETVAL: 16,
  SETALL: 17,
  STAT: 18,
  INFO: 19,
  STAT_ANY: 20,
  UNDO: 0x1000,
} as const;
/** The largest semaphore value, and the largest undo adjustment (SEMAEM). */
export const SEMVMX = 32767;
/** Compile-time limits IPC_INFO reports beside the sysctl ones: SEMMNS (= SEMMNI * SEMMSL), SEMOPM, SEMUSZ. */
export const SEMMNS_BUILD = 1024000000;
export const SEMOPM_BUILD = 500;
export const SEMUSZ = 20;

/** struct sembuf: sem_num (u16), sem_op (s16), sem_flg (s16). */
export const SEMBUF_SIZE = 6;
/** struct semid64_ds (sem_perm first). */
export const SEMID_DS_OFF = { perm: 0, otime: 48, ctime: 64, nsems: 80 } as const;
export const SEMID_DS_SIZE = 104;
/** struct seminfo: ten ints (semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem). */
export const SEMINFO_SIZE = 40;

/** msgrcv flags and msgctl commands past the IPC ones (include/uapi/linux/msg.h). */
export const MSG = {
  NOERROR: 0o10000,
  EXCEPT: 0o20000,
  COPY: 0o40000,
  STAT: 11,
  INFO: 12,
  STAT_ANY: 13,
} as const;
/** Compile-time values IPC_INFO reports beside the sysctl ones: MSGPOOL (KiB), MSGMAP, MSGSSZ, MSGTQL, MSGSEG. */
export const MSGPOOL = 512000;
export const MSGMAP = 16384;
export const MSGSSZ = 16;
export const MSGTQL = 16384;
export const MSGSEG = 0xffff;
/** struct msqid64_ds (msg_perm first). */
export const MSQID_DS_OFF = { perm: 0, stime: 48, rtime: 56, ctime: 64, cbytes: 72, qnum: 80, qbytes: 88, lspid: 96, lrpid: 100 } as const;
export const MSQID_DS_SIZE = 120;
/** struct msginfo: seven ints and an unsigned short (msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, msgseg). */
export const MSGINFO_SIZE = 32;
