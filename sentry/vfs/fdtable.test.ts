import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { errnoOf } from './testkit';
import { FdTable } from './fdtable';
import type { FileDescription } from './file';

/** A description that only counts its references. */
function counted(): FileDescription & { refs: number } {
  const f = { refs: 1, incRef: () => void f.refs++, decRef: () => void f.refs-- };
  return f as unknown as FileDescription & { refs: number };
}

describe('FdTable', () => {
  it('install takes the lowest free fd, at or above min, whatever was closed or placed before', () => {
    const t = new FdTable();
    const f = counted();
    assert.deepEqual([0, 1, 2, 3, 4].map(() => t.install(f)), [0, 1, 2, 3, 4]);
    t.close(2);
    assert.equal(t.install(f), 2);
    assert.equal(t.install(f, { min: 10 }), 10); // F_DUPFD above a gap
    assert.equal(t.install(f), 5); // the gap below min is still the lowest
    t.installAt(6, f, false); // dup2 into the next free slot
    assert.equal(t.install(f), 7);
    t.close(0);
    t.close(3);
    assert.equal(t.install(f), 0);
    assert.equal(t.install(f), 3);
    assert.equal(t.install(f), 8);
    assert.equal(t.install(f, { min: 3 }), 9);
    assert.equal(t.install(f), 11);
    assert.deepEqual(t.list().map(([fd]) => fd), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('a fork copies the table with its gaps: the child fills them first', () => {
    const t = new FdTable();
    const f = counted();
    for (let i = 0; i < 4; i++) t.install(f);
    t.close(1);
    const before = f.refs;
    const child = t.clone();
    assert.equal(f.refs, before + 3); // a reference per copied fd
    assert.equal(child.install(f), 1);
    assert.equal(child.install(f), 4);
    assert.equal(t.install(f), 1);
  });

  it('closing a range, or close-on-exec, reopens the lowest fds', () => {
    const t = new FdTable();
    const f = counted();
    for (let i = 0; i < 6; i++) t.install(f, { cloexec: i % 2 === 1 });
    t.closeOnExec(); // 0, 2 and 4 left
    assert.equal(t.install(f), 1);
    t.closeRange(2, 4, false); // 0 and 1 left
    assert.equal(t.install(f), 2);
    assert.deepEqual(t.list().map(([fd]) => fd), [0, 1, 2]);
  });

  it('EMFILE when no fd below the limit is free', () => {
    const t = new FdTable();
    const f = counted();
    t.install(f, { limit: 2 });
    t.install(f, { limit: 2 });
    assert.equal(errnoOf(() => t.install(f, { limit: 2 })), Errno.EMFILE);
    t.close(0);
    assert.equal(t.install(f, { limit: 2 }), 0);
  });
});
