/**
 * Copies of immutable files in the platform's shared memory, for private
 * file mappings. Without one, every private mapping of a file (the ELF
 * loader's segments, ld.so mapping libc) is fresh anonymous memory the
 * Sentry fills with the file's bytes: about 2 MB of copying per exec of a
 * dynamic program. A file whose bytes can never change (the read-only
 * image under the memory overlay: Inode.immutableSource) is instead copied
 * once into a slot of the shared memory, and each private mapping maps that
 * slot copy-on-write (MAP_PRIVATE of the memfd), as Linux maps the page
 * cache: untouched pages are shared by every process, a write copies the page.
 *
 * The copies live as long as the sandbox (a mapping may still use one);
 * past IMAGE_CACHE_BYTES, or for a file larger than a slot, mappings copy
 * as before. A file copied up into the overlay's upper layer is another
 * inode with its own bytes, never served from here.
 */
import { pageUp } from './layout';
import { pageAlignedBuffer } from '../platform/host/aligned';
import type { SharedMemory } from '../platform/platform';
import type { Inode } from '../vfs/inode';

/** Bytes of file copies one sandbox keeps. */
export const IMAGE_CACHE_BYTES = 256 * 1024 * 1024;
const COPY_CHUNK = 1 << 20;

interface Images {
  readonly slots: Map<Inode, number>;
  bytes: number;
}

const perMemory = new WeakMap<SharedMemory, Images>();

/**
 * The offset in `mem` of the copy of immutable file `source` (made on
 * first use from `size` bytes of it); undefined when it has no copy and
 * cannot get one.
 */
export function imageOffset(mem: SharedMemory, source: Inode, size: number): number | undefined {
  let images = perMemory.get(mem);
  if (images === undefined) perMemory.set(mem, (images = { slots: new Map(), bytes: 0 }));
  const known = images.slots.get(source);
  if (known !== undefined) return known;
  const charge = pageUp(size);
  if (size === 0 || size > mem.slotSize || images.bytes + charge > IMAGE_CACHE_BYTES) return undefined;
  const slot = mem.allocSlot();
  try {
    const buf = pageAlignedBuffer(Math.min(COPY_CHUNK, size));
    for (let at = 0; at < size; ) {
      const n = source.read(buf.subarray(0, Math.min(buf.length, size - at)), at);
      if (n <= 0) break;
      mem.write(slot + at, buf.subarray(0, n));
      at += n;
    }
  } catch (e) {
    mem.releaseSlot(slot);
    throw e;
  }
  images.slots.set(source, slot);
  images.bytes += charge;
  return slot;
}
