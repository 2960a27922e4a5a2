import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { O, S_IFCHR } from '../abi/linux/fs';
import { MADV, MAP, MREMAP, PAGE_SIZE, PROT } from '../abi/linux/mm';
import { isLinuxError } from '../errors/linuxerr';
import { MemoryManager, MmapRequest } from './mm';
import { formatMapsLine } from './procmaps';
import { FakeMemory, MemFile } from './testing';
import { Vma } from './vma';

const TASK = 0x7ffb_0000_0000;
const P = PAGE_SIZE;
const RW = PROT.READ | PROT.WRITE;
const ANON = MAP.PRIVATE | MAP.ANONYMOUS;

function setup(): { mm: MemoryManager; mem: FakeMemory } {
  const mem = new FakeMemory();
  return { mm: new MemoryManager(mem, mem, TASK), mem };
}

function req(r: Partial<MmapRequest>): MmapRequest {
  return { addr: 0, len: P, prot: RW, flags: ANON, offset: 0n, ...r };
}

function errno(name: Parameters<typeof isLinuxError>[1], fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isLinuxError(e, name), `expected ${name}`);
}

function ranges(mm: MemoryManager): string[] {
  return mm.vmas.all().map((v) => `${v.start.toString(16)}-${v.end.toString(16)} ${v.prot} ${v.backing.kind}`);
}

describe('MemoryManager layout', () => {
  it('puts the mmap base below the stack gap (8 MiB RLIMIT_STACK: 128 MiB + guard)', () => {
    const { mm } = setup();
    assert.equal(mm.mmapBase, TASK - (128 << 20) - 256 * P);
    assert.equal(mm.stackSize, 8 << 20);
  });

  it('sizes the gap from a large RLIMIT_STACK, capping the mapped stack at 1 GiB', () => {
    const mem = new FakeMemory();
    const mm = new MemoryManager(mem, mem, TASK, 4n << 30n);
    assert.equal(mm.mmapBase, TASK - (4 * 2 ** 30) - 256 * P);
    assert.equal(mm.stackSize, 2 ** 30);
  });
});

