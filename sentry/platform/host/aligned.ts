/**
 * Page-aligned buffers for bulk copies out of the host page cache.
 *
 * The kernel copies with `rep movsb`, which on the AMD EPYC hosts we run on
 * slows about fivefold when the destination lies 1 to 31 bytes past the
 * source modulo 4096 (false 4K-aliasing between the loads and the stores).
 * A pread from a page-aligned file offset reads from offset 0 of a page, and
 * glibc hands out large blocks (mmap'd, 128 KiB and up) 16 bytes into a
 * page: a 32 KiB pread into a 1 MiB Buffer.allocUnsafe took 17-20 us, into
 * the same buffer moved to a page boundary 4-6 us (and 4 us in a native
 * tracer's page-aligned buffer). Page alignment puts every copy from an
 * aligned file offset at distance 0.
 */
// koffi itself rather than libc.ts's addressOf: the Gofer uses this too and
// should not load the Sentry's libc bindings for it.
import koffi from './koffi';
import { PAGE_SIZE } from '../../abi/linux/mm';

/** An uninitialised Buffer of `size` bytes whose first byte starts a page (it holds up to a page more). */
export function pageAlignedBuffer(size: number): Buffer {
  const backing = Buffer.allocUnsafe(size + PAGE_SIZE - 1);
  const offset = Number((koffi.address(backing) as bigint) % BigInt(PAGE_SIZE));
  const pad = offset === 0 ? 0 : PAGE_SIZE - offset;
  return backing.subarray(pad, pad + size);
}
