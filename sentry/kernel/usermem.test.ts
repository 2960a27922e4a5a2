import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { PAGE_SIZE } from '../abi/linux/mm';
import { errnoOf, FakeMemory } from '../vfs/testkit';
import { PageReader, readCString } from './usermem';

/** FakeMemory that counts its reads: [base, base + 3 pages) is mapped. */
function memory(): { mem: FakeMemory; reads: () => number } {
  const mem = new FakeMemory(0x10000, 3 * PAGE_SIZE);
  let n = 0;
  const read = mem.read.bind(mem);
  mem.read = (addr: number, len: number): Buffer => {
    n++;
    return read(addr, len);
  };
  return { mem, reads: () => n };
}

describe('PageReader (execve argv/envp)', () => {
  it('reads a pointer array and its strings with one read per page, as readCString reads them', () => {
    const { mem, reads } = memory();
    const strings = Array.from({ length: 40 }, (_, i) => `VAR${i}=${'x'.repeat(i)}`);
    const addrs = strings.map((s) => mem.str(s));
    const array = mem.alloc(8 * (addrs.length + 1));
    addrs.forEach((a, i) => mem.write(array + 8 * i, Buffer.from(new BigUint64Array([BigInt(a)]).buffer)));
    const pages = new PageReader(mem);
    const got: string[] = [];
    for (let at = array; pages.u64(at) !== 0n; at += 8) got.push(pages.cString(Number(pages.u64(at)), 1 << 17));
    assert.deepEqual(got, strings);
    assert.deepEqual(addrs.map((a) => readCString(mem, a)), strings);
    const span = Math.floor((array + 8 * addrs.length) / PAGE_SIZE) - Math.floor(addrs[0] / PAGE_SIZE) + 1;
    const before = reads();
    const again = new PageReader(mem);
    for (const a of addrs) again.cString(a, 1 << 17);
    assert.ok(reads() - before <= span, `${reads() - before} reads for ${span} pages`);
  });

  it('reads a string that crosses into the next page, and one that ends on the last mapped byte', () => {
    const { mem } = memory();
    const end = mem.base + 3 * PAGE_SIZE;
    const across = mem.base + PAGE_SIZE - 3;
    mem.write(across, Buffer.from('abcdef\0'));
    mem.write(end - 4, Buffer.from('xyz\0'));
    const pages = new PageReader(mem);
    assert.equal(pages.cString(across, 100), 'abcdef');
    assert.equal(pages.cString(end - 4, 100), 'xyz');
  });

  it('EFAULT for unmapped memory and NULL; ENAMETOOLONG past the limit', () => {
    const { mem } = memory();
    const pages = new PageReader(mem);
    const end = mem.base + 3 * PAGE_SIZE;
    assert.equal(errnoOf(() => pages.cString(0, 100)), Errno.EFAULT);
    assert.equal(errnoOf(() => pages.u64(end)), Errno.EFAULT);
    mem.write(end - 2, Buffer.from('ab')); // no NUL before the unmapped page
    assert.equal(errnoOf(() => pages.cString(end - 2, 100)), Errno.EFAULT);
    mem.write(mem.base, Buffer.alloc(64, 0x61));
    assert.equal(errnoOf(() => pages.cString(mem.base, 16)), Errno.ENAMETOOLONG);
  });
});
