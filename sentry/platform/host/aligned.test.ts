import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pageAlignedBuffer } from './aligned';
import { addressOf } from './libc';

describe('pageAlignedBuffer', () => {
  it('starts on a page boundary and has exactly the size asked for, small and large (mmap-backed) alike', () => {
    for (const size of [1, 100, 4096, 128 * 1024, 1 << 20]) {
      const b = pageAlignedBuffer(size);
      assert.equal(b.length, size);
      assert.equal(addressOf(b) % 4096n, 0n, `size ${size}`);
    }
  });

  it('is an ordinary writable Buffer: a pread fills it with the file bytes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-aligned-'));
    try {
      const file = path.join(dir, 'data');
      const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
      fs.writeFileSync(file, data);
      const fd = fs.openSync(file, 'r');
      const b = pageAlignedBuffer(8192);
      assert.equal(fs.readSync(fd, b, 0, b.length, 1808), 8192);
      fs.closeSync(fd);
      assert.deepEqual(b, data.subarray(1808, 10_000));
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
