/**
 * The C heap (glibc malloc) of the Sentry and the Gofer. Node keeps Buffer and ArrayBuffer
 * contents in malloc'd memory; when the garbage collector frees them, glibc
 * only gives memory back to the host from the top of the heap (and unmaps
 * large chunks), so freed space in the middle stays resident.
 */
import koffi from './koffi';

/**
 * Bound here, not in libc.ts: the Gofer's idle collection trims its heap
 * too, and libc.ts's ~100 Sentry prototypes would cost it ~5 ms of parsing
 * at every start.
 */
const libc = koffi.load('libc.so.6');
const raw = {
  mallocTrim: libc.func('int malloc_trim(size_t pad)'),
  mallopt: libc.func('int mallopt(int param, int value)'),
};

/**
 * malloc_trim(0): returns every whole free page of the malloc heaps to the
 * host (madvise(MADV_DONTNEED) inside, brk at the top). Costs a walk over
 * the free lists; meant for idle moments, not hot paths.
 */
export function trimMalloc(): void {
  raw.mallocTrim(0);
}

/** mallopt(3) parameters. */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

/**
 * Lets freed memory stay in the heap for the next allocations instead of
 * going back to the host at once: blocks up to `mmapBytes` come from the
 * heap (not a fresh mmap each), and free space at its top is given back
 * only past `trimBytes` (fixed values also end glibc's own adjustment of
 * both). A stream of short-lived large Buffers then reuses the same pages
 * instead of unmapping them and faulting in fresh zeroed ones. The idle
 * collection's malloc_trim still gives back everything free.
 */
export function retainFreedHeap(mmapBytes: number, trimBytes: number): void {
  raw.mallopt(M_MMAP_THRESHOLD, mmapBytes);
  raw.mallopt(M_TRIM_THRESHOLD, trimBytes);
}
