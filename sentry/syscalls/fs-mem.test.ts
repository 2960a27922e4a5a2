import assert from 'node:assert/strict';
import { FakeMemory } from '../vfs/testkit';
import { scatterParts } from './fs-mem';

describe('scatterParts', () => {
  it('lays the parts end to end over the iovecs (empty iovecs and parts included) and stops when either runs out', () => {
    const mem = new FakeMemory();
    const base = mem.alloc(64, Buffer.alloc(64, '.'));
    const writes: number[] = [];
    const writeParts = mem.writeParts.bind(mem);
    mem.writeParts = (addr, parts) => {
      writes.push(parts.length);
      writeParts(addr, parts);
    };
    const iov = [
      { base, len: 3 },
      { base: base + 10, len: 0 },
      { base: base + 20, len: 4 },
      { base: base + 30, len: 10 },
      { base: base + 50, len: 5 },
    ];
    scatterParts(mem, iov, [Buffer.from('ab'), Buffer.from('cdefg'), Buffer.alloc(0), Buffer.from('hijk')]);
    assert.equal(mem.read(base, 40).toString(), 'abc.......' + '..........' + 'defg......' + 'hijk......');
    assert.equal(mem.read(base + 50, 5).toString(), '.....');
    // One host write per iovec: the first takes slices of two parts, the fourth an empty part and a whole one.
    assert.deepEqual(writes, [2, 0, 1, 2]);
  });
});
