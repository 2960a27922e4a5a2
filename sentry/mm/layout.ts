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
 * The random offsets of one process image, as Linux's ASLR with
 * randomize_va_space 2 (the host default) draws them at exec: the stack
 * top, the mmap base (and with it shared libraries, the vDSO and anonymous
 * mappings), a PIE's load base and the start of the heap.
 */
export interface Randomization {
  stack: number;
  mmap: number;
  pie: number;
  brk: number;
}

/** x86_64 Linux's ranges: STACK_RND_MASK (22 bits of pages, 16 GiB), mmap_rnd_bits 28 (1 TiB; also a PIE's base), 32 MiB for brk. */
export const STACK_RND_MAX = 2 ** 22 * PAGE_SIZE;
export const MMAP_RND_MAX = 2 ** 28 * PAGE_SIZE;
export const BRK_RND_MAX = 32 << 20;

/** Offsets drawn from 16 random bytes, each a whole number of pages below its range. */
export function randomization(random: Buffer): Randomization {
  const pages = (i: number, max: number): number => (random.readUInt32LE(4 * i) % (max / PAGE_SIZE)) * PAGE_SIZE;
  return { stack: pages(0, STACK_RND_MAX), mmap: pages(1, MMAP_RND_MAX), pie: pages(2, MMAP_RND_MAX), brk: pages(3, BRK_RND_MAX) };
}

export interface Layout {
  /** End of the main thread's stack (the address space's top, less the random offset). */
  stackTop: number;
  stackSize: number;
  /** The mmap area grows down from here. */
  mmapBase: number;
}

/**
 * Linux's top-down layout (mm/util.c: mmap_base): the stack ends at the top
 * of the address space and the mmap area starts below a gap sized from
 * RLIMIT_STACK (at least 128 MiB, at most 5/6 of the space). With `r`, the
 * stack top moves down by r.stack and the gap grows by the stack's whole
 * random range, as Linux's does, so the mmap area (moved down by r.mmap)
 * never meets the stack.
 */
export function stackAndMmapLayout(taskSize: number, stackRlimit: bigint, r?: Randomization): Layout {
  const rlim = stackRlimit > BigInt(taskSize) ? taskSize : Number(stackRlimit);
  const pad = r === undefined ? 0 : STACK_RND_MAX;
  const gap = Math.min(Math.max(rlim + pad, MIN_MMAP_GAP), pageDown((taskSize / 6) * 5)) + STACK_GUARD_GAP;
  const stackSize = Math.max(pageUp(Math.min(rlim, MAX_MAPPED_STACK)), 32 * PAGE_SIZE);
  return { stackTop: taskSize - (r?.stack ?? 0), stackSize, mmapBase: pageDown(taskSize - gap - (r?.mmap ?? 0)) };
}
