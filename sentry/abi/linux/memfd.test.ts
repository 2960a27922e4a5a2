import assert from 'node:assert/strict';
import { nativeValues } from '../../testing/native';
import { F } from './fs';
import { F_SEAL, F_SEAL_ALL, MFD } from './memfd';

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <linux/memfd.h>
#define P(n) printf("%s %lu\\n", #n, (unsigned long)(n))
int main(void) {
  P(MFD_CLOEXEC); P(MFD_ALLOW_SEALING); P(MFD_HUGETLB);
  P(F_SEAL_SEAL); P(F_SEAL_SHRINK); P(F_SEAL_GROW); P(F_SEAL_WRITE); P(F_SEAL_FUTURE_WRITE);
  P(F_ADD_SEALS); P(F_GET_SEALS);
  return 0;
}`;

// Linux 6.3's MFD_NOEXEC_SEAL, MFD_EXEC and F_SEAL_EXEC are newer than this C library's headers:
// e2e/syscalls/memfd.test.ts checks them against the host kernel (mode 0666, seals 0x20).
const NEWER = new Set(['MFD_NOEXEC_SEAL', 'MFD_EXEC', 'F_SEAL_EXEC']);

describe('memfd ABI against the C headers', () => {
  it('memfd_create flags, seals and the seal fcntls match', () => {
    const native = nativeValues(C);
    const known = (prefix: string, o: Record<string, number>) => Object.entries(o).map(([k, v]): [string, number] => [prefix + k, v]).filter(([k]) => !NEWER.has(k));
    for (const [name, value] of [...known('MFD_', MFD), ...known('F_SEAL_', F_SEAL)]) assert.equal(native.get(name), value, name);
    assert.equal(Object.values(F_SEAL).reduce((a: number, b) => a | b, 0), F_SEAL_ALL);
    assert.equal(native.get('F_ADD_SEALS'), F.ADD_SEALS);
    assert.equal(native.get('F_GET_SEALS'), F.GET_SEALS);
  });
});
