/**
 * memfd_create(2): a C program (the file, shared mappings across fork,
 * flags and errors, every seal, exec through execveat) run natively and in
 * the sandbox; and a memfd's data charged to the container's memory
 * cgroup until its last close. Before, memfd_create was ENOSYS.
 */
import { assertOutput, expectNativeLines } from './compare';
import { checkNoLeaks, compileC, native, sandboxed } from './harness';

/** 50 MiB written to a memfd: memory.current and memory.stat's shmem grow by it and shrink back at the close. */
const CHARGE = String.raw`
import os
def current(): return int(open('/sys/fs/cgroup/memory.current').read())
def shmem(): return next(int(l.split()[1]) for l in open('/sys/fs/cgroup/memory.stat') if l.startswith('shmem '))
c, s = current(), shmem()
fd = os.memfd_create('big')
os.write(fd, b'x' * (50 << 20))
print('written: current +%d MiB, shmem +%d MiB' % ((current() - c) >> 20, (shmem() - s) >> 20))
os.close(fd)
print('closed: current +%d MiB, shmem +%d MiB' % ((current() - c) >> 20, (shmem() - s) >> 20))
`;

describe('e2e: memfd', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: the file, shared mappings, flags, errors, seals and execveat of a memfd, as natively', () => {
    const prog = compileC('memfd');
    const n = native([prog, '/bin/sh']);
    expectNativeLines(n.stdout, ['link /memfd:plain (deleted), mode 100777, nlink 0', 'F_SEAL_WRITE while it is mapped: EBUSY', 'exec of a memfd: from-memfd']);
    assertOutput(sandboxed([prog, '/bin/sh']), n.stdout);
  });

  it("a memfd's data is charged to the container's memory until its last close", () => {
    assertOutput(sandboxed(['/usr/bin/python3', '-c', CHARGE]), 'written: current +50 MiB, shmem +50 MiB\nclosed: current +0 MiB, shmem +0 MiB\n');
  });
});
