/**
 * The Sentry's C heap (glibc malloc). Node keeps Buffer and ArrayBuffer
 * contents in malloc'd memory; when the garbage collector frees them, glibc
 * only gives memory back to the host from the top of the heap (and unmaps
 * large chunks), so freed space in the middle stays resident.
 */
import { raw } from './libc';

/**
 * malloc_trim(0): returns every whole free page of the malloc heaps to the
 * host (madvise(MADV_DONTNEED) inside, brk at the top). Costs a walk over
 * the free lists; meant for idle moments, not hot paths.
 */
export function trimMalloc(): void {
  raw.mallocTrim(0);
}