describe('mmap', () => {
  it('allocates top-down from the mmap base and merges adjacent anonymous areas', () => {
    const { mm, mem } = setup();
    const a = mm.mmap(req({}));
    const b = mm.mmap(req({ len: 2 * P - 5 }));
    assert.equal(a, mm.mmapBase - P);
    assert.equal(b, mm.mmapBase - 3 * P);
    assert.deepEqual(ranges(mm), [`${b.toString(16)}-${mm.mmapBase.toString(16)} 3 anon`]);
    assert.deepEqual(mem.calls, [`map ${a.toString(16)} 1000 3`, `map ${b.toString(16)} 2000 3`]);
  });

  it('honours a free hint (rounded down to a page, like round_hint_to_min) and ignores a taken one', () => {
    const { mm } = setup();
    assert.equal(mm.mmap(req({ addr: 0x1000_0fff })), 0x1000_0000);
    assert.equal(mm.mmap(req({ addr: 0x1000_0000 })), mm.mmapBase - P);
    assert.equal(mm.mmap(req({ addr: 0x100 })), 0x10000, 'hints below mmap_min_addr are raised to it');
  });

  it('MAP_FIXED replaces and splits existing areas; MAP_FIXED_NOREPLACE fails with EEXIST', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 4 * P, flags: ANON | MAP.FIXED }));
    mem.write(0x40_0000, Buffer.from('keep'));
    mem.write(0x40_1000, Buffer.from('gone'));
    assert.equal(mm.mmap(req({ addr: 0x40_1000, len: P, prot: PROT.READ, flags: ANON | MAP.FIXED })), 0x40_1000);
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon', '401000-402000 1 anon', '402000-404000 3 anon']);
    assert.equal(mem.read(0x40_0000, 4).toString(), 'keep');
    assert.deepEqual(mem.read(0x40_1000, 4), Buffer.alloc(4));
    errno('EEXIST', () => mm.mmap(req({ addr: 0x40_3000, flags: ANON | MAP.FIXED_NOREPLACE })));
    assert.equal(mm.mmap(req({ addr: 0x40_4000, flags: ANON | MAP.FIXED_NOREPLACE })), 0x40_4000);
  });

  it('validates arguments with Linux errnos', () => {
    const { mm } = setup();
    errno('EINVAL', () => mm.mmap(req({ len: 0 })));
    errno('EINVAL', () => mm.mmap(req({ offset: 123n })));
    errno('EINVAL', () => mm.mmap(req({ flags: MAP.ANONYMOUS })));
    errno('EINVAL', () => mm.mmap(req({ addr: 0x40_0001, flags: ANON | MAP.FIXED })));
    errno('EPERM', () => mm.mmap(req({ addr: 0x1000, flags: ANON | MAP.FIXED })));
    errno('EPERM', () => mm.mmap(req({ addr: 0, flags: ANON | MAP.FIXED })));
    errno('ENOMEM', () => mm.mmap(req({ addr: TASK - P, len: 2 * P, flags: ANON | MAP.FIXED })));
    errno('ENOMEM', () => mm.mmap(req({ len: 2 ** 64 })));
    errno('ENOMEM', () => mm.mmap(req({ len: TASK + 1 })));
    errno('EOPNOTSUPP', () => mm.mmap(req({ flags: MAP.SHARED_VALIDATE | MAP.ANONYMOUS | 0x800_0000 })));
    errno('EBADF', () => mm.mmap(req({ flags: MAP.PRIVATE })));
    assert.equal(mm.mmap(req({ addr: TASK - P, flags: ANON | MAP.FIXED })), TASK - P);
    assert.equal(mm.vmas.size, 1);
  });

  it('MAP_32BIT allocates below 2 GiB', () => {
    const { mm } = setup();
    const a = mm.mmap(req({ flags: ANON | MAP.BIT32 }));
    assert.ok(a >= 0x4000_0000 && a + P <= 0x8000_0000, a.toString(16));
  });

  it('copies a private file mapping, zero-filling past EOF, and applies the protection after the copy', () => {
    const { mm, mem } = setup();
    const data = Buffer.alloc(P + 100, 0x61);
    data.write('second', P);
    const f = new MemFile('/data/x', data);
    const a = mm.mmap(req({ len: 3 * P, prot: PROT.READ, flags: MAP.PRIVATE, file: f, offset: BigInt(P) }));
    assert.equal(mem.read(a, 6).toString(), 'second');
    assert.deepEqual(mem.read(a + 100, P - 100), Buffer.alloc(P - 100));
    assert.equal(mem.protAt(a), PROT.READ);
    assert.deepEqual(mm.vmas.find(a)?.backing, { kind: 'file', path: '/data/x', offset: P, dev: 0xfe01, ino: 4242 });
  });

  it('applies Linux file-mapping permission rules', () => {
    const { mm } = setup();
    const ro = new MemFile('/f', Buffer.alloc(10));
    errno('EACCES', () => mm.mmap(req({ flags: MAP.SHARED, file: ro })));
    errno('EACCES', () => mm.mmap(req({ flags: MAP.PRIVATE, file: new MemFile('/w', Buffer.alloc(1), O.WRONLY) })));
    errno('ENODEV', () => mm.mmap(req({ flags: MAP.SHARED, file: new MemFile('/rw', Buffer.alloc(1), O.RDWR) })));
    errno('ENODEV', () => mm.mmap(req({ flags: MAP.PRIVATE, file: new MemFile('/dev/tty', Buffer.alloc(1), O.RDONLY, S_IFCHR | 0o666) })));
    errno('EOVERFLOW', () => mm.mmap(req({ flags: MAP.PRIVATE, file: ro, offset: (1n << 63n) - 4096n })));
    const a = mm.mmap(req({ prot: PROT.READ, flags: MAP.SHARED, file: ro }));
    errno('EACCES', () => mm.mprotect(a, P, RW));
    mm.mprotect(a, P, PROT.READ | PROT.EXEC);
    const b = mm.mmap(req({ prot: PROT.READ, flags: MAP.PRIVATE, file: ro }));
    mm.mprotect(b, P, RW);
    assert.equal(formatMapsLine(mm.vmas.find(a) as Vma).slice(26, 30), 'r-xs');
  });
});

describe('munmap', () => {
  it('splits areas, unmaps holes silently and validates its arguments', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 3 * P, flags: ANON | MAP.FIXED }));
    mm.munmap(0x40_1000, 1);
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon', '402000-403000 3 anon']);
    assert.equal(mem.protAt(0x40_1000), undefined);
    const calls = mem.calls.length;
    mm.munmap(0x50_0000, P);
    assert.equal(mem.calls.length, calls, 'no host call for an unmapped range');
    errno('EINVAL', () => mm.munmap(0x40_0001, P));
    errno('EINVAL', () => mm.munmap(0x40_0000, 0));
    errno('EINVAL', () => mm.munmap(TASK - P, 2 * P));
    errno('EINVAL', () => mm.munmap(2 ** 64 - P, P));
  });
});

