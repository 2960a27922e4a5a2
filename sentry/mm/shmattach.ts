/**
 * What the memory manager needs of a System V shared memory segment
 * (kernel/ipc/shm.ts) to map it: its slot in the platform's shared memory,
 * so every attaching process maps the same host pages, and a counter it
 * reports attachments to. The segment counts mapped areas, as Linux's
 * shm_nattch counts VMAs (a fork copies them, a split makes two).
 */
export interface ShmTarget {
  /** Unique in the Sentry for the segment's life (shared futex keys). */
  readonly uid: number;
  /** The shmid: the inode number /proc/[pid]/maps shows. */
  readonly id: number;
  /** The key at creation: the maps name is /SYSV<key in 8 hex digits>. */
  readonly nameKey: number;
  /** Offset of the segment's slot in the platform's shared memory. */
  readonly slot: number;
  /** shm_segsz in bytes. */
  readonly size: number;
  /** `delta` areas of the segment were mapped (> 0) or unmapped (< 0) by process `pid`. */
  attached(delta: number, pid: number): void;
}

/** The /proc/[pid]/maps name of an attached segment (the shmem file Linux creates is unlinked). */
export function shmMapsName(t: ShmTarget): string {
  return `/SYSV${(t.nameKey >>> 0).toString(16).padStart(8, '0')} (deleted)`;
}
