import { MIN_MMAP_GAP, PAGE_SIZE, STACK_GUARD_GAP } from '../abi/linux/mm';

export function pageDown(x: number): number {
  return x - (x % PAGE_SIZE);
}

/** Rounds up to a page; callers bound x first (it stays exact below 2^53). */
export function pageUp(x: number): number {
  return pageDown(x + PAGE_SIZE - 1);
}

export function isPageAligned(x: number): boolean {
  return x % PAGE_SIZE === 0;
}

/** The largest main-thread stack we map up front (the stack does not grow on faults). */
export const MAX_MAPPED_STACK = 1 << 30;

/**
 * Linux's top-down layout (mm/util.c: mmap_base): the stack ends at the top
 * of the address space and the mmap area starts below a gap sized from
 * RLIMIT_STACK (at least 128 MiB, at most 5/6 of the space). No randomisation.
 */
export function stackAndMmapLayout(taskSize: number, stackRlimit: bigint): { stackSize: number; mmapBase: number } {
  const rlim = stackRlimit > BigInt(taskSize) ? taskSize : Number(stackRlimit);
  const gap = Math.min(Math.max(rlim, MIN_MMAP_GAP), pageDown((taskSize / 6) * 5)) + STACK_GUARD_GAP;
  const stackSize = Math.max(pageUp(Math.min(rlim, MAX_MAPPED_STACK)), 32 * PAGE_SIZE);
  return { stackSize, mmapBase: pageDown(taskSize - gap) };
}