describe('mprotect', () => {
  it('splits and merges areas', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 3 * P, flags: ANON | MAP.FIXED }));
    mm.mprotect(0x40_1000, P, PROT.READ);
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon', '401000-402000 1 anon', '402000-403000 3 anon']);
    assert.equal(mem.protAt(0x40_1000), PROT.READ);
    mm.mprotect(0x40_1000, P - 1, RW | PROT.SEM);
    assert.deepEqual(ranges(mm), ['400000-403000 3 anon']);
  });

  it('validates arguments', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 2 * P, flags: ANON | MAP.FIXED }));
    mm.mprotect(0x40_0000, 0, PROT.READ);
    errno('EINVAL', () => mm.mprotect(0x40_0001, P, PROT.READ));
    errno('EINVAL', () => mm.mprotect(0x40_0000, P, 0x10));
    errno('EINVAL', () => mm.mprotect(0x40_0000, P, PROT.READ | PROT.GROWSDOWN | PROT.GROWSUP));
    errno('EINVAL', () => mm.mprotect(0x40_0000, P, PROT.READ | PROT.GROWSDOWN));
    errno('ENOMEM', () => mm.mprotect(0x3f_f000, 2 * P, PROT.READ));
    assert.deepEqual(ranges(mm), ['400000-402000 3 anon'], 'a range starting in a hole changes nothing');
  });

  it('as Linux, changes the areas before a hole or an area that refuses the protection, then fails', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 2 * P, flags: ANON | MAP.FIXED }));
    mm.mmap(req({ addr: 0x40_3000, len: P, flags: ANON | MAP.FIXED }));
    errno('ENOMEM', () => mm.mprotect(0x40_0000, 4 * P, PROT.READ));
    assert.deepEqual(ranges(mm), ['400000-402000 1 anon', '403000-404000 3 anon']);
    assert.equal(mem.protAt(0x40_1000), PROT.READ);
    mm.mmap(req({ addr: 0x40_2000, len: P, prot: PROT.READ, flags: MAP.SHARED | MAP.FIXED, file: new MemFile('/ro', Buffer.alloc(P, 1)) }));
    errno('EACCES', () => mm.mprotect(0x40_0000, 4 * P, RW));
    assert.deepEqual(ranges(mm), ['400000-402000 3 anon', '402000-403000 1 file', '403000-404000 3 anon'], 'the areas before the file changed');
  });

  it('writableLength: the bytes from an address on that writable areas cover', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 2 * P, flags: ANON | MAP.FIXED }));
    mm.mmap(req({ addr: 0x40_2000, len: P, prot: PROT.WRITE, flags: ANON | MAP.FIXED }));
    mm.mmap(req({ addr: 0x40_3000, len: P, prot: PROT.READ, flags: ANON | MAP.FIXED }));
    assert.equal(mm.writableLength(0x40_0010, 10 * P), 3 * P - 0x10);
    assert.equal(mm.writableLength(0x40_1000, 100), 100);
    assert.equal(mm.writableLength(0x40_3000, P), 0);
    assert.equal(mm.writableLength(0x50_0000, P), 0);
  });

  it('PROT_GROWSDOWN extends to the start of a MAP_GROWSDOWN area', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 4 * P, flags: ANON | MAP.FIXED | MAP.GROWSDOWN }));
    mm.mprotect(0x40_2000, P, PROT.READ | PROT.GROWSDOWN);
    assert.deepEqual(ranges(mm), ['400000-403000 1 anon', '403000-404000 3 anon']);
  });
});

