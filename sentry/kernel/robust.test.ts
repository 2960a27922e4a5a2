import assert from 'node:assert/strict';
import { exitRobustList } from './robust';
import { sandbox, thread } from './signal/testing';
import type { Task } from './task';

const PAGE = 0x20000;
const HEAD = PAGE;
const OFFSET = 16; // futex word = entry + 16
const WAITERS = 0x80000000;
const OWNER_DIED = 0x40000000;

function setup() {
  const s = sandbox();
  s.ctx.memory.mapAnonymous(PAGE, 0x1000, 3);
  const t2 = thread(s.kernel, s.task.process, s.ctx);
  return { ...s, t2 };
}

function u64(t: Task, addr: number, v: number): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  t.mem.write(addr, b);
}
function setWord(t: Task, entry: number, v: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  t.mem.write(entry + OFFSET, b);
}
const word = (t: Task, entry: number) => t.mem.read(entry + OFFSET, 4).readUInt32LE(0);

/** A head at HEAD linking `entries` in order, with `pending` as list_op_pending. */
function list(t: Task, entries: number[], pending = 0): void {
  u64(t, HEAD, entries[0] ?? HEAD);
  u64(t, HEAD + 8, OFFSET);
  u64(t, HEAD + 16, pending);
  entries.forEach((e, i) => u64(t, e, entries[i + 1] ?? HEAD));
  t.robustList = HEAD;
}

describe('kernel/robust: robust futex lists at thread death', () => {
  it('marks the dying thread\'s locks OWNER_DIED, keeps WAITERS, and wakes one waiter', () => {
    const { t2, task, kernel } = setup();
    const [a, b, c] = [PAGE + 0x100, PAGE + 0x200, PAGE + 0x300];
    setWord(t2, a, t2.tid | WAITERS);
    setWord(t2, b, t2.tid);
    setWord(t2, c, 999); // another owner: untouched
    list(t2, [a, b, c]);
    const key = kernel.futexes.key(t2.process.mm, a + OFFSET);
    kernel.futexes.enqueue(key, task);
    t2.exitThread(0);
    assert.equal(word(task, a), (WAITERS | OWNER_DIED) >>> 0);
    assert.equal(word(task, b), OWNER_DIED);
    assert.equal(word(task, c), 999);
    assert.equal(kernel.futexes.takeWoken(task), true);
    assert.equal(kernel.futexes.isWaiting(key, task), false);
  });

  it('list_op_pending: a released word only wakes a waiter; a held one is marked', () => {
    const { t2, task, kernel } = setup();
    const [a, b] = [PAGE + 0x100, PAGE + 0x200];
    setWord(t2, a, 0);
    list(t2, [], a);
    const key = kernel.futexes.key(t2.process.mm, a + OFFSET);
    kernel.futexes.enqueue(key, task);
    exitRobustList(t2);
    assert.equal(word(task, a), 0);
    assert.equal(kernel.futexes.takeWoken(task), true);
    setWord(t2, b, t2.tid);
    list(t2, [b], b);
    exitRobustList(t2);
    assert.equal(word(task, b), OWNER_DIED, 'handled once, as the pending entry');
    assert.equal(t2.robustList, 0, 'the registration ends');
  });

  it('stops on a cycle after ROBUST_LIST_LIMIT entries and on a fault', () => {
    const { t2, task } = setup();
    const a = PAGE + 0x100;
    setWord(t2, a, t2.tid);
    u64(t2, HEAD, a);
    u64(t2, HEAD + 8, OFFSET);
    u64(t2, HEAD + 16, 0);
    u64(t2, a, a); // points at itself, never back to the head
    t2.robustList = HEAD;
    exitRobustList(t2);
    assert.equal(word(task, a), OWNER_DIED);
    t2.robustList = 0x9990000; // unmapped
    assert.doesNotThrow(() => exitRobustList(t2));
  });

  it('the whole process ending walks every thread\'s list', () => {
    const { t2, task } = setup();
    const [a, b] = [PAGE + 0x100, PAGE + 0x200];
    setWord(task, a, task.tid);
    setWord(task, b, t2.tid);
    u64(task, HEAD, a);
    u64(task, HEAD + 8, OFFSET);
    u64(task, HEAD + 16, 0);
    u64(task, a, HEAD);
    task.robustList = HEAD;
    const head2 = PAGE + 0x800;
    u64(task, head2, b);
    u64(task, head2 + 8, OFFSET);
    u64(task, head2 + 16, 0);
    u64(task, b, head2);
    t2.robustList = head2;
    const mem = task.mem;
    task.process.exit(0);
    assert.equal(mem.read(a + OFFSET, 4).readUInt32LE(0), OWNER_DIED);
    assert.equal(mem.read(b + OFFSET, 4).readUInt32LE(0), OWNER_DIED);
  });
});
