import assert from 'node:assert/strict';
import { GoferFs } from '../fsimpl/gofer/fs';
import { OverlayFs } from '../fsimpl/overlay/overlay';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import type { SharedMemory } from '../platform/platform';
import type { Inode } from '../vfs/inode';
import { FakeGofer } from '../vfs/testkit';
import { IMAGE_CACHE_BYTES, imageOffset } from './imagecache';

/** Shared memory with small slots, in a Map of written ranges. */
class FakeShared implements SharedMemory {
  readonly slotSize = 1 << 20;
  readonly bytes = new Map<number, number>();
  slots = 0;
  allocSlot(): number {
    return this.slots++ * this.slotSize;
  }
  releaseSlot(): void {}
  read(offset: number, dst: Buffer): void {
    for (let i = 0; i < dst.length; i++) dst[i] = this.bytes.get(offset + i) ?? 0;
  }
  write(offset: number, src: Uint8Array): void {
    src.forEach((b, i) => this.bytes.set(offset + i, b));
  }
}

function image(): { root: Inode; gofer: FakeGofer } {
  const gofer = new FakeGofer();
  gofer.add('lib', 'dir');
  gofer.add('lib/libc.so', 'file', 'ELF libc bytes');
  gofer.add('lib/other.so', 'file', 'other');
  const lower = new GoferFs(gofer, 1, true);
  return { root: new OverlayFs(2, new Tmpfs(3, 0o755), lower.root).root, gofer };
}

describe('image cache (private mappings of immutable files)', () => {
  it('copies an image file once and hands every mapping the same slot', () => {
    const { root } = image();
    const mem = new FakeShared();
    const libc = (root.lookup('lib') as Inode).lookup('libc.so') as Inode;
    const source = libc.immutableSource() as Inode;
    assert.ok(source);
    const at = imageOffset(mem, source, source.stat().size) as number;
    const back = Buffer.alloc(14);
    mem.read(at, back);
    assert.equal(back.toString(), 'ELF libc bytes');
    assert.equal(imageOffset(mem, source, source.stat().size), at);
    assert.equal(mem.slots, 1);
    const other = ((root.lookup('lib') as Inode).lookup('other.so') as Inode).immutableSource() as Inode;
    assert.notEqual(imageOffset(mem, other, 5), at);
  });

  it('has no source for a file copied up, for directories, or on a writable tree', () => {
    const { root, gofer } = image();
    const lib = root.lookup('lib') as Inode;
    assert.equal(lib.immutableSource(), undefined);
    const libc = lib.lookup('libc.so') as Inode;
    libc.write(Buffer.from('X'), 0);
    assert.equal(libc.immutableSource(), undefined);
    const writable = new GoferFs(gofer, 4, false);
    assert.equal(((writable.root.lookup('lib') as Inode).lookup('other.so') as Inode).immutableSource(), undefined);
  });

  it('declines empty files, files larger than a slot, and past its byte budget', () => {
    const { root } = image();
    const mem = new FakeShared();
    const source = ((root.lookup('lib') as Inode).lookup('libc.so') as Inode).immutableSource() as Inode;
    assert.equal(imageOffset(mem, source, 0), undefined);
    assert.equal(imageOffset(mem, source, mem.slotSize + 1), undefined);
    assert.equal(imageOffset(mem, source, IMAGE_CACHE_BYTES + 1), undefined);
    assert.equal(mem.slots, 0);
  });
});