describe('mremap', () => {
  it('shrinks in place', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 4 * P, flags: ANON | MAP.FIXED }));
    assert.equal(mm.mremap(0x40_0000, 4 * P, P, 0, 0), 0x40_0000);
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon']);
    assert.equal(mm.mremap(0x40_0000, P, P, 0, 0), 0x40_0000, 'the same size changes nothing');
    // Linux looks up the area at the old address first: a shrink from a hole is EFAULT.
    errno('EFAULT', () => mm.mremap(0x40_1000, 4 * P, P, 0, 0));
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon']);
  });

  it('moves a range of several areas and holes to a fixed place without resizing, holes kept (Linux 6.17)', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 4 * P, flags: ANON | MAP.FIXED }));
    mm.mprotect(0x40_1000, P, PROT.READ);
    mm.munmap(0x40_2000, P);
    mem.write(0x40_3000, Buffer.from('z'));
    assert.equal(mm.mremap(0x40_0000, 4 * P, 4 * P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x80_0000), 0x80_0000);
    assert.deepEqual(ranges(mm), ['800000-801000 3 anon', '801000-802000 1 anon', '803000-804000 3 anon']);
    assert.equal(mem.read(0x80_3000, 1).toString(), 'z');
    errno('EFAULT', () => mm.mremap(0x80_2000, 2 * P, 2 * P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x90_0000));
    errno('EFAULT', () => mm.mremap(0x80_0000, 4 * P, 3 * P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x90_0000));
  });

  it('grows in place when the next pages are free', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: P, flags: ANON | MAP.FIXED }));
    assert.equal(mm.mremap(0x40_0000, P, 3 * P, 0, 0), 0x40_0000);
    assert.deepEqual(ranges(mm), ['400000-403000 3 anon']);
    assert.equal(mem.protAt(0x40_2000), RW);
  });

  it('moves with MREMAP_MAYMOVE keeping the contents, else fails with ENOMEM', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: P, flags: ANON | MAP.FIXED }));
    mm.mmap(req({ addr: 0x40_1000, len: P, prot: PROT.READ, flags: ANON | MAP.FIXED }));
    mem.write(0x40_0010, Buffer.from('data'));
    errno('ENOMEM', () => mm.mremap(0x40_0000, P, 2 * P, 0, 0));
    const to = mm.mremap(0x40_0000, P, 2 * P, MREMAP.MAYMOVE, 0);
    assert.equal(to, mm.mmapBase - 2 * P);
    assert.equal(mem.read(to + 0x10, 4).toString(), 'data');
    assert.deepEqual(ranges(mm), ['401000-402000 1 anon', `${to.toString(16)}-${mm.mmapBase.toString(16)} 3 anon`]);
    assert.equal(mem.protAt(0x40_0000), undefined);
  });

  it('MREMAP_FIXED replaces the target; MREMAP_DONTUNMAP leaves zero pages behind', () => {
    const { mm, mem } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: P, flags: ANON | MAP.FIXED }));
    mm.mmap(req({ addr: 0x80_0000, len: 4 * P, prot: PROT.READ, flags: ANON | MAP.FIXED }));
    mem.write(0x40_0000, Buffer.from('x'));
    assert.equal(mm.mremap(0x40_0000, P, P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x80_1000), 0x80_1000);
    assert.deepEqual(ranges(mm), ['800000-801000 1 anon', '801000-802000 3 anon', '802000-804000 1 anon']);
    assert.equal(mem.read(0x80_1000, 1).toString(), 'x');
    const to = mm.mremap(0x80_1000, P, P, MREMAP.MAYMOVE | MREMAP.DONTUNMAP, 0);
    assert.equal(mem.read(to, 1).toString(), 'x');
    assert.deepEqual(mem.read(0x80_1000, 1), Buffer.alloc(1));
    assert.equal(mm.vmas.find(0x80_1000)?.prot, RW);
  });

  it('validates arguments', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 2 * P, flags: ANON | MAP.FIXED }));
    errno('EINVAL', () => mm.mremap(0x40_0000, P, P, 8, 0));
    errno('EINVAL', () => mm.mremap(0x40_0000, P, P, MREMAP.FIXED, 0x90_0000));
    errno('EINVAL', () => mm.mremap(0x40_0000, P, 2 * P, MREMAP.MAYMOVE | MREMAP.DONTUNMAP, 0));
    errno('EINVAL', () => mm.mremap(0x40_0001, P, P, 0, 0));
    errno('EINVAL', () => mm.mremap(0x40_0000, P, 0, 0, 0));
    errno('EINVAL', () => mm.mremap(0x40_0000, 0, P, MREMAP.MAYMOVE, 0));
    errno('EINVAL', () => mm.mremap(0x40_0000, P, P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x40_0000));
    errno('EPERM', () => mm.mremap(0x40_0000, P, P, MREMAP.MAYMOVE | MREMAP.FIXED, 0x1000));
    errno('EFAULT', () => mm.mremap(0x50_0000, P, 2 * P, MREMAP.MAYMOVE, 0));
    errno('EFAULT', () => mm.mremap(0x40_0000, 3 * P, 4 * P, MREMAP.MAYMOVE, 0));
    errno('ENOMEM', () => mm.mremap(0x40_0000, P, TASK + 1, MREMAP.MAYMOVE, 0));
  });
});

