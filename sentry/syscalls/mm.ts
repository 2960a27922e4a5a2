/**
 * Memory-management syscalls: thin argument decoding over MemoryManager,
 * which implements Linux's semantics and errnos.
 */
import { MAP, PAGE_SIZE } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';

/** An `unsigned long` flags argument: bits above 32 are unknown flags (EINVAL). */
function flags32(a: SyscallArgs, i: number): number {
  if (a.u64(i) > 0xffff_ffffn) fail('EINVAL', 'unknown flag bits');
  return a.uint(i);
}

/** brk(2): returns the new break, or the unchanged one when it cannot move. */
function brk(t: Task, a: SyscallArgs): number {
  return t.process.mm.brk(a.ptr(0));
}

/**
 * mmap(2): anonymous and file mappings with Linux's placement and checks.
 * Private file mappings are copies read through the file; MAP_SHARED
 * through a read-write description maps the file's shared copy
 * (mm/filecache.ts: seen by every process mapping the file and by
 * read/write, written back on msync and the last unmap; ENODEV beyond
 * its first GiB); other MAP_SHARED file mappings are read-only copies;
 * MAP_SHARED anonymous memory is shared with forked children; MAP_HUGETLB
 * is ENOMEM (no huge pages).
 */
function mmap(t: Task, a: SyscallArgs): number {
  const flags = a.uint(3);
  const offset = a.u64(5);
  // sys_mmap rejects a misaligned offset before looking at the fd.
  const needsFile = (flags & MAP.ANONYMOUS) === 0 && offset % BigInt(PAGE_SIZE) === 0n;
  const file = needsFile ? t.process.fds.get(a.int(4)) : undefined;
  return t.process.mm.mmap({ addr: a.ptr(0), len: a.size(1), prot: a.uint(2), flags, file, offset });
}

/** munmap(2). */
function munmap(t: Task, a: SyscallArgs): number {
  t.process.mm.munmap(a.ptr(0), a.size(1));
  return 0;
}

/** mprotect(2): a range with a hole fails with ENOMEM without changing anything (Linux changes the part before the hole). */
function mprotect(t: Task, a: SyscallArgs): number {
  t.process.mm.mprotect(a.ptr(0), a.size(1), flags32(a, 2));
  return 0;
}

/** mremap(2): no old_len 0 duplication (EINVAL) and no growing of file-backed mappings (ENOMEM). */
function mremap(t: Task, a: SyscallArgs): number {
  return t.process.mm.mremap(a.ptr(0), a.size(1), a.size(2), flags32(a, 3), a.ptr(4));
}

/** madvise(2): MADV_DONTNEED re-zeroes anonymous memory; file copies keep their contents; other advice is a hint. */
function madvise(t: Task, a: SyscallArgs): number {
  t.process.mm.madvise(a.ptr(0), a.size(1), a.int(2));
  return 0;
}

/** msync(2): writes shared file copies in the range back to their files. */
function msync(t: Task, a: SyscallArgs): number {
  t.process.mm.msync(a.ptr(0), a.size(1), a.int(2));
  return 0;
}

/** mincore(2): every mapped page is reported resident. */
function mincore(t: Task, a: SyscallArgs): number {
  t.mem.write(a.ptr(2), t.process.mm.mincore(a.ptr(0), a.size(1)));
  return 0;
}

/** mlock(2)/munlock(2): check the range; the host keeps the memory, RLIMIT_MEMLOCK is not accounted. */
function mlock(t: Task, a: SyscallArgs): number {
  t.process.mm.mlock(a.ptr(0), a.size(1));
  return 0;
}

/** mlock2(2): MLOCK_ONFAULT is the only flag. */
function mlock2(t: Task, a: SyscallArgs): number {
  t.process.mm.mlock(a.ptr(0), a.size(1), a.uint(2));
  return 0;
}

/** mlockall(2): validates the flags. */
function mlockall(t: Task, a: SyscallArgs): number {
  t.process.mm.mlockall(a.int(0));
  return 0;
}

/** munlockall(2): nothing is locked. */
function munlockall(): number {
  return 0;
}

export const mmSyscalls: FamilyRows = {
  brk: supported(brk),
  mmap: partial(mmap, 'MAP_SHARED files: a shared copy of the first GiB (ENODEV beyond), written back on msync/last unmap, no SIGBUS past EOF; MAP_HUGETLB ENOMEM'),
  munmap: supported(munmap),
  mprotect: partial(mprotect, 'a range with a hole changes nothing (ENOMEM)'),
  mremap: partial(mremap, 'old_len 0 EINVAL; growing file-backed mappings ENOMEM'),
  madvise: partial(madvise, 'MADV_DONTNEED keeps file-backed private copies'),
  msync: supported(msync),
  mincore: partial(mincore, 'every mapped page reported resident'),
  mlock: partial(mlock, 'RLIMIT_MEMLOCK not accounted'),
  munlock: supported(mlock),
  mlock2: partial(mlock2, 'RLIMIT_MEMLOCK not accounted'),
  mlockall: partial(mlockall, 'nothing is actually locked'),
  munlockall: supported(munlockall),
};
