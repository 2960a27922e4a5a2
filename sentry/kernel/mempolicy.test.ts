import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { MPOL, MPOL_F } from '../abi/linux/mempolicy';
import { errnoOf, FakeMemory } from '../vfs/testkit';
import { encodeNodemask, newPolicy, readNodemask, samePolicy, splitMode } from './mempolicy';

describe('kernel/mempolicy', () => {
  it('splits a mode from its flags and rejects what sanitize_mpol_flags rejects', () => {
    assert.deepEqual(splitMode(MPOL.BIND | MPOL_F.STATIC_NODES), { mode: MPOL.BIND, flags: MPOL_F.STATIC_NODES });
    assert.equal(errnoOf(() => splitMode(MPOL.MAX)), Errno.EINVAL);
    assert.equal(errnoOf(() => splitMode(MPOL.BIND | MPOL_F.STATIC_NODES | MPOL_F.RELATIVE_NODES)), Errno.EINVAL);
    assert.equal(errnoOf(() => splitMode(MPOL.INTERLEAVE | MPOL_F.NUMA_BALANCING)), Errno.EINVAL);
    assert.deepEqual(splitMode(MPOL.PREFERRED_MANY | MPOL_F.NUMA_BALANCING), { mode: MPOL.PREFERRED_MANY, flags: MPOL_F.NUMA_BALANCING });
  });

  it('reads maxnode - 1 bits of a nodemask, none for NULL, EINVAL past MAX_NUMNODES or a page of bits', () => {
    const mem = new FakeMemory();
    const at = mem.alloc(4096);
    const words = Buffer.alloc(17 * 8);
    words.writeBigUInt64LE(0b101n, 0);
    words.writeBigUInt64LE(1n, 16 * 8); // node 1024
    mem.write(at, words);
    assert.equal(readNodemask(mem, 0, 0n), 0n);
    assert.equal(readNodemask(mem, at, 1n), 0n);
    assert.equal(readNodemask(mem, at, 3n), 0b01n); // two bits: node 2 is cut off
    assert.equal(readNodemask(mem, at, 65n), 0b101n);
    assert.equal(readNodemask(mem, at, 1025n), 0b101n);
    assert.equal(errnoOf(() => readNodemask(mem, at, 1026n)), Errno.EINVAL);
    assert.equal(errnoOf(() => readNodemask(mem, at, 0n)), Errno.EINVAL);
    assert.equal(errnoOf(() => readNodemask(mem, at, 4096n * 8n + 2n)), Errno.EINVAL);
  });

  it('makes policies as mpol_new: default is none, empty preferred is local, nodes must include node 0', () => {
    assert.equal(newPolicy(MPOL.DEFAULT, 0, 0n), undefined);
    assert.equal(errnoOf(() => newPolicy(MPOL.DEFAULT, 0, 1n)), Errno.EINVAL);
    assert.deepEqual(newPolicy(MPOL.PREFERRED, 0, 0n), { mode: MPOL.LOCAL, flags: 0, nodes: 0n });
    assert.equal(errnoOf(() => newPolicy(MPOL.PREFERRED, MPOL_F.STATIC_NODES, 0n)), Errno.EINVAL);
    assert.equal(errnoOf(() => newPolicy(MPOL.LOCAL, 0, 1n)), Errno.EINVAL);
    assert.deepEqual(newPolicy(MPOL.BIND, 0, 0b11n), { mode: MPOL.BIND, flags: 0, nodes: 1n });
    assert.equal(errnoOf(() => newPolicy(MPOL.BIND, 0, 0b10n)), Errno.EINVAL);
    assert.deepEqual(newPolicy(MPOL.BIND, MPOL_F.STATIC_NODES, 0b11n), { mode: MPOL.BIND, flags: MPOL_F.STATIC_NODES, nodes: 0b11n });
    assert.deepEqual(newPolicy(MPOL.INTERLEAVE, MPOL_F.RELATIVE_NODES, 0b10n), { mode: MPOL.INTERLEAVE, flags: MPOL_F.RELATIVE_NODES, nodes: 0b10n });
  });

  it('compares policies by value and writes nodemasks of ALIGN(maxnode - 1, 64) bits', () => {
    assert.ok(samePolicy(newPolicy(MPOL.BIND, 0, 1n), newPolicy(MPOL.BIND, 0, 1n)));
    assert.ok(!samePolicy(newPolicy(MPOL.BIND, 0, 1n), undefined));
    assert.equal(encodeNodemask(1n, 1n).length, 0);
    assert.deepEqual([...encodeNodemask(1n, 65n)], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(encodeNodemask(1n, 129n).length, 16);
    assert.equal(errnoOf(() => encodeNodemask(1n, 40000n)), Errno.EINVAL);
  });
});