describe('brk', () => {
  it('grows, shrinks, and returns the current break on failure', () => {
    const { mm, mem } = setup();
    mm.setBrkStart(0x60_0000);
    assert.equal(mm.brk(0), 0x60_0000);
    assert.equal(mm.brk(0x60_0010), 0x60_0010);
    assert.deepEqual(ranges(mm), ['600000-601000 3 heap']);
    assert.equal(mm.brk(0x60_2000), 0x60_2000);
    assert.deepEqual(ranges(mm), ['600000-602000 3 heap']);
    assert.equal(mm.brk(0x60_0800), 0x60_0800);
    assert.deepEqual(ranges(mm), ['600000-601000 3 heap']);
    assert.equal(mem.protAt(0x60_1000), undefined);
    mm.mmap(req({ addr: 0x60_3000, flags: ANON | MAP.FIXED }));
    assert.equal(mm.brk(0x60_3000), 0x60_0800, 'needs a guard page before the next mapping');
    assert.equal(mm.brk(0x60_2000), 0x60_2000);
    assert.equal(mm.brk(0x50_0000), 0x60_2000);
    assert.equal(mm.brk(TASK + P), 0x60_2000);
  });
});

describe('madvise, msync, mincore, mlock', () => {
  it('MADV_RANDOM and MADV_SEQUENTIAL split areas as Linux, MADV_NORMAL merges them back; a hole fails after the rest', () => {
    const { mm } = setup();
    mm.mmap(req({ addr: 0x40_0000, len: 4 * P, flags: ANON | MAP.FIXED }));
    mm.madvise(0x40_1000, P, MADV.RANDOM);
    mm.madvise(0x40_2000, P, MADV.SEQUENTIAL);
    assert.deepEqual(ranges(mm), ['400000-401000 3 anon', '401000-402000 3 anon', '402000-403000 3 anon', '403000-404000 3 anon']);
    errno('EFAULT', () => mm.mremap(0x40_0000, 2 * P, 3 * P, MREMAP.MAYMOVE, 0));
    errno('ENOMEM', () => mm.madvise(0x40_0000, 8 * P, MADV.NORMAL));
    assert.deepEqual(ranges(mm), ['400000-404000 3 anon']);
  });

  it('MADV_DONTNEED re-zeroes anonymous memory but keeps file copies', () => {
    const { mm, mem } = setup();
    const a = mm.mmap(req({ len: 2 * P }));
    mem.write(a, Buffer.from('abc'));
    const f = mm.mmap(req({ flags: MAP.PRIVATE, file: new MemFile('/f', Buffer.from('file')) }));
    mm.madvise(a, 2 * P, MADV.DONTNEED);
    assert.deepEqual(mem.read(a, 3), Buffer.alloc(3));
    mm.madvise(f, P, MADV.DONTNEED);
    assert.equal(mem.read(f, 4).toString(), 'file');
    mm.madvise(a, P, MADV.WILLNEED);
    errno('EINVAL', () => mm.madvise(a, P, 7));
    errno('EINVAL', () => mm.madvise(a + 1, P, MADV.NORMAL));
    errno('EINVAL', () => mm.madvise(f, P, MADV.FREE));
    errno('EINVAL', () => mm.madvise(a, P, MADV.REMOVE));
    errno('EPERM', () => mm.madvise(a, P, MADV.HWPOISON));
    errno('ENOMEM', () => mm.madvise(0x1_0000, P, MADV.NORMAL));
    mm.madvise(0x1_0000, 0, MADV.NORMAL);
  });

  it('msync, mincore and mlock check the range', () => {
    const { mm } = setup();
    const a = mm.mmap(req({ len: 2 * P }));
    mm.msync(a, 2 * P, 4);
    errno('EINVAL', () => mm.msync(a, P, 1 | 4));
    errno('EINVAL', () => mm.msync(a, P, 8));
    errno('ENOMEM', () => mm.msync(a, 3 * P, 4));
    assert.deepEqual([...mm.mincore(a, P + 1)], [1, 1]);
    errno('ENOMEM', () => mm.mincore(a - P, P));
    errno('EINVAL', () => mm.mincore(a + 1, P));
    mm.mlock(a + 5, P);
    errno('ENOMEM', () => mm.mlock(a + 5, 2 * P));
    errno('EINVAL', () => mm.mlock(a, P, 2));
    mm.mlockall(1);
    errno('EINVAL', () => mm.mlockall(0));
    errno('EINVAL', () => mm.mlockall(4));
  });
});

