/**
 * Read-ahead for Gofer files: a small read (a 32 KiB `read(2)` loop, ld.so
 * reading an ELF header) fetches a whole window in one 9P round trip, and
 * the following reads are served from it. The round trip, not the bytes,
 * is what costs, so this turns thousands of Treads into a few hundred.
 * Windows are few and bounded (LRU); a write through the same inode drops
 * its window.
 */
export const WINDOW = 1 << 20;
const MAX_WINDOWS = 8;

interface Window {
  offset: number;
  data: Buffer;
}

export class ReadaheadCache<K> {
  private readonly windows = new Map<K, Window>();

  /**
   * Fills `dst` from the window of `key` at `offset`, fetching a new window
   * with `fetch(offset, WINDOW)` on a miss. Returns the bytes copied (fewer
   * than dst.length only at end of file).
   */
  read(key: K, dst: Buffer, offset: number, fetch: (offset: number, count: number) => Buffer): number {
    let w = this.windows.get(key);
    // A window shorter than WINDOW ends at end of file: it answers every read from its start on.
    const hit = w && offset >= w.offset && (offset + dst.length <= w.offset + w.data.length || w.data.length < WINDOW);
    if (!w || !hit) w = { offset, data: fetch(offset, WINDOW) };
    this.windows.delete(key); // re-insert: most recently used last
    this.windows.set(key, w);
    if (this.windows.size > MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value as K);
    const start = offset - w.offset;
    return start >= w.data.length ? 0 : w.data.copy(dst, 0, start);
  }

  drop(key: K): void {
    this.windows.delete(key);
  }
}
