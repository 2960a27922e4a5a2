/**
 * The shared memory file: one host memfd whose pages back the sandbox's
 * MAP_SHARED file mappings (mm/filecache.ts). Every stub holds it at a fixed
 * fd (ptrace/ptrace.ts) and maps pieces of it; the Sentry reads and writes
 * it with pread/pwrite. Each cached file gets a fixed-size slot; the file is
 * sparse, so only touched pages cost memory, and a released slot's pages
 * are punched out before it is reused.
 */
import type { SharedMemory } from '../platform';
import { check, errno, HostError, raw } from './libc';

const MFD_CLOEXEC = 1;
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
/** The most of one file that shared mappings can reach. */
const SLOT_SIZE = 1 << 30;

export class HostMemoryFile implements SharedMemory {
  readonly fd: number;
  readonly slotSize = SLOT_SIZE;
  private readonly freeSlots: number[] = [];
  private slots = 0;

  constructor() {
    this.fd = check('memfd_create', raw.memfdCreate('tsvisor-shared', MFD_CLOEXEC) as number);
  }

  allocSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const offset = this.slots * SLOT_SIZE;
    check('ftruncate', raw.ftruncate(this.fd, offset + SLOT_SIZE) as number);
    this.slots++;
    return offset;
  }

  releaseSlot(offset: number): void {
    check('fallocate', raw.fallocate(this.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, SLOT_SIZE) as number);
    this.freeSlots.push(offset);
  }

  /**
   * Bytes of [offset, offset+len) that hold pages (the sparse file's data
   * extents: SEEK_DATA/SEEK_HOLE), i.e. what touching has made resident.
   */
  residentBytes(offset: number, len: number): number {
    const end = offset + len;
    let total = 0;
    for (let at = offset; at < end; ) {
      const data = raw.lseek(this.fd, at, SEEK_DATA) as number;
      if (data < 0 || data >= end) break;
      const hole = raw.lseek(this.fd, data, SEEK_HOLE) as number;
      const stop = hole < 0 ? end : Math.min(hole, end);
      total += stop - data;
      at = stop;
    }
    return total;
  }

  read(offset: number, dst: Buffer): void {
    const n = raw.pread(this.fd, dst, dst.length, offset) as number;
    if (n !== dst.length) throw new HostError('pread shared memory', n < 0 ? errno() : 5 /* EIO: short */);
  }

  write(offset: number, src: Uint8Array): void {
    const n = raw.pwrite(this.fd, src, src.length, offset) as number;
    if (n !== src.length) throw new HostError('pwrite shared memory', n < 0 ? errno() : 5 /* EIO: short */);
  }
}