describe('procMaps and usage', () => {
  it('formats exactly like Linux /proc/self/maps (checked against this process)', () => {
    const lines = readFileSync('/proc/self/maps', 'latin1').split('\n').filter((l) => l !== '');
    let checked = 0;
    for (const line of lines) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([ps]) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+) *(.*)$/.exec(line);
      assert.ok(m, line);
      const start = parseInt(m[1], 16);
      if (start >= 2 ** 47) continue; // [vsyscall]
      const name = m[11];
      const ino = Number(m[10]);
      const prot = (m[3] === 'r' ? 1 : 0) | (m[4] === 'w' ? 2 : 0) | (m[5] === 'x' ? 4 : 0);
      const dev = (parseInt(m[8], 16) << 8) | parseInt(m[9], 16);
      const base = { start, end: parseInt(m[2], 16), prot, maxProt: 7, shared: m[6] === 's', growsDown: false };
      let v: Vma;
      if (ino !== 0) v = { ...base, backing: { kind: 'file', path: name, offset: parseInt(m[7], 16), dev, ino } };
      else if (name === '') v = { ...base, backing: { kind: 'anon' } };
      else v = { ...base, backing: { kind: 'named', name } };
      assert.equal(formatMapsLine(v), `${line}\n`);
      checked++;
    }
    assert.ok(checked > 5);
  });

  it('lists heap and stack and counts usage', () => {
    const { mm } = setup();
    mm.setBrkStart(0x60_0000);
    mm.brk(0x60_2000);
    mm.mapArea({ start: TASK - 2 * P, end: TASK, prot: RW, maxProt: 7, shared: false, growsDown: true, backing: { kind: 'stack' } });
    mm.mmap(req({ addr: 0x40_0000, prot: PROT.NONE, flags: ANON | MAP.FIXED }));
    assert.equal(
      mm.procMaps(),
      '00400000-00401000 ---p 00000000 00:00 0 \n' +
        '00600000-00602000 rw-p 00000000 00:00 0                                  [heap]\n' +
        '7ffaffffe000-7ffb00000000 rw-p 00000000 00:00 0                          [stack]\n',
    );
    assert.deepEqual(mm.usage(), { size: 5 * P, data: 2 * P, stack: 2 * P, exe: 0 });
  });

  it('charges a memory limit for accessible memory but read-only file mappings (page cache in Linux)', () => {
    const { mm } = setup();
    mm.setBrkStart(0x60_0000);
    mm.brk(0x60_2000);
    mm.mmap(req({ addr: 0x40_0000, prot: PROT.NONE, flags: ANON | MAP.FIXED }));
    const f = new MemFile('/lib/x.so', Buffer.alloc(4 * P, 1));
    mm.mmap(req({ addr: 0x80_0000, len: 3 * P, prot: PROT.READ | PROT.EXEC, flags: MAP.PRIVATE | MAP.FIXED, file: f }));
    mm.mmap(req({ addr: 0x90_0000, len: P, prot: RW, flags: MAP.PRIVATE | MAP.FIXED, file: f }));
    mm.mmap(req({ addr: 0xa0_0000, len: 5 * P, flags: MAP.SHARED | MAP.ANONYMOUS | MAP.FIXED }));
    const gen = mm.vmas.generation;
    assert.deepEqual(
      mm.chargedAreas().map((v) => `${v.start.toString(16)} ${(v.end - v.start) / P} ${v.backing.kind}`),
      ['600000 2 heap', '900000 1 file', 'a00000 5 shmem'],
    );
    mm.mprotect(0x80_0000, P, RW);
    assert.ok(mm.vmas.generation > gen, 'a change to the areas is seen by the cached bound');
    assert.equal(mm.chargedAreas().length, 4);
    assert.equal(mm.inheritedBytes, 0);
    assert.equal(mm.fork(new FakeMemory(), new FakeMemory()).inheritedBytes, 9 * P, "a fork's child shares what the parent is charged for");
  });
});
