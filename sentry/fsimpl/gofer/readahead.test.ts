import assert from 'node:assert/strict';
import { ReadaheadCache, WINDOW } from './readahead';

/** A "file" of `size` bytes whose byte i is i % 251, counting fetches. */
function source(size: number) {
  const file = Buffer.alloc(size);
  for (let i = 0; i < size; i++) file[i] = i % 251;
  const fetches: number[] = [];
  const fetch = (off: number, n: number) => {
    fetches.push(off);
    return file.subarray(Math.min(off, size), Math.min(off + n, size));
  };
  return { file, fetches, fetch };
}

describe('gofer read-ahead', () => {
  it('serves a sequential 32 KiB read loop with one fetch per window, byte-identical', () => {
    const { file, fetches, fetch } = source(3 * WINDOW + 1234);
    const cache = new ReadaheadCache<string>();
    const out: Buffer[] = [];
    for (let off = 0; ; ) {
      const b = Buffer.alloc(32768);
      const n = cache.read('f', b, off, fetch);
      if (n === 0) break;
      out.push(b.subarray(0, n));
      off += n;
    }
    assert.ok(Buffer.concat(out).equals(file));
    // Reads that straddle a window boundary refetch from their own offset.
    assert.ok(fetches.length <= 5, `fetches: ${fetches.join(',')}`);
  });

  it('a read past end of file returns 0 from the last window without another fetch', () => {
    const { fetches, fetch } = source(100);
    const cache = new ReadaheadCache<string>();
    assert.equal(cache.read('f', Buffer.alloc(64), 0, fetch), 64);
    assert.equal(cache.read('f', Buffer.alloc(64), 64, fetch), 36);
    assert.equal(cache.read('f', Buffer.alloc(64), 100, fetch), 0);
    assert.deepEqual(fetches, [0]);
  });

  it('drop() forgets a window, so the next read fetches again', () => {
    const { fetches, fetch } = source(100);
    const cache = new ReadaheadCache<string>();
    cache.read('f', Buffer.alloc(8), 0, fetch);
    cache.drop('f');
    cache.read('f', Buffer.alloc(8), 0, fetch);
    assert.deepEqual(fetches, [0, 0]);
  });
});
