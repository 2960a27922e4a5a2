import { AddressSpace, MemoryIO } from '../platform/platform';

/**
 * The application's memory: the VMA model, brk, mmap layout, and the
 * AddressSpace it drives. (Owned by the mm work; this is the shape the
 * kernel relies on.)
 */
export class MemoryManager {
  constructor(
    readonly as: AddressSpace,
    readonly io: MemoryIO,
  ) {}
}
